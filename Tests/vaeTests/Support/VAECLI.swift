// Helpers for the end-to-end tests: find the built `vae` binary, run it in a fresh temporary
// folder with a timeout, and capture its output and exit status.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Problems that stop a test before it can look at `vae`'s behaviour.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What one run of `vae` did.
struct CommandResult: CustomStringConvertible {
    let arguments: [String]
    /// Exit status, or the signal number when `crashed`.
    let status: Int32
    /// Terminated by a signal (a crash or our timeout), not by exiting.
    let crashed: Bool
    let timedOut: Bool
    let stdout: String
    let stderr: String
    let seconds: Double

    var succeeded: Bool { !crashed && !timedOut && status == 0 }
    /// Both streams, stdout first.
    var output: String { stdout + stderr }
    /// Non-empty lines of stderr.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }

    var description: String {
        """
        $ vae \(arguments.joined(separator: " "))
        → \(crashed ? "signal" : "exit") \(status)\(timedOut ? " (timed out)" : ""), \(String(format: "%.1f", seconds)) s
        --- stdout ---
        \(stdout)
        --- stderr ---
        \(stderr)
        """
    }
}

/// The `vae` executable built by SwiftPM next to this test bundle.
enum VAEBinary {
    /// Candidate product folders, most specific first.
    static var candidateFolders: [URL] {
        var folders: [URL] = []
        // On Linux `swift test` runs `.build/<triple>/debug/vaePackageTests.xctest`, so the test
        // executable's folder is the products folder.
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        folders.append(argument0.deletingLastPathComponent())
        // On macOS the bundle is `.build/debug/vaePackageTests.xctest` inside the products folder.
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL)
        // Fallback: the package's own build folder, relative to this source file.
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // vaeTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent(".build/debug", isDirectory: true))
        return folders
    }

    /// The path of the `vae` executable, or nil when none of the candidate folders holds it.
    static let url: URL? = {
        for folder in candidateFolders {
            let candidate = folder.appendingPathComponent("vae")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }()

    static func require() throws -> URL {
        guard let url else {
            throw HarnessError("The vae executable was not found in \(candidateFolders.map(\.path)). "
                + "Build it first with 'swift build' (swift test normally builds it).")
        }
        return url
    }
}

/// A fresh temporary folder to run `vae` in; removed by `remove()` (call it in a `defer`).
final class Sandbox: @unchecked Sendable {
    /// The folder holding `work/` and the captured output files.
    let root: URL
    /// The current directory of the commands; starts empty.
    let directory: URL
    private var counter = 0

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("vae-e2e-\(UUID().uuidString)", isDirectory: true)
        directory = root.appendingPathComponent("work", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// A path inside the working folder.
    func url(_ relative: String) -> URL {
        directory.appendingPathComponent(relative)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: url(relative).path)
    }

    func data(_ relative: String) throws -> Data {
        try Data(contentsOf: url(relative))
    }

    func text(_ relative: String) throws -> String {
        let data = try data(relative)
        guard let text = String(data: data, encoding: .utf8) else { throw HarnessError("\(relative) is not UTF-8") }
        return text
    }

    func write(_ data: Data, to relative: String) throws {
        let target = url(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target)
    }

    /// Every file (not folder) under the working folder, as sorted relative paths.
    func allFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey]) else {
            return []
        }
        var files: [String] = []
        let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey])
            if values?.isDirectory == true { continue }
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            files.append(path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path)
        }
        return files.sorted()
    }

    /// Runs `vae` with `arguments` in the working folder, stdout and stderr going to files (pipes are
    /// not terminals, like in CI). Stops it after `timeout` seconds.
    func vae(_ arguments: String..., timeout: Double = 120, environment extra: [String: String] = [:]) throws -> CommandResult {
        try vae(arguments: arguments, timeout: timeout, environment: extra)
    }

    func vae(arguments: [String], timeout: Double = 120, environment extra: [String: String] = [:]) throws -> CommandResult {
        let binary = try VAEBinary.require()
        counter += 1
        let stdoutURL = root.appendingPathComponent("stdout-\(counter).txt")
        let stderrURL = root.appendingPathComponent("stderr-\(counter).txt")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }

        let process = Process()
        configureVAE(process, binary: binary, arguments: arguments, directory: directory, environment: extra)
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        let start = Date()
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let stdout = String(decoding: (try? Data(contentsOf: stdoutURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self)
        return CommandResult(arguments: arguments, status: process.terminationStatus,
                             crashed: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
                             stdout: stdout, stderr: stderr, seconds: seconds)
    }

    /// Runs `vae` and requires success, recording the whole transcript otherwise.
    @discardableResult
    func vaeSucceeds(_ arguments: String..., timeout: Double = 120,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        try vaeSucceeds(arguments: arguments, timeout: timeout, sourceLocation: sourceLocation)
    }

    @discardableResult
    func vaeSucceeds(arguments: [String], timeout: Double = 120,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try vae(arguments: arguments, timeout: timeout)
        try #require(result.succeeded, "\(result)", sourceLocation: sourceLocation)
        return result
    }
}

/// Runs `body` with a fresh sandbox and removes it afterwards.
func withSandbox<T>(_ body: (Sandbox) throws -> T) throws -> T {
    let sandbox = try Sandbox()
    defer { sandbox.remove() }
    return try body(sandbox)
}

/// One line of `metrics.jsonl`, as a dictionary of numbers.
func metricsLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        guard let dictionary = object as? [String: Any] else { throw HarnessError("metrics line is not an object: \(line)") }
        return dictionary
    }
}

/// A number from a decoded JSON object.
func number(_ object: [String: Any], _ key: String) -> Double? {
    (object[key] as? NSNumber)?.doubleValue
}

extension Sandbox {
    /// Runs `vae` with standard output and error on a new pseudo-terminal (so `isatty` is true, as in
    /// an interactive shell) and returns everything it wrote there, with its exit status.
    func vaeOnTerminal(arguments: [String], environment extra: [String: String], timeout: Double = 120) throws -> TerminalResult {
        let binary = try VAEBinary.require()
        let master = openPseudoTerminal(O_RDWR | O_NOCTTY)
        guard master >= 0, grantPseudoTerminal(master) == 0, unlockPseudoTerminal(master) == 0,
              let name = pseudoTerminalName(master) else {
            throw HarnessError("cannot open a pseudo-terminal")
        }
        defer { close(master) }
        guard let terminal = FileHandle(forUpdatingAtPath: String(cString: name)) else {
            throw HarnessError("cannot open the pseudo-terminal \(String(cString: name))")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = terminal
        process.standardError = terminal
        try process.run()
        try terminal.close()  // the child holds the terminal now; reading ends when it exits
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 500)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let count = read(master, &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count < 0 && errno == EINTR { continue } else { break }
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return TerminalResult(arguments: arguments, status: process.terminationStatus, output: output)
    }
}

/// What `vae` wrote on a pseudo-terminal (both streams together) and how it exited.
struct TerminalResult: CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let output: Data

    var text: String { String(decoding: output, as: UTF8.self) }
    var description: String { "$ vae \(arguments.joined(separator: " "))\n→ exit \(status)\n\(text.debugDescription)" }
}

// The pseudo-terminal functions of the C library (<stdlib.h>, which the Glibc module does not export).
@_silgen_name("posix_openpt") private func openPseudoTerminal(_ flags: Int32) -> Int32
@_silgen_name("grantpt") private func grantPseudoTerminal(_ descriptor: Int32) -> Int32
@_silgen_name("unlockpt") private func unlockPseudoTerminal(_ descriptor: Int32) -> Int32
@_silgen_name("ptsname") private func pseudoTerminalName(_ descriptor: Int32) -> UnsafeMutablePointer<CChar>?

/// Sets `process` up to run the built `vae` (`binary`) with `arguments` in `directory`: this process's
/// environment without the download override, plus `extra`; no standard input.
func configureVAE(_ process: Process, binary: URL, arguments: [String], directory: URL, environment extra: [String: String]) {
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment["VAE_DOWNLOAD_BASE_URL"] = nil
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
}
