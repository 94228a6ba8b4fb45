import Foundation
import FuzzSupport
import SafeTensors
import SeededRandom
import Testing
import VAEModel
@testable import VAERun

@Suite("model reader fuzzing")
struct ModelReaderFuzzTests {
    /// Damages one metadata entry's JSON (a number replaced by an extreme value) and re-encodes the
    /// file properly, so the damage reaches the settings checks behind the safetensors reader.
    static func withExtremeSetting(_ base: SafeTensorsFile, mutator: inout Mutator) -> [UInt8] {
        var file = base
        let key = mutator.pick(["vae_config", "vae_config", "vae_training", "epochs_completed"])
        if let text = file.metadata[key] { file.metadata[key] = mutator.replaceNumber(in: text) }
        return [UInt8](file.encoded())
    }

    @Test("mutation fuzzer over the model reader: no crash, hang or allocation by claim; what is accepted can be sampled")
    func fuzz() throws {
        let iterations = try fuzzIterations(standard: 10_000)
        let base = try TinyModel.bytes(), baseFile = try SafeTensorsFile(data: base)
        let url = URL(fileURLWithPath: "/nonexistent/fuzz/model.safetensors")
        let report = try FuzzSupport.fuzz("model reader fuzzer", iterations: iterations, seed: 131_313, makeInput: { mutator in
            var bytes: [UInt8]
            switch mutator.below(3) {
            case 0: bytes = Self.withExtremeSetting(baseFile, mutator: &mutator)
            case 1: bytes = mutator.mutateBytes(Self.withExtremeSetting(baseFile, mutator: &mutator))
            default: bytes = mutator.mutateBytes([UInt8](base))
            }
            return bytes
        }, read: { bytes, iteration in
            do {
                let file = try SafeTensorsFile(data: Data(bytes), sourceName: url.path)
                let saved = try SavedModel.read(file, url: url)
                // An accepted model is valid and usable: it samples, and its images fit a grid.
                let c = saved.model.configuration
                try #require(c.problems.isEmpty, "iteration \(iteration): accepted \(c)")
                var generator = SeededGenerator(seed: UInt64(iteration))
                let images = saved.model.sample(count: 2, labels: c.isConditional ? [0, 0] : nil, generator: &generator)
                if c.imageHeight != nil {
                    _ = ModelPictures.grid(images: images, configuration: c, imagesPerRow: 2, padding: 1)
                }
                return .accepted
            } catch let error as SafeTensorsError {
                try #require(error.description.contains(url.path) && !error.description.contains("\n"), "iteration \(iteration): \(error)")
                return .refused
            } catch let error as CheckpointError {
                try #require(error.description.contains(url.path) && !error.description.contains("\n"), "iteration \(iteration): \(error)")
                return .refused
            }
        })
        #expect(report.violations.isEmpty, "\(report.violations.joined(separator: "; "))")
        print(report)
    }
}
