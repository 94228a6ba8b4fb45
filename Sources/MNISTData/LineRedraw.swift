import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether progress may be drawn in place on `fileDescriptor` (a carriage return and the erase-line
/// escape `ESC[K` before each redraw): only on a terminal that understands escape codes. A pipe or a
/// file, and a terminal whose `TERM` is `dumb` or unset (Emacs shells, some CI consoles), get plain
/// lines instead, with no escape byte.
/// - Parameters:
///   - fileDescriptor: where the progress goes, e.g. `STDERR_FILENO`.
///   - environment: the variables to read `TERM` from; default the process's.
public func redrawsLines(on fileDescriptor: Int32,
                         environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
    guard isatty(fileDescriptor) == 1 else { return false }
    guard let term = environment["TERM"], !term.isEmpty, term != "dumb" else { return false }
    return true
}
