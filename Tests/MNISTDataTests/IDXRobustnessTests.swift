import Foundation
import FuzzSupport
import SeededRandom
import Testing
@testable import MNISTData

@Suite("IDX reader robustness", .serialized)
struct IDXRobustnessTests {
    /// An images header claiming 2.7 million 28×28 images (2,116,800,000 bytes, just under the 2 GiB limit)
    /// followed by `payload` bytes.
    static func lyingImagesFile(payload: Int) -> [UInt8] {
        [0, 0, 0x08, 3] + bigEndian(2_700_000) + bigEndian(28) + bigEndian(28) + [UInt8](repeating: 7, count: payload)
    }

    @Test("a 100-byte file whose header claims 2.7 million images is refused as truncated, quickly, without allocating the claim",
          arguments: [false, true])
    func lyingHeaderAllocatesNothing(gzip: Bool) throws {
        let raw = Self.lyingImagesFile(payload: 84)
        #expect(raw.count == 100)
        let file = gzip ? gzipCompress(raw) : raw
        let measured = PeakMemory.measure { () -> IDXError? in
            do {
                _ = try IDXReader.decode(fileContents: file, file: "train-images-idx3-ubyte")
                return nil
            } catch let error as IDXError {
                return error
            } catch {
                return nil
            }
        }
        #expect(measured.value == .truncated(file: "train-images-idx3-ubyte", expectedBytes: 16 + 2_116_800_000, actualBytes: 100))
        #expect(measured.value?.description.contains("is truncated") == true)
        #expect(measured.peakRiseBytes < 64 << 20,
                "reading a 100-byte file raised the peak memory by \(measured.peakRiseBytes >> 20) MiB")
        #expect(measured.seconds < 1, "took \(measured.seconds) s")
    }

    @Test("the same claim in a file on disk is refused by IDXReader.read with the file's path")
    func lyingHeaderOnDisk() throws {
        try withTemporaryDirectory { folder in
            for (name, bytes) in [("raw-idx3-ubyte", Self.lyingImagesFile(payload: 84)),
                                  ("gz-idx3-ubyte.gz", gzipCompress(Self.lyingImagesFile(payload: 84)))] {
                let url = try write(bytes, to: folder, name: name)
                let measured = PeakMemory.measure { () -> String in
                    do { _ = try IDXReader.read(contentsOf: url); return "" } catch { return "\(error)" }
                }
                #expect(measured.value.contains(url.path) && measured.value.contains("is truncated"), "\(measured.value)")
                #expect(measured.peakRiseBytes < 64 << 20, "\(name): peak memory rose by \(measured.peakRiseBytes >> 20) MiB")
            }
        }
    }

    @Test("a gzip stream that holds more than its header claims stops one byte past the claim")
    func gzipStopsAtTheClaim() {
        // The header claims 10 bytes; 8 MB of zeros follow. Decompression must not run on to the end.
        let bomb = gzipCompress([0, 0, 8, 1] + bigEndian(10) + [UInt8](repeating: 0, count: 8_000_000))
        let measured = PeakMemory.measure { () -> IDXError? in
            do { _ = try IDXReader.decode(fileContents: bomb, file: "bomb.gz"); return nil } catch { return error as? IDXError }
        }
        #expect(measured.value == .trailingBytes(file: "bomb.gz", expectedBytes: 18))
        #expect(measured.peakRiseBytes < 32 << 20)
    }

    @Test("a valid gzip file of several megabytes reads whole into one buffer of exactly its size (no doubling copies)")
    func largeGzipReads() throws {
        let array = imagesIDX(count: 3_000, height: 28, width: 28)
        let decoded = try IDXReader.decode(fileContents: gzipCompress(array.encoded()), file: "big.gz")
        #expect(decoded == array)
        #expect(decoded.bytes.capacity < 3_000 * 28 * 28 + 4_096,
                "a real data set costs its own bytes once: capacity \(decoded.bytes.capacity) for \(3_000 * 28 * 28) bytes")
    }

    @Test("a gzip stream's bound on what it can still give is deflate's 1032:1 over the compressed bytes left")
    func gzipBound() throws {
        let compressed = gzipCompress([UInt8](repeating: 0, count: 100_000))
        var stream = try GzipByteStream(compressed: compressed, file: "zeros.gz")
        #expect(stream.remainingByteBound == compressed.count * 1032)
        #expect(stream.remainingByteBound >= 100_000, "the bound holds for the most compressible input")
        var first = [UInt8](repeating: 0, count: 10)
        _ = try first.withUnsafeMutableBytes { try stream.read(into: $0) }
        #expect(stream.remainingByteBound <= compressed.count * 1032)
    }

    /// Bases for the fuzzer: valid files of every element type and of ranks 1 to 3, raw.
    static let fuzzBases: [[UInt8]] = [
        imagesIDX(count: 5, height: 4, width: 3).encoded(),
        labelsIDX([0, 1, 2, 3, 9, 5]).encoded(),
        IDXArray(elementType: .int16, shape: [3, 2], bytes: [UInt8](repeating: 1, count: 12)).encoded(),
        IDXArray(elementType: .int32, shape: [2], bytes: [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFF]).encoded(),
        IDXArray(elementType: .float32, shape: [1, 2], bytes: [0x3F, 0xC0, 0, 0, 0xC0, 0x20, 0, 0]).encoded(),
        IDXArray(elementType: .float64, shape: [1], bytes: [0xC0, 0, 0, 0, 0, 0, 0, 0]).encoded(),
        IDXArray(elementType: .int8, shape: [2, 1, 2, 1], bytes: [0x80, 0x7F, 1, 2]).encoded(),
    ]

    @Test("mutation fuzzer: damaged raw and gzip IDX files never crash, hang or allocate what they claim")
    func fuzz() throws {
        let iterations = try fuzzIterations(standard: 10_000)
        let report = try FuzzSupport.fuzz("IDX fuzzer", iterations: iterations, seed: 13, makeInput: { mutator in
            var bytes = mutator.pick(Self.fuzzBases)
            // Header fields: a dimension, the rank byte or the type byte with an extreme value.
            switch mutator.below(4) {
            case 0:
                let rank = Int(bytes[3])
                mutator.overwriteBigEndianUInt32(&bytes, at: 4 + 4 * mutator.below(max(rank, 1)))
            case 1:
                bytes[mutator.below(4)] = mutator.pick([0, 1, 3, 8, 9, 0x0B, 0x0C, 0x0D, 0x0E, 0x1F, 0x8B, 0xFF])
            default:
                break
            }
            if mutator.below(3) != 0 { bytes = mutator.mutateBytes(bytes) }
            // Half the time through gzip: the damaged bytes compressed, or the compressed bytes damaged.
            switch mutator.below(4) {
            case 0: bytes = gzipCompress(bytes)
            case 1: bytes = mutator.mutateBytes(gzipCompress(bytes))
            default: break
            }
            return bytes
        }, read: { bytes, iteration in
            do {
                let array = try IDXReader.decode(fileContents: bytes, file: "fuzz.idx")
                // Whatever is accepted is self-consistent.
                try #require(array.bytes.count == array.shape.reduce(1, *) * array.elementType.byteWidth,
                             "iteration \(iteration): inconsistent array")
                return .accepted
            } catch let error as IDXError {
                try #require(error.file == "fuzz.idx" && error.description.contains("fuzz.idx"), "iteration \(iteration): \(error)")
                return .refused
            }
        })
        #expect(report.violations.isEmpty, "\(report.violations.joined(separator: "; "))")
        print(report)
    }
}
