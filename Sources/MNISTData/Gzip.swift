import CZlib
import Foundation

/// Whether `bytes` start with the gzip magic number `1f 8b`.
func hasGzipMagic<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
    var it = bytes.makeIterator()
    return it.next() == 0x1F && it.next() == 0x8B
}

/// A source of bytes read front to back: a raw buffer or a gzip stream being inflated.
protocol ByteStream {
    /// Fills `buffer` as far as the stream allows; returns the number of bytes written, which is
    /// less than `buffer.count` only at the end of the stream.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The bytes left when the stream knows them without reading (raw bytes), else nil (gzip: only
    /// inflating tells).
    var remainingByteCount: Int? { get }
    /// The most bytes the stream can still give: the bytes left for raw bytes; for gzip, deflate's
    /// largest expansion (1032 output bytes per input byte) of the compressed bytes not yet read.
    var remainingByteBound: Int { get }
}

/// Bytes already in memory.
struct RawByteStream: ByteStream {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var remainingByteCount: Int? { bytes.count - offset }
    var remainingByteBound: Int { bytes.count - offset }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: n)
            }
            offset += n
        }
        return n
    }
}

/// Inflates a gzip stream (also zlib, through windowBits 15 + 32) chunk by chunk, so the caller
/// decides how much output may exist; concatenated gzip members are read one after another.
final class GzipByteStream: ByteStream {
    private let compressed: [UInt8]
    private let file: String
    private var inputOffset = 0
    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false

    /// - Parameters:
    ///   - compressed: the whole compressed file.
    ///   - file: the path, for error messages.
    init(compressed: [UInt8], file: String) throws {
        self.compressed = compressed
        self.file = file
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw IDXError.corruptGzip(file: file, reason: "zlib could not start inflating (status \(status))")
        }
    }

    var remainingByteCount: Int? { nil }

    /// Deflate codes at most 258 bytes (one match) in 2 bits, so no input byte yields more than 1032
    /// output bytes (zlib's "maximum compression factor").
    static let maximumExpansion = 1032

    var remainingByteBound: Int {
        let (bound, overflow) = (compressed.count - inputOffset).multipliedReportingOverflow(by: Self.maximumExpansion)
        return overflow ? Int.max : bound
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var produced = 0
        while produced < buffer.count && !finished {
            let remainingIn = compressed.count - inputOffset
            let wantOut = min(buffer.count - produced, Int(UInt32.max))
            let chunkIn = min(remainingIn, Int(UInt32.max))
            let (status, consumed, written): (Int32, Int, Int) = compressed.withUnsafeBufferPointer { input in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + inputOffset })
                stream.pointee.avail_in = UInt32(chunkIn)
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + produced
                stream.pointee.avail_out = UInt32(wantOut)
                let status = inflate(stream, Z_NO_FLUSH)
                let consumed = chunkIn - Int(stream.pointee.avail_in)
                let written = wantOut - Int(stream.pointee.avail_out)
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
                return (status, consumed, written)
            }
            inputOffset += consumed
            produced += written
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated .gz files).
                let rest = compressed[inputOffset...]
                if rest.isEmpty {
                    finished = true
                } else if hasGzipMagic(rest) {
                    guard inflateReset(stream) == Z_OK else {
                        throw IDXError.corruptGzip(file: file, reason: "zlib could not start the next gzip member")
                    }
                } else {
                    throw IDXError.corruptGzip(file: file, reason: "\(rest.count) unexpected bytes after the end of the gzip data")
                }
            case Z_BUF_ERROR:
                // No progress possible: either the output is full (loop ends) or the input ran out.
                if written == 0 && consumed == 0 {
                    if inputOffset >= compressed.count { throw IDXError.truncatedGzip(file: file) }
                    throw IDXError.corruptGzip(file: file, reason: "inflate made no progress")
                }
            case Z_DATA_ERROR:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "invalid deflate data"
                throw IDXError.corruptGzip(file: file, reason: message)
            case Z_MEM_ERROR:
                throw IDXError.corruptGzip(file: file, reason: "zlib ran out of memory")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw IDXError.corruptGzip(file: file, reason: message)
            }
        }
        return produced
    }
}

/// Gzip-compresses `bytes` (one member, default compression level). Used to write test files.
///
/// - Parameter bytes: the data to compress.
/// - Returns: a complete gzip member (magic `1f 8b`, deflate data, CRC-32 and size trailer).
func gzipCompress(_ bytes: [UInt8]) -> [UInt8] {
    // zlib keeps a pointer back to the stream, so the stream must not move between calls.
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deinitialize(count: 1); stream.deallocate() }
    let status = deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK, "deflateInit2 failed with status \(status)")
    defer { deflateEnd(stream) }
    let bound = Int(deflateBound(stream, uLong(bytes.count))) + 32
    var out = [UInt8](repeating: 0, count: bound)
    var input = bytes
    let written: Int = input.withUnsafeMutableBufferPointer { inBuf in
        out.withUnsafeMutableBufferPointer { outBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = UInt32(inBuf.count)
            stream.pointee.next_out = outBuf.baseAddress
            stream.pointee.avail_out = UInt32(outBuf.count)
            let result = deflate(stream, Z_FINISH)
            precondition(result == Z_STREAM_END, "deflate did not finish (status \(result))")
            return outBuf.count - Int(stream.pointee.avail_out)
        }
    }
    out.removeSubrange(written...)
    return out
}
