// Process-level measurements for `vae bench`: peak resident memory, child processes timed and
// measured one by one (posix_spawn + wait4), and a few facts about the machine.

import FileErrors
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from launching or measuring a child process.
enum ResourceUsageError: Error, CustomStringConvertible, LocalizedError {
    /// `posix_spawn` refused to start the program (for example a missing or non-executable file).
    case spawnFailed(executable: String, code: Int32)
    /// `wait4` failed while waiting for the child.
    case waitFailed(executable: String, code: Int32)
    /// The working directory of the child could not be entered.
    case workingDirectory(path: String)

    var description: String {
        switch self {
        case .spawnFailed(let executable, let code):
            return "could not start \(executable): \(fileErrorReason(errno: code))"
        case .waitFailed(let executable, let code):
            return "waiting for \(executable) failed: \(fileErrorReason(errno: code))"
        case .workingDirectory(let path):
            return "could not enter the working directory \(path)"
        }
    }

    var errorDescription: String? { description }
}

/// Converts a `ru_maxrss` value to bytes (Linux reports kilobytes, macOS bytes).
/// - Parameter maxrss: the `ru_maxrss` field of a `rusage`.
func maxRSSBytes(_ maxrss: Int) -> Int {
    #if os(Linux)
    return maxrss * 1024
    #else
    return maxrss
    #endif
}

/// Peak resident set size of this process's own memory so far, in bytes: on Linux `VmHWM` of
/// /proc/self/status, the peak of the memory `exec` gave this program (a child started now counts it
/// into its own peak); elsewhere, or when that file cannot be read, `getrusage(RUSAGE_SELF)`, which on
/// Linux also holds what the process that started this one had when it did.
func selfPeakRSSBytes() -> Int {
    #if os(Linux)
    do {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        // A line such as `VmHWM:\t   48812 kB` (a tab, then spaces).
        if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
    } catch {
        // Not mounted or not readable: the rusage figure below is the next best.
    }
    #endif
    var usage = rusage()
    #if os(Linux)
    let who = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    let who = RUSAGE_SELF
    #endif
    guard getrusage(who, &usage) == 0 else { return 0 }
    return maxRSSBytes(Int(usage.ru_maxrss))
}

/// What a finished child process did.
struct ChildResult: Sendable {
    /// Exit status (0 = success), or 128 + signal number when it was killed by a signal.
    var status: Int32
    /// Wall time from spawn to exit, seconds.
    var wallSeconds: Double
    /// Peak resident set size of the child alone, bytes (from `wait4`'s `rusage`).
    var peakRSSBytes: Int
    /// Everything the child wrote to standard output.
    var standardOutput: String
    /// Everything the child wrote to standard error.
    var standardError: String

    /// The last non-empty lines of stderr (or stdout when stderr is empty), for messages.
    func messageTail(lines: Int = 3) -> String {
        let text = standardError.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? standardOutput : standardError
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines)
        return kept.joined(separator: " / ")
    }
}

/// Runs a program to completion and measures its wall time and its own peak memory.
///
/// Uses `posix_spawn` and `wait4`, so the memory figure is that child's (unlike `RUSAGE_CHILDREN`,
/// which keeps the maximum over every child ever waited for). On Linux it is at least this process's
/// own peak (`selfPeakRSSBytes`) when it spawns the child: `exec` counts the peak of the memory it
/// replaces, which is the parent's until then. Spawn while this process is small. Standard output
/// and error go to files in `captureFolder` and are read back after the child exits.
/// - Parameters:
///   - executable: absolute path of the program.
///   - arguments: arguments after the program name.
///   - workingDirectory: the child's current directory.
///   - captureFolder: an existing folder for the output files.
///   - environment: the child's environment; default this process's.
/// - Throws: `ResourceUsageError` when the program cannot be started or waited for.
func runMeasured(executable: String, arguments: [String], workingDirectory: URL, captureFolder: URL,
                 environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ChildResult {
    let stamp = UUID().uuidString.prefix(8)
    let outURL = captureFolder.appendingPathComponent("child-\(stamp).out")
    let errURL = captureFolder.appendingPathComponent("child-\(stamp).err")
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }

    func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] { strings.map { strdup($0) } + [nil] }
    let argv = cStrings([executable] + arguments)
    let envp = cStrings(environment.map { "\($0.key)=\($0.value)" }.sorted())
    defer {
        for p in argv { free(p) }
        for p in envp { free(p) }
    }

    #if os(Linux)
    var actions = posix_spawn_file_actions_t()
    #else
    var actions: posix_spawn_file_actions_t? = nil
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

    // The child inherits the current directory at spawn time; switch to it only around the spawn.
    let fileManager = FileManager.default
    let previousDirectory = fileManager.currentDirectoryPath
    guard fileManager.changeCurrentDirectoryPath(workingDirectory.path) else {
        throw ResourceUsageError.workingDirectory(path: workingDirectory.path)
    }
    var pid = pid_t()
    let start = DispatchTime.now().uptimeNanoseconds
    let spawnCode = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    _ = fileManager.changeCurrentDirectoryPath(previousDirectory)
    guard spawnCode == 0 else { throw ResourceUsageError.spawnFailed(executable: executable, code: spawnCode) }

    var rawStatus: Int32 = 0
    var usage = rusage()
    while wait4(pid, &rawStatus, 0, &usage) == -1 {
        let code = errno
        if code != EINTR { throw ResourceUsageError.waitFailed(executable: executable, code: code) }
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
    let signal = rawStatus & 0x7f
    let status: Int32 = signal == 0 ? (rawStatus >> 8) & 0xff : 128 + signal
    let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return ChildResult(status: status, wallSeconds: wall, peakRSSBytes: maxRSSBytes(Int(usage.ru_maxrss)),
                       standardOutput: out, standardError: err)
}

/// The path of the running executable (`/proc/self/exe` on Linux, else `Bundle.main`).
func currentExecutablePath() -> String? {
    #if os(Linux)
    if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        return resolved
    }
    #endif
    return Bundle.main.executableURL?.resolvingSymlinksInPath().path
}

/// The CPU model name from `/proc/cpuinfo` (first `model name` line), or `"unknown"`.
func cpuModelName() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
        if let colon = line.firstIndex(of: ":") {
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
    return "unknown"
}

/// The CPU for benchmark reports: the model name with its family and model numbers and the widest
/// vector extensions it has, e.g. `AMD EPYC (family 25, model 1; AVX2, FMA)`.
func cpuDescription() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return cpuModelName() }
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces)
        if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
    }
    let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
    let vector = [("avx512f", "AVX-512"), ("avx2", "AVX2"), ("fma", "FMA"), ("asimd", "NEON")]
        .filter { flags.contains($0.0) }.map(\.1)
    var details: [String] = []
    if let family = fields["cpu family"], let model = fields["model"] { details.append("family \(family), model \(model)") }
    if !vector.isEmpty { details.append(vector.joined(separator: ", ")) }
    return cpuModelName() + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
}

/// The 1-, 5- and 15-minute load averages from `/proc/loadavg`, or `nil` where it is not available.
/// A load near or above the core count while benchmarking means other work competed for the CPUs.
func loadAverages() -> [Double]? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
    return values.count == 3 ? values : nil
}

/// The first `cpu MHz` value of `/proc/cpuinfo`, or `nil`.
func cpuMegahertz() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
        if let colon = line.firstIndex(of: ":") {
            return Double(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }
    return nil
}
