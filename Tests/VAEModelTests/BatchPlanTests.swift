import SeededRandom
import Testing
@testable import VAEModel

/// The pieces of a data-parallel parameter update: together they cover every parameter once.
@Suite("a batch plan's update pieces cover every parameter exactly once")
struct BatchPlanTests {
    @Test("1, 2 and 3 threads; the default model and one with two hidden layers and odd widths",
          arguments: [1, 2, 3], [[400], [37, 130]])
    func piecesCoverParameters(threads: Int, hidden: [Int]) {
        var generator = SeededGenerator(seed: 3)
        let model = VAE(configuration: VAEConfiguration(inputSize: 784, hidden: hidden, latent: 20), generator: &generator)
        let blocks = threads == 1 ? [0..<96] : (0..<threads).map { ($0 * 32)..<(($0 + 1) * 32) }
        let graphs = blocks.map {
            VAEGraph(model: model, batchSize: $0.count, defersWeightGradients: true)
        }
        let plan = BatchPlan(blocks: blocks, graphs: graphs, model: model, threads: threads)
        var covered = [Int](repeating: 0, count: model.parameterCount)
        for piece in plan.pieces {
            for i in piece.weights { covered[i] += 1 }
            for i in piece.biases { covered[i] += 1 }
            let layer = model.layers[piece.layer]
            #expect(piece.weights.count == piece.weightRows.count * layer.weight.shape[1])
            #expect(piece.biases.count == piece.biasOutputs.count)
            #expect(piece.weightRows.lowerBound % 16 == 0 && piece.biasOutputs.lowerBound % 16 == 0)
        }
        #expect(covered.allSatisfy { $0 == 1 }, "every parameter in exactly one piece")
        if threads == 1 {
            #expect(plan.pieces.map(\.layer) == Array(model.layers.indices.reversed()), "one piece per layer, last to first")
        } else {
            let sizes = plan.pieces.map(\.weights.count)
            #expect(sizes == sizes.sorted(by: >), "largest pieces first")
        }
        #expect(plan.pieces.count >= (threads == 1 ? model.layers.count : 2 * threads * model.layers.count / 2))
    }
}
