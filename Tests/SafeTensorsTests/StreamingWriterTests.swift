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

    @Test("tensors made when the writer reaches them give the same bytes as buffers, each made once, in file order")
    func madeTensorsMatchBuffers() throws {
        let wide: [Float] = (0..<12).map { Float($0) * 0.5 - 2 }, narrow: [Float] = [7, -0.0, 0x1p-140]
        let step: [Int64] = [3]
        let reference = SafeTensorsFile(tensors: [
            NamedTensor(name: "wide", shape: [3, 4], floats: wide),
            NamedTensor(name: "narrow", shape: [3], floats: narrow),
            NamedTensor(name: "step", shape: [1], int64s: step),
        ]).encoded()
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("made.safetensors")
        var madeSizes: [Int] = []
        /// A tensor made by copying `values` into the writer's buffer (which is at least as large).
        func made(_ name: String, _ shape: [Int], _ values: [Float]) -> SafeTensorsFile.TensorBytes {
            .init(name: name, dtype: .float32, shape: shape) { buffer in
                madeSizes.append(buffer.count)
                values.withUnsafeBytes { buffer.copyMemory(from: $0) }
            }
        }
        try step.withUnsafeBytes { s in
            try SafeTensorsFile.write(tensors: [
                made("narrow", [3], narrow),
                .init(name: "step", dtype: .int64, shape: [1], bytes: s),
                made("wide", [3, 4], wide),
            ], to: url)
        }
        #expect(try Data(contentsOf: url) == reference)
        // The buffer layout orders F32 tensors by name ("narrow" before "wide"); each gets exactly its bytes.
        #expect(madeSizes == [12, 48])
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
