import Foundation
import ImageIO
import SafeTensors
import Testing

@Suite("checkpoint files")
struct CheckpointTests {
    /// The reference's parameter names and [out, in] shapes for the default 784-400-20 model.
    static let referenceShapes: [(String, [Int])] = [
        ("encoder.0.weight", [400, 784]), ("encoder.0.bias", [400]),
        ("mu.weight", [20, 400]), ("mu.bias", [20]),
        ("logvar.weight", [20, 400]), ("logvar.bias", [20]),
        ("decoder.0.weight", [400, 20]), ("decoder.0.bias", [400]),
        ("output.weight", [784, 400]), ("output.bias", [784]),
    ]

    @Test("model.safetensors has the reference names, shapes and metadata, and re-encodes to identical bytes")
    func modelFileRoundTrips() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "256", "--out", "run", "--seed", "3")
            let bytes = try sandbox.data("run/model.safetensors")
            let file = try SafeTensorsFile(contentsOf: sandbox.url("run/model.safetensors"))

            #expect(Set(file.names) == Set(Self.referenceShapes.map(\.0)), "names: \(file.names)")
            #expect(file.names.count == Self.referenceShapes.count, "no extra or duplicate tensors: \(file.names)")
            for (name, shape) in Self.referenceShapes {
                let tensor = try file.tensor(named: name)
                #expect(tensor.shape == shape, "\(name) has shape \(tensor.shape), expected \(shape)")
                #expect(tensor.dtype.rawValue == "F32", "\(name) should be F32")
                let values = try file.floatValues(named: name, expectedShape: shape)
                #expect(values.allSatisfy { $0.isFinite }, "\(name) has non-finite values")
                if name.hasSuffix(".weight") {
                    #expect(Set(values).count > values.count / 2, "\(name) should hold trained, varied weights")
                }
            }

            // Metadata: the configuration as JSON.
            let configJSON = try #require(file.metadata["vae_config"], "metadata keys: \(file.metadata.keys.sorted())")
            let config = try #require(try JSONSerialization.jsonObject(with: Data(configJSON.utf8)) as? [String: Any])
            #expect(number(config, "inputSize") == 784)
            #expect(number(config, "latent") == 20)
            #expect((config["hidden"] as? [Int]) == [400])
            #expect(config["activation"] as? String == "relu")
            #expect(config["output"] as? String == "sigmoid")
            #expect(config["loss"] as? String == "bce")
            #expect(number(config, "beta") == 1)
            #expect(number(config, "classes") == 0)
            #expect(file.metadata["format"] == "vae-checkpoint-1")
            if let training = file.metadata["vae_training"] {
                let settings = try #require(try JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any])
                #expect(number(settings, "seed") == 3)
                #expect(number(settings, "limit") == 256)
            } else {
                Issue.record("metadata should keep the training settings (vae_training); keys: \(file.metadata.keys.sorted())")
            }

            // Re-encoding gives the same bytes, and decoding the re-encoding gives the same tensors.
            let reencoded = file.encoded()
            #expect(reencoded == bytes, "re-encoding changed the file (\(bytes.count) → \(reencoded.count) bytes)")
            let again = try SafeTensorsFile(data: reencoded)
            for (name, _) in Self.referenceShapes {
                #expect(try again.floatValues(named: name) == file.floatValues(named: name), "\(name) differs after a round trip")
            }

            // vae reads a re-written copy exactly like the original.
            try sandbox.write(reencoded, to: "copy/model.safetensors")
            try sandbox.vaeSucceeds("sample", "--model", "run", "--n", "9", "--nrow", "3", "-o", "a.png")
            try sandbox.vaeSucceeds("sample", "--model", "copy/model.safetensors", "--n", "9", "--nrow", "3", "-o", "b.png")
            #expect(try sandbox.data("a.png") == sandbox.data("b.png"))
        }
    }

    @Test("trainer-state.safetensors holds Adam's moments, the step and the epoch count")
    func trainerStateFile() throws {
        try withSandbox { sandbox in
            // 200 examples in batches of 64: 4 steps per epoch, 8 after two epochs.
            try sandbox.vaeSucceeds("train", "--epochs", "2", "--limit", "200", "--batch-size", "64", "--hidden", "32",
                                    "--latent", "4", "--out", "run", "--sample-every", "0")
            let state = try SafeTensorsFile(contentsOf: sandbox.url("run/trainer-state.safetensors"))
            #expect(try state.int64Values(named: "adam.step") == [8])
            #expect(try state.int64Values(named: "trainer.epochs_completed") == [2])
            let model = try SafeTensorsFile(contentsOf: sandbox.url("run/model.safetensors"))
            for name in model.names {
                let shape = try model.tensor(named: name).shape
                #expect(try state.tensor(named: "adam.exp_avg.\(name)").shape == shape)
                #expect(try state.tensor(named: "adam.exp_avg_sq.\(name)").shape == shape)
            }
            #expect(model.metadata["epochs_completed"] == "2")
            #expect(state.encoded() == (try sandbox.data("run/trainer-state.safetensors")))
            // Non-default architecture names: two-layer models would be encoder.0 and encoder.1.
            let config = try #require(model.metadata["vae_config"])
            #expect(config.contains("\"latent\":4"), "\(config)")
            #expect(try model.tensor(named: "mu.weight").shape == [4, 32])
        }
    }
}
