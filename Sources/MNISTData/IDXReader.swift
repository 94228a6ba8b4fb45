import FileErrors
import Foundation

/// Reads IDX files (the MNIST file format), gzip-compressed or raw, with every check done before
/// any size from the file is trusted.
///
/// Layout: bytes 0–1 are zero, byte 2 is the element type code, byte 3 the number of
/// dimensions `r`; then `r` big-endian UInt32 dimensions; then `product(dims) * width` bytes of
/// big-endian elements, row-major, and nothing else.
public enum IDXReader {
    /// Default limit on the decompressed size of one file: 2 GiB.
    public static let defaultMaximumBytes = 2 << 30

    /// Reads and validates the IDX file at `url`; gzip is detected from the magic bytes `1f 8b`.
    ///
    /// - Parameters:
    ///   - url: a file URL, `.gz` or raw.
    ///   - maximumBytes: refuse files whose (decompressed) payload would exceed this many bytes;
    ///     default `defaultMaximumBytes` (2 GiB). Checked before allocating.
    /// - Returns: the array, shape and type from the header.
    /// - Throws: `IDXError` naming the file and the problem.
    public static func read(contentsOf url: URL, maximumBytes: Int = defaultMaximumBytes) throws -> IDXArray {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IDXError.fileNotFound(file: path)
        }
        if isDirectory.boolValue { throw IDXError.isDirectory(file: path) }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
           size > maximumBytes + maximumHeaderBytes {
            throw IDXError.tooLarge(file: path, bytes: size, limitBytes: maximumBytes)
        }
        let contents: [UInt8]
        do {
            contents = [UInt8](try Data(contentsOf: url))
        } catch {
            throw IDXError.unreadable(file: path, reason: fileErrorReason(error))
        }
        return try decode(fileContents: contents, file: path, maximumBytes: maximumBytes)
    }

    /// Decodes the contents of an IDX file already in memory (gzip-compressed or raw).
    ///
    /// - Parameters:
    ///   - fileContents: the bytes of the file as stored on disk.
    ///   - file: the name used in error messages.
    ///   - maximumBytes: limit on the decompressed payload; default 2 GiB.
    /// - Throws: `IDXError`.
    public static func decode(fileContents: [UInt8], file: String, maximumBytes: Int = defaultMaximumBytes) throws -> IDXArray {
        if hasGzipMagic(fileContents) {
            var stream = try GzipByteStream(compressed: fileContents, file: file)
            return try decode(stream: &stream, file: file, maximumBytes: maximumBytes)
        }
        var stream = RawByteStream(bytes: fileContents)
        return try decode(stream: &stream, file: file, maximumBytes: maximumBytes)
    }

    /// The largest possible header: 4 bytes plus 255 dimensions of 4 bytes.
    static let maximumHeaderBytes = 4 + 4 * 255

    static func decode<S: ByteStream>(stream: inout S, file: String, maximumBytes: Int) throws -> IDXArray {
        var head = [UInt8](repeating: 0, count: 4)
        let headCount = try head.withUnsafeMutableBytes { try stream.read(into: $0) }
        if headCount >= 2 && (head[0] != 0 || head[1] != 0) {
            throw IDXError.badMagic(file: file, firstBytes: Array(head[0..<headCount]))
        }
        if headCount == 1 && head[0] != 0 {
            throw IDXError.badMagic(file: file, firstBytes: [head[0]])
        }
        guard headCount == 4 else { throw IDXError.headerTooShort(file: file, expectedBytes: 4, actualBytes: headCount) }
        guard let elementType = IDXElementType(rawValue: head[2]) else {
            throw IDXError.unsupportedElementType(file: file, code: head[2])
        }
        let rank = Int(head[3])
        guard rank > 0 else { throw IDXError.zeroDimensions(file: file) }

        let headerBytes = 4 + 4 * rank
        var dimensionBytes = [UInt8](repeating: 0, count: 4 * rank)
        let dimensionCount = try dimensionBytes.withUnsafeMutableBytes { try stream.read(into: $0) }
        guard dimensionCount == 4 * rank else {
            throw IDXError.headerTooShort(file: file, expectedBytes: headerBytes, actualBytes: 4 + dimensionCount)
        }
        var shape: [Int] = []
        shape.reserveCapacity(rank)
        for d in 0..<rank {
            let b = dimensionBytes[(4 * d)...]
            let value = UInt32(b[4 * d]) << 24 | UInt32(b[4 * d + 1]) << 16 | UInt32(b[4 * d + 2]) << 8 | UInt32(b[4 * d + 3])
            shape.append(Int(value))
        }
        var payloadBytes = elementType.byteWidth
        for d in shape {
            let (product, overflow) = payloadBytes.multipliedReportingOverflow(by: d)
            guard !overflow else { throw IDXError.sizeOverflow(file: file, shape: shape) }
            payloadBytes = product
        }
        guard payloadBytes <= maximumBytes else {
            throw IDXError.tooLarge(file: file, bytes: payloadBytes, limitBytes: maximumBytes)
        }

        // Nothing is allocated on the header's word alone: a raw file must hold the bytes already, and a
        // gzip stream's buffer grows only as decompressed bytes arrive (at most doubling, so a 100-byte
        // file claiming gigabytes costs kilobytes before it is found truncated).
        if let available = stream.remainingByteCount, available < payloadBytes {
            throw IDXError.truncated(file: file, expectedBytes: headerBytes + payloadBytes, actualBytes: headerBytes + available)
        }
        let payload = try readPayload(from: &stream, byteCount: payloadBytes)
        guard payload.count == payloadBytes else {
            throw IDXError.truncated(file: file, expectedBytes: headerBytes + payloadBytes, actualBytes: headerBytes + payload.count)
        }
        // One byte more must not exist; for gzip this also runs the stream to its end, which checks the CRC.
        var extra: UInt8 = 0
        let extraCount = try withUnsafeMutableBytes(of: &extra) { try stream.read(into: $0) }
        guard extraCount == 0 else { throw IDXError.trailingBytes(file: file, expectedBytes: headerBytes + payloadBytes) }
        return IDXArray(elementType: elementType, shape: shape, bytes: payload)
    }

    /// The first bytes a growing buffer takes before it doubles: 64 KiB.
    static let initialPayloadChunk = 1 << 16

    /// Reads up to `byteCount` bytes into one buffer of that size when the stream could hold them (its
    /// `remainingByteBound`: a gzip file of c compressed bytes yields at most 1032 c, so a small file
    /// claiming gigabytes never gets them); else in chunks that double from `initialPayloadChunk`, so the
    /// buffer never outgrows twice the bytes read. A real data set thus costs its own bytes once, not the
    /// transient copies of a growing buffer.
    /// - Returns: the bytes read, fewer than `byteCount` only when the stream ended first.
    static func readPayload<S: ByteStream>(from stream: inout S, byteCount: Int) throws -> [UInt8] {
        if stream.remainingByteBound >= byteCount {
            var payload = [UInt8](repeating: 0, count: byteCount)
            let got = try payload.withUnsafeMutableBytes { try stream.read(into: $0) }
            payload.removeSubrange(got...)
            return payload
        }
        var payload: [UInt8] = []
        while payload.count < byteCount {
            let chunk = min(byteCount - payload.count, max(payload.count, initialPayloadChunk))
            let start = payload.count
            payload.append(contentsOf: [UInt8](repeating: 0, count: chunk))
            let got = try payload.withUnsafeMutableBytes { buffer in
                try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + chunk)]))
            }
            if got < chunk {
                payload.removeSubrange((start + got)...)
                break
            }
        }
        return payload
    }
}
