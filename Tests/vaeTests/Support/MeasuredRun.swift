// Runs `vae` as a child whose own peak memory is measured (wait4's rusage), to show that refusing an
// absurd size costs megabytes, not the gigabytes it claims.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one measured run of `vae` did.
struct MeasuredResult: CustomStringConvertible {
    let result: CommandResult
    /// The child's peak resident memory, in bytes.
    let peakBytes: Int

    var description: String { "\(result)\npeak memory: \(peakBytes >> 20) MiB" }
}

extension Sandbox {
    /// Runs `vae` in the working folder like `vae(arguments:)`, measuring the child's peak memory.
    /// The child is `/bin/sh -c 'cd DIR && exec vae …'`: the shell becomes `vae`, so the rusage is its.
    func vaeMeasured(arguments: [String], timeout: Double = 120, environment extra: [String: String] = [:]) throws -> MeasuredResult {
        let binary = try VAEBinary.require()
        let tag = UUID().uuidString
        let stdoutPath = root.appendingPathComponent("stdout-\(tag).txt").path
        let stderrPath = root.appendingPathComponent("stderr-\(tag).txt").path
        var environment = ProcessInfo.processInfo.environment
        environment["VAE_DOWNLOAD_BASE_URL"] = nil
        for (key, value) in extra { environment[key] = value }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path, binary.path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else { throw HarnessError("posix_spawn failed: \(String(cString: strerror(spawned)))") }

        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let waited = wait4(pid, &status, WNOHANG, &usage)
            if waited == pid { break }
            if waited < 0 && errno != EINTR { throw HarnessError("wait4 failed: \(String(cString: strerror(errno)))") }
            if Date().timeIntervalSince(start) > timeout && !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(10_000)
        }
        let signaled = (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
        let code = signaled ? status & 0x7F : (status >> 8) & 0xFF
        let stdout = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data(), as: UTF8.self)
        let result = CommandResult(arguments: arguments, status: code, crashed: signaled, timedOut: timedOut,
                                   stdout: stdout, stderr: stderr, seconds: Date().timeIntervalSince(start))
        return MeasuredResult(result: result, peakBytes: Int(usage.ru_maxrss) * 1024)
    }
}
