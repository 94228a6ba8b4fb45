#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes every byte of `buffer` to the open file `descriptor`, retrying short writes and calls
/// interrupted by a signal (`EINTR`), the one write loop behind every file, pipe and stream `vae` writes.
/// - Returns: nil when all bytes were written, else the errno of the failure (`ENOSPC` on a full disk,
///   `EPIPE` on a closed pipe); turn it into words with `fileErrorReason(errno:)`.
public func writeAll(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32? {
    guard let base = buffer.baseAddress else { return nil }
    var offset = 0
    while offset < buffer.count {
        let written = write(descriptor, base + offset, buffer.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += written
    }
    return nil
}
