import Foundation
import Testing
@testable import MNISTData

@Suite("IDX reader")
struct IDXReaderTests {
    @Test("every element type round-trips through encode and decode, big-endian")
    func elementTypes() throws {
        // Int16 -2 = ff fe; Int32 258 = 00 00 01 02; Float32 1.5 = 3f c0 00 00; Float64 -2.0 = c0 00 00 00 00 00 00 00
        let cases: [(IDXElementType, [UInt8], [Float])] = [
            (.uint8, [0, 255], [0, 255]),
            (.int8, [0x80, 0x7F], [-128, 127]),
            (.int16, [0xFF, 0xFE, 0x01, 0x00], [-2, 256]),
            (.int32, [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFF], [258, -1]),
            (.float32, [0x3F, 0xC0, 0, 0, 0xC0, 0x20, 0, 0], [1.5, -2.5]),
            (.float64, [0xC0, 0, 0, 0, 0, 0, 0, 0, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0], [-2, 1]),
        ]
        for (type, payload, expected) in cases {
            let file: [UInt8] = [0, 0, type.rawValue, 1] + bigEndian(2) + payload
            let array = try IDXReader.decode(fileContents: file, file: "t.idx")
            #expect(array.elementType == type)
            #expect(array.shape == [2])
            #expect(array.floatValues() == expected, "type \(type)")
            #expect(array.encoded() == file)
            #expect((array.uint8Values != nil) == (type == .uint8))
            #expect((array.intValues() != nil) == type.isInteger)
        }
    }

    @Test("any number of dimensions is read, shape kept")
    func dimensions() throws {
        let array = IDXArray(elementType: .int16, shape: [2, 1, 3, 2], bytes: [UInt8](repeating: 1, count: 24))
        let decoded = try IDXReader.decode(fileContents: array.encoded(), file: "t")
        #expect(decoded.shape == [2, 1, 3, 2])
        #expect(decoded.elementCount == 12)
        #expect(decoded.intValues() == [Int](repeating: 257, count: 12))
    }

    @Test("gzip and raw files give the same array; multi-member gzip is read whole")
    func gzipAndRaw() throws {
        try withTemporaryDirectory { folder in
            let array = imagesIDX(count: 7, height: 3, width: 2)
            let bytes = array.encoded()
            let raw = try write(bytes, to: folder, name: "raw-idx3-ubyte")
            let gz = try write(gzipCompress(bytes), to: folder, name: "one.gz")
            let split = bytes.count / 2
            let multi = try write(gzipCompress(Array(bytes[..<split])) + gzipCompress(Array(bytes[split...])), to: folder, name: "two.gz")
            #expect(try IDXReader.read(contentsOf: raw) == array)
            #expect(try IDXReader.read(contentsOf: gz) == array)
            #expect(try IDXReader.read(contentsOf: multi) == array)
        }
    }

    /// Decodes `bytes` and returns the thrown IDXError (nil if none).
    func error(decoding bytes: [UInt8], maximumBytes: Int = IDXReader.defaultMaximumBytes) -> IDXError? {
        do {
            _ = try IDXReader.decode(fileContents: bytes, file: "bad.idx", maximumBytes: maximumBytes)
            return nil
        } catch let error as IDXError {
            return error
        } catch {
            return nil
        }
    }

    @Test("malformed headers are refused with the specific error")
    func malformedHeaders() {
        #expect(error(decoding: [0x3C, 0x68, 0x74, 0x6D, 0x6C]) == .badMagic(file: "bad.idx", firstBytes: [0x3C, 0x68, 0x74, 0x6D]))
        #expect(error(decoding: [0, 0, 0x0A, 1] + bigEndian(1) + [0]) == .unsupportedElementType(file: "bad.idx", code: 0x0A))
        #expect(error(decoding: [0, 0, 0x08, 0]) == .zeroDimensions(file: "bad.idx"))
        #expect(error(decoding: []) == .headerTooShort(file: "bad.idx", expectedBytes: 4, actualBytes: 0))
        #expect(error(decoding: [0, 0, 8]) == .headerTooShort(file: "bad.idx", expectedBytes: 4, actualBytes: 3))
        #expect(error(decoding: [0, 0, 8, 3] + bigEndian(2) + [0, 0]) == .headerTooShort(file: "bad.idx", expectedBytes: 16, actualBytes: 10))
    }

    @Test("payload shorter or longer than the header says is refused")
    func payloadLength() {
        let header: [UInt8] = [0, 0, 0x0B, 2] + bigEndian(2) + bigEndian(3)  // 12 bytes payload
        #expect(error(decoding: header + [UInt8](repeating: 0, count: 11))
                == .truncated(file: "bad.idx", expectedBytes: 24, actualBytes: 23))
        #expect(error(decoding: header + [UInt8](repeating: 0, count: 13)) == .trailingBytes(file: "bad.idx", expectedBytes: 24))
        #expect(error(decoding: header + [UInt8](repeating: 0, count: 12)) == nil)
        // Same checks through gzip.
        #expect(error(decoding: gzipCompress(header + [UInt8](repeating: 0, count: 5)))
                == .truncated(file: "bad.idx", expectedBytes: 24, actualBytes: 17))
        #expect(error(decoding: gzipCompress(header + [UInt8](repeating: 0, count: 14))) == .trailingBytes(file: "bad.idx", expectedBytes: 24))
    }

    @Test("absurd sizes are refused before allocating, including a gzip bomb")
    func sizeLimits() {
        // 4 dimensions of 2^32-1 Float64s overflow Int.
        let huge: [UInt8] = [0, 0, 0x0E, 4] + [bigEndian(.max), bigEndian(.max), bigEndian(.max), bigEndian(.max)].flatMap { $0 }
        #expect(error(decoding: huge) == .sizeOverflow(file: "bad.idx", shape: [Int](repeating: Int(UInt32.max), count: 4)))
        // 3 × 65535 × 65535 bytes ≈ 12.9 GB: over the 2 GiB default.
        let big: [UInt8] = [0, 0, 8, 3] + bigEndian(3) + bigEndian(65535) + bigEndian(65535)
        #expect(error(decoding: big) == .tooLarge(file: "bad.idx", bytes: 3 * 65535 * 65535, limitBytes: IDXReader.defaultMaximumBytes))
        // A small header followed by megabytes of zeros: decompression stops one byte past the header's size.
        let bomb = gzipCompress([0, 0, 8, 1] + bigEndian(10) + [UInt8](repeating: 0, count: 8_000_000))
        #expect(bomb.count < 20_000)
        #expect(error(decoding: bomb) == .trailingBytes(file: "bad.idx", expectedBytes: 18))
        // An explicit limit applies to the payload.
        #expect(error(decoding: [0, 0, 8, 1] + bigEndian(100) + [UInt8](repeating: 0, count: 100), maximumBytes: 99)
                == .tooLarge(file: "bad.idx", bytes: 100, limitBytes: 99))
    }

    @Test("corrupt and truncated gzip streams are refused")
    func badGzip() {
        let good = gzipCompress(imagesIDX(count: 20, height: 8, width: 8).encoded())
        var corrupt = good
        corrupt[good.count / 2] ^= 0xFF
        corrupt[good.count / 2 + 1] ^= 0x55
        let corruptError = error(decoding: corrupt)
        if case .corruptGzip(let file, _) = corruptError { #expect(file == "bad.idx") } else {
            Issue.record("expected corruptGzip, got \(String(describing: corruptError))")
        }
        #expect(error(decoding: Array(good[..<(good.count - 20)])) == .truncatedGzip(file: "bad.idx"))
        // Only the CRC/size trailer missing: still a truncated stream.
        #expect(error(decoding: Array(good[..<(good.count - 8)])) == .truncatedGzip(file: "bad.idx"))
        // Bad CRC in the trailer.
        var badCRC = good
        badCRC[good.count - 8] ^= 0x01
        if case .corruptGzip = error(decoding: badCRC) {} else { Issue.record("a wrong CRC must be refused") }
        // Garbage after the gzip member.
        if case .corruptGzip = error(decoding: good + [1, 2, 3]) {} else { Issue.record("trailing garbage must be refused") }
    }

    @Test("missing file and folder paths give typed errors naming the path")
    func paths() throws {
        try withTemporaryDirectory { folder in
            let missing = folder.appendingPathComponent("nope-idx3-ubyte.gz")
            #expect(throws: IDXError.fileNotFound(file: missing.path)) { try IDXReader.read(contentsOf: missing) }
            #expect(throws: IDXError.isDirectory(file: folder.path)) { try IDXReader.read(contentsOf: folder) }
            let message = IDXError.fileNotFound(file: missing.path).description
            #expect(message.contains(missing.path))
            #expect(IDXError.truncated(file: "x.gz", expectedBytes: 10, actualBytes: 4).errorDescription?.contains("x.gz") == true)
        }
    }
}
