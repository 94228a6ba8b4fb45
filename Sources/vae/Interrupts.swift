import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal (SIGINT or SIGTERM) that asked the running command to stop; 0 while none has.
private let requestedStop = Atomic<Int32>(0)

/// The lines the handler prints (with write(2), which a signal handler may call): on the first signal
/// (set by `install`, before any signal can come), and before the process ends at once on a second.
nonisolated(unsafe) private var stoppingLine: StaticString = Interrupts.afterBatch
private let stoppedAtOnceLine: StaticString = "\nStopped at once (second interrupt).\n"

/// Ctrl-C (SIGINT), SIGTERM and a closed standard output for a command that stops cleanly, such as `vae train`.
///
/// The first signal only records itself (an atomic exchange, and a line saying the command is stopping,
/// which is all a signal handler may safely do); the command polls `requested` at points where stopping
/// loses nothing (between batches) and ends there. A second
/// signal ends the process at once. Either way the exit status is 128 + the signal number (130 for
/// SIGINT, 143 for SIGTERM, 141 for a closed pipe), the shells' convention for a command ended by a signal.
enum Interrupts {
    /// Installs the handlers for SIGINT and SIGTERM, and lets both reach them (a parent may have blocked
    /// them, and a child inherits the mask). A signal the process was started with ignored (a background
    /// job of a script, `nohup`) stays ignored, as the shells' convention asks.
    /// The first signal's line for a command that stops between batches (`vae train`).
    static let afterBatch: StaticString = "\nStopping after the current batch (interrupt again to stop at once).\n"
    /// The first signal's line for `vae download`.
    static let afterTransfer: StaticString = "\nStopping the download (interrupt again to stop at once).\n"

    /// - Parameter line: what the first signal prints (default `afterBatch`).
    static func install(line: StaticString = afterBatch) {
        // Touch the globals first: a global is set up on first use, which a signal handler must not be the one to do.
        stoppingLine = line
        requestedStop.store(0, ordering: .sequentiallyConsistent)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            let previous = requestedStop.exchange(signal, ordering: .sequentiallyConsistent)
            guard previous != 0 else {
                _ = stoppingLine.withUTF8Buffer { write(STDERR_FILENO, $0.baseAddress, $0.count) }
                return
            }
            _ = stoppedAtOnceLine.withUTF8Buffer { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            _exit(128 + signal)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM] {
            var previous = sigaction()
            sigaction(signal, nil, &previous)
            if unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            sigaction(signal, &action, nil)
            sigaddset(&signals, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        // A reader of standard output that goes away (`vae train | head`, or a Ctrl-C that also ends the
        // reader) then stops the command like an interrupt (see `say`) instead of killing it mid-run.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Asks the command to stop as `signal` would (the first request counts).
    static func request(_ signal: Int32) {
        _ = requestedStop.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
    }

    /// The signal that asked to stop, or nil when none has.
    static var requested: Int32? {
        let signal = requestedStop.load(ordering: .sequentiallyConsistent)
        return signal == 0 ? nil : signal
    }

    /// The exit status for a command ended by `signal`: 128 + its number.
    static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    /// What stopped the command, for messages: "Ctrl-C", "SIGTERM" or "standard output closed".
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "Ctrl-C"
        case SIGPIPE: return "standard output closed"
        default: return "SIGTERM"
        }
    }
}
