import Foundation
import Testing
@testable import SafeTensors

@Suite("Streaming writer")
struct StreamingWriterTests {
    @Test("writes exactly the bytes encoded() gives for the same tensors, in any input order")
    func matchesEncoded() throws {
        let weights: [Float] = [1, -2.5, 3.25, .infinity, -0.0, 0x1p-140]
        let bias: [Float] = [0.1, 0.2, 0.3]
        let step: [Int64] = [42]
        let words: [UInt64] = [0, 1, .max, 7]
        let metadata = ["format": "vae", "note": "ünïcödé \" \\"]
        let reference = SafeTensorsFile(tensors: [
            NamedTensor(name: "w", shape: [2, 3], floats: weights),
            NamedTensor(name: "b", shape: [3], floats: bias),
            NamedTensor(name: "step", shape: [1], int64s: step),
            NamedTensor(name: "rng", shape: [4], uint64s: words),
        ], metadata: metadata).encoded()
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("stream.safetensors")
        try weights.withUnsafeBytes { w in
            try bias.withUnsafeBytes { b in
                try step.withUnsafeBytes { s in
                    try words.withUnsafeBytes { r in
                        try SafeTensorsFile.write(tensors: [
                            .init(name: "step", dtype: .int64, shape: [1], bytes: s),
                            .init(name: "w", dtype: .float32, shape: [2, 3], bytes: w),
                            .init(name: "rng", dtype: .uint64, shape: [4], bytes: r),
                            .init(name: "b", dtype: .float32, shape: [3], bytes: b),
                        ], metadata: metadata, to: url)
                    }
                }
            }
        }
        #expect(try Data(contentsOf: url) == reference)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["stream.safetensors"],
                "no temporary file is left behind")
    }

    @Test("a missing folder is refused and nothing is created")
    func missingFolder() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("missing/x.safetensors")
        let values: [Float] = [1]
        #expect(throws: SafeTensorsError.self) {
            try values.withUnsafeBytes { try SafeTensorsFile.write(tensors: [.init(name: "x", dtype: .float32, shape: [1], bytes: $0)], to: url) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
