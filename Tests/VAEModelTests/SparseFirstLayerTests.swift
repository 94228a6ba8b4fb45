import MNISTData
import SeededRandom
import TensorCore
import Testing
@testable import VAEModel

/// The first layer's zero-skipping products (`SparseInputProducts`) inside the whole VAE, on real
/// MNIST digits (81 % of their pixels are 0), against the same graph with every product through sgemm.
@Suite("The first layer skips the zero pixels and the VAE computes the same step")
struct SparseFirstLayerTests {
    static func digits(count: Int) throws -> [Float] {
        let data = try MNISTDataset(folder: try DataLocation.bundledFolder(), options: .init(requireLabels: true))
        var generator = SeededGenerator(seed: 1)
        var batch = [Float](repeating: 0, count: count * 784)
        let indices = Array(0..<count)
        indices.withUnsafeBufferPointer { index in
            batch.withUnsafeMutableBufferPointer {
                data.train.fillBatch(indices: index, into: $0.baseAddress!, generator: &generator)
            }
        }
        return batch
    }

    struct Pass {
        let loss: Float
        let gradients: [Float]
    }

    /// One forward and backward pass of the default model on `batch`, skipping zeros or not.
    static func pass(_ batch: [Float], rows: Int, skipping: Bool) -> Pass {
        var generator = SeededGenerator(seed: 5)
        let model = VAE(configuration: VAEConfiguration(inputSize: 784), generator: &generator)
        let graph = VAEGraph(model: model, batchSize: rows, skipsZeroInputs: skipping)
        graph.input.data.update(from: batch, count: batch.count)
        generator.fillNormal(graph.noise.buffer)
        model.store.zeroGrad()
        graph.forward()
        graph.backward()
        return Pass(loss: graph.output.loss.scalar,
                    gradients: model.parameters.flatMap { $0.gradient ?? [] })
    }

    @Test("loss and every gradient agree with the dense products on 64 digits")
    func matchesDense() throws {
        let batch = try Self.digits(count: 64)
        let nonzero = batch.filter { $0 != 0 }.count
        #expect(Double(nonzero) / Double(batch.count) < Tape.sparseInputDensityLimit, "the digits must take the sparse path")
        let sparse = Self.pass(batch, rows: 64, skipping: true)
        let dense = Self.pass(batch, rows: 64, skipping: false)
        #expect(abs(sparse.loss - dense.loss) <= 1e-5 * abs(dense.loss))
        // Float sums in another order: the differences stay at rounding level, relative to each
        // tensor's largest gradient.
        let largest = dense.gradients.map(abs).max() ?? 0
        let worst = zip(sparse.gradients, dense.gradients).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * largest, "worst difference \(worst), largest gradient \(largest)")
        #expect(sparse.gradients != dense.gradients, "the sparse products ran (sums in another order differ somewhere)")
    }

    @Test("a trainer skipping zeros and one that does not reach the same losses over an epoch of digits")
    func trainersAgree() throws {
        let data = try MNISTDataset(folder: try DataLocation.bundledFolder(), options: .init(requireLabels: true)).train.prefix(512)
        var losses: [Double] = []
        for skipping in [true, false] {
            var generator = SeededGenerator(seed: 9)
            let model = VAE(configuration: VAEConfiguration(inputSize: 784), generator: &generator)
            let trainer = Trainer(model: model, batchSize: 128, threads: 2, seed: 9, skipsZeroInputs: skipping)
            losses.append(try trainer.trainEpoch(on: data).loss)
            losses.append(try trainer.trainEpoch(on: data).loss)
        }
        #expect(abs(losses[0] - losses[2]) <= 1e-4 * losses[2] && abs(losses[1] - losses[3]) <= 1e-3 * losses[3],
                "skipping \(losses[0...1]), dense \(losses[2...3])")
    }
}
