import FileErrors
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why standard output stopped taking lines (nil while it works).
private let standardOutputFailure = Mutex<Int32?>(nil)

/// Whether `say` writes to standard error because standard output carries an output file.
private let reportsOnStandardError = Atomic<Bool>(false)

/// Writes a line to standard output at once (unbuffered, so logs keep their order when piped).
///
/// A failed write never stops the program in the middle of its work (Foundation's `FileHandle.write(_:)`
/// would trap): a closed pipe (`EPIPE`, seen only where SIGPIPE is ignored, as in `vae train`) asks the
/// command to stop as an interrupt does; any other failure (a full disk) is reported once on standard
/// error and the command ends with status 1 (`StandardStreams.exitStatus`). Later lines are dropped.
///
/// When the command's output file is standard output (`-o -`), the lines go to standard error instead.
func say(_ text: String) {
    if reportsOnStandardError.load(ordering: .relaxed) {
        printError(text)
        return
    }
    let failed = standardOutputFailure.withLock { $0 != nil }
    guard !failed, let error = StandardStreams.write(text + "\n", to: STDOUT_FILENO) else { return }
    standardOutputFailure.withLock { $0 = error }
    if error == EPIPE {
        Interrupts.request(SIGPIPE)
    } else {
        printError("Error: cannot write to standard output: \(fileErrorReason(errno: error)); its further lines are dropped.")
    }
}

/// Writes a line to standard error (where a failure has nowhere left to be reported).
func printError(_ text: String) {
    _ = StandardStreams.write(text + "\n", to: STDERR_FILENO)
}

enum StandardStreams {
    /// From now on, `say` writes to standard error: standard output carries an output file's bytes.
    static func reportToStandardError() { reportsOnStandardError.store(true, ordering: .relaxed) }

    /// Whether `path` (followed through links) is the file, device or pipe that standard output writes to.
    static func isStandardOutput(_ path: String) -> Bool {
        var target = stat(), output = stat()
        guard stat(path, &target) == 0, fstat(STDOUT_FILENO, &output) == 0 else { return false }
        return target.st_dev == output.st_dev && target.st_ino == output.st_ino
    }

    /// Writes all of `text` to `descriptor`; returns the errno of a failure.
    static func write(_ text: String, to descriptor: Int32) -> Int32? {
        Array(text.utf8).withUnsafeBytes { writeAll($0, to: descriptor) }
    }

    /// 1 when a line could not be written to standard output for another reason than a closed pipe, else nil.
    static var exitStatus: Int32? {
        standardOutputFailure.withLock { error in
            guard let error, error != EPIPE else { return nil }
            return 1
        }
    }
}
