// A `vae` child process the test talks to while it runs: its standard output is read line by line as it
// comes (to wait for a given line), and signals can be sent to it.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class RunningVAE: @unchecked Sendable {
    let arguments: [String]
    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrURL: URL
    private let lock = NSLock()
    private let changed = NSCondition()
    private var received = Data()
    private var outputEnded = false
    private let finished = DispatchSemaphore(value: 0)
    private let start = Date()

    /// Starts `vae arguments` in `directory` with stderr going to `stderrURL`.
    init(arguments: [String], directory: URL, stderrURL: URL, environment extra: [String: String] = [:]) throws {
        self.arguments = arguments
        self.stderrURL = stderrURL
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer { try? stderrHandle.close() }
        configureVAE(process, binary: try VAEBinary.require(), arguments: arguments, directory: directory, environment: extra)
        process.standardOutput = stdoutPipe
        process.standardError = stderrHandle
        process.terminationHandler = { [finished] _ in finished.signal() }
        let reader = stdoutPipe.fileHandleForReading
        reader.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self else { return }
            self.changed.lock()
            if chunk.isEmpty {
                self.outputEnded = true
                handle.readabilityHandler = nil
            } else {
                self.received.append(chunk)
            }
            self.changed.broadcast()
            self.changed.unlock()
        }
        try Self.runWithSignalsUnblocked(process)
    }

    /// Starts `process` from a thread that blocks no signal: a child inherits its parent thread's signal
    /// mask, and the test runner's threads block SIGINT and SIGTERM, which would hide them from the child.
    private static func runWithSignalsUnblocked(_ process: Process) throws {
        nonisolated(unsafe) var failure: Error?
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run() } catch { failure = error }
            started.signal()
        }
        thread.start()
        started.wait()
        if let failure { throw failure }
    }

    var pid: Int32 { process.processIdentifier }

    /// Standard output so far.
    var stdout: String {
        changed.lock()
        defer { changed.unlock() }
        return String(decoding: received, as: UTF8.self)
    }

    /// Waits until a line of standard output satisfies `matches`; returns it, or nil after `timeout`
    /// seconds or when the output ends first.
    func waitForLine(timeout: Double = 120, where matches: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            let lines = String(decoding: received, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            // Only complete lines count.
            let complete = received.last == UInt8(ascii: "\n") ? lines : lines.dropLast()
            if let line = complete.first(where: { matches(String($0)) }) { return String(line) }
            if outputEnded || !changed.wait(until: deadline) { return nil }
        }
    }

    /// Waits until standard error holds `text`; false after `timeout` seconds.
    func waitForStderr(containing text: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = try? Data(contentsOf: stderrURL), String(decoding: data, as: UTF8.self).contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end (killing it after `timeout` seconds) and returns what it did.
    func wait(timeout: Double = 120) -> CommandResult {
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        // Let the reader drain what is left in the pipe.
        changed.lock()
        let drainDeadline = Date().addingTimeInterval(5)
        while !outputEnded && changed.wait(until: drainDeadline) {}
        changed.unlock()
        let stderr = String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self)
        return CommandResult(arguments: arguments, status: process.terminationStatus,
                             crashed: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
                             stdout: stdout, stderr: stderr, seconds: Date().timeIntervalSince(start))
    }
}

extension Sandbox {
    /// Starts `vae arguments` in the working folder without waiting for it.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningVAE {
        try RunningVAE(arguments: arguments, directory: directory,
                       stderrURL: root.appendingPathComponent("stderr-\(UUID().uuidString).txt"), environment: environment)
    }
}
