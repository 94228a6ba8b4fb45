import Foundation
import NN
import SafeTensors
import SeededRandom
import Testing
import VAEModel
@testable import VAERun

/// Every layer stores its weight [in, out]; checkpoint files hold every weight, and Adam's
/// moments of it, in the reference's [out, in] layout, and read back into the stored layout.
@Suite("checkpoints write the reference layout whatever the stored one")
struct CheckpointLayoutTests {
    @Test("model and trainer-state files hold [out, in] values and restore the same stored bytes")
    func transposedWeightRoundTrips() throws {
        let configuration = VAEConfiguration(inputSize: 30, hidden: [20], latent: 3)
        var generator = SeededGenerator(seed: 8)
        let model = VAE(configuration: configuration, generator: &generator)
        let trainer = Trainer(model: model, seed: 8)
        let adam = trainer.optimizer
        let total = model.parameterCount
        for i in 0..<total {
            adam.firstMoments[i] = Float(i) * 0.001
            adam.secondMoments[i] = Float(i) * 0.002
        }
        let encoder = try #require(model.referenceParameter(named: "encoder.0.weight"))
        #expect(!encoder.isStoredAsReference && model.encoder.layers[0].weight.shape == [30, 20] && encoder.shape == [20, 30])
        try withTemporaryFolder { folder in
            let modelURL = folder.appendingPathComponent("model.safetensors")
            let stateURL = folder.appendingPathComponent("trainer-state.safetensors")
            try Checkpoint.saveModel(model, to: modelURL)
            try Checkpoint.saveTrainerState(trainer, to: stateURL)

            let modelFile = try SafeTensorsFile(contentsOf: modelURL)
            let stateFile = try SafeTensorsFile(contentsOf: stateURL)
            let offset = adam.offsets[0]
            #expect(try modelFile.floatValues(named: "encoder.0.weight", expectedShape: [20, 30]) == encoder.referenceValues)
            // Element (out 2, in 5) of the file is stored at row 5, column 2.
            #expect(try modelFile.floatValues(named: "encoder.0.weight")[2 * 30 + 5] == model.encoder.layers[0].weight[5, 2])
            #expect(try stateFile.floatValues(named: "adam.exp_avg.encoder.0.weight", expectedShape: [20, 30])
                    == encoder.referenceValues(stored: adam.firstMoments + offset))
            #expect(try stateFile.floatValues(named: "adam.exp_avg_sq.encoder.0.weight", expectedShape: [20, 30])
                    == encoder.referenceValues(stored: adam.secondMoments + offset))
            // Every weight is stored [in, out], and every one is written [out, in]; biases as they are.
            let output = try #require(model.referenceParameter(named: "output.weight"))
            #expect(try modelFile.floatValues(named: "output.weight", expectedShape: [30, 20]) == output.referenceValues)
            #expect(try modelFile.floatValues(named: "output.bias") == model.outputLayer.bias.values)

            let loaded = try Checkpoint.loadModel(from: modelURL)
            #expect(loaded.parameters.map(\.values) == model.parameters.map(\.values), "the same stored bytes")
            let restored = Trainer(model: loaded, seed: 9)
            try Checkpoint.restoreTrainerState(into: restored, from: stateURL)
            let moments = UnsafeBufferPointer(start: restored.optimizer.firstMoments, count: total)
            let squares = UnsafeBufferPointer(start: restored.optimizer.secondMoments, count: total)
            #expect(Array(moments) == Array(UnsafeBufferPointer(start: adam.firstMoments, count: total)))
            #expect(Array(squares) == Array(UnsafeBufferPointer(start: adam.secondMoments, count: total)))
        }
    }
}
