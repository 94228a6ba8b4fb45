import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file operation failed, in a few lower-case words without a final period, to go inside a
/// sentence: "runs/run-001: cannot create the run folder: read-only file system. Pass a writable --out DIR."
///
/// Foundation's own descriptions are whole sentences that end in a period ("The operation could not be
/// completed. The volume is read only.") or name no reason at all ("(NSCocoaErrorDomain error 512.)").
/// This takes the operating system's reason behind them instead, the text of the underlying POSIX error
/// ("Read-only file system", "Not a directory", "Permission denied", "No space left on device"), with its
/// first letter lower-cased; without one it falls back to Foundation's text, without the "could not be
/// completed" preamble and without the final period.
public func fileErrorReason(_ error: Error) -> String {
    if let code = posixCode(error) { return fileErrorReason(errno: code) }
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? Error, let code = posixCode(underlying) {
        return fileErrorReason(errno: code)
    }
    var text = nsError.localizedDescription
    for preamble in ["The operation could not be completed. ", "The operation couldn’t be completed. "]
    where text.hasPrefix(preamble) {
        text.removeFirst(preamble.count)
    }
    return sentenceFragment(text)
}

/// The POSIX error number `error` carries, if it is a POSIX error (a `POSIXError`, or an `NSError` of its domain).
private func posixCode(_ error: Error) -> Int32? {
    if let posix = error as? POSIXError { return posix.code.rawValue }
    let nsError = error as NSError
    return nsError.domain == NSPOSIXErrorDomain ? Int32(nsError.code) : nil
}

/// The text of a POSIX error number, as a fragment: `EROFS` → "read-only file system".
public func fileErrorReason(errno code: Int32) -> String {
    sentenceFragment(String(cString: strerror(code)))
}

/// `text` with its first letter lower-cased (unless the first word is an acronym such as "HTTP") and
/// without the periods and spaces at its end, so that it can be followed by ". " or "; ".
public func sentenceFragment(_ text: String) -> String {
    var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
    while result.hasSuffix(".") { result.removeLast() }
    guard let first = result.first else { return result }
    let firstWord = result.prefix { $0.isLetter }
    if firstWord.count > 1 && firstWord.allSatisfy(\.isUppercase) { return result }
    return first.lowercased() + result.dropFirst()
}
