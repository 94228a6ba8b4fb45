import NN
import Synchronization
import TensorCore

/// How a batch of one size is split: the row blocks, the workers' graphs for them, and the pieces of
/// every layer's parameters that the threads turn into gradients and updates.
/// Made once per batch size, so a training step allocates nothing.
final class BatchPlan: @unchecked Sendable {
    /// Rows of the batch each active worker takes, in worker order.
    let blocks: [Range<Int>]
    /// The active workers' graphs, in worker order. They defer their weight gradients to `update`.
    let graphs: [VAEGraph]
    /// The model's values (the flat vector Adam updates). The update never writes the model's
    /// gradient buffer: each piece's gradients go into its thread's `pieceGradients`.
    let values: UnsafeMutablePointer<Float>
    /// Per layer, in parameter order: each active worker's deferred gradient of it, in worker order.
    let layers: [[LinearWeightGradient]]
    /// Per thread: a panel for the zero-skipping weight gradients (nil when no layer skips zeros).
    let scratch: [SparseScratch?]
    /// Per thread: room for the largest piece's weight and bias gradients (the bias's from
    /// `pieceBiasOffset`), into which the thread computes a piece's gradients and from which Adam reads
    /// them while they are in the core's cache. Summed gradients never go to the model's gradient
    /// buffer and back: in alternating comparisons inside one process, training ran 3.2–3.8 % faster
    /// so on two threads, and about 2 % faster on one (where the backward pass used to compute each
    /// weight gradient itself), with the same bytes.
    private let pieceGradients: [UnsafeMutablePointer<Float>]
    /// Where a piece's bias gradients start in its thread's `pieceGradients` (the largest piece's
    /// weights, rounded up to a cache line).
    private let pieceBiasOffset: Int
    /// The pieces of the parameter update: each covers some rows of one layer's stored weight and some
    /// entries of its bias, and together they cover every parameter once. With one thread a piece is a
    /// whole layer, and the layers come last to first. With T threads the dense layers are cut into
    /// about 4 · T pieces and a zero-skipping one into 2 · T, largest first, and the threads take the
    /// next piece as they become free (`update(thread:…)`), so none waits while another has work left.
    let pieces: [LayerPiece]
    /// The next piece to take in the current update.
    private let nextPiece = Atomic<Int>(0)

    /// Rows `weightRows` of one layer's stored weight (outputs for W [out, in], inputs for Wᵀ [in, out])
    /// and entries `biasOutputs` of its bias, and where they lie in the flat vectors.
    struct LayerPiece {
        let layer: Int
        let weightRows: Range<Int>
        let biasOutputs: Range<Int>
        let weights: Range<Int>
        let biases: Range<Int>
    }

    /// - Parameters:
    ///   - threads: how many threads share the parameter updates (all the trainer's, even when a small
    ///     batch has fewer active workers).
    init(blocks: [Range<Int>], graphs: [VAEGraph], model: VAE, threads: Int) {
        self.blocks = blocks
        self.graphs = graphs
        let values = model.store.values  // read by the pieces' loop below, before `self` is whole
        self.values = values
        batchKL = [Float](repeating: 0, count: model.configuration.latent)
        batchKLCounts = [Bool](repeating: true, count: model.configuration.latent)
        let layerCount = model.layers.count
        precondition(graphs.allSatisfy { $0.weightGradients.count == layerCount },
                     "BatchPlan: the workers' graphs must defer every layer's weight gradient")
        let layers = (0..<layerCount).map { l in graphs.map { $0.weightGradients[l] } }
        self.layers = layers
        // Piece i of k of `count` rows starts near count · i / k, at a multiple of 16 (whole cache lines
        // of a bias).
        func part(_ count: Int, piece i: Int, of k: Int) -> Range<Int> {
            func start(_ i: Int) -> Int {
                let blocks = Double(count) * Double(i) / Double(k) / 16
                return i >= k ? count : min(count, Int(blocks.rounded()) * 16)
            }
            return start(i) ..< max(start(i), start(i + 1))
        }
        func skipsZeros(_ l: Int) -> Bool { layers[l][0].skipsZeroInputs }
        var pieces: [LayerPiece] = []
        for (l, layer) in model.layers.enumerated() {
            // More pieces of a zero-skipping layer would copy its dZ panels once per piece.
            let k = threads == 1 ? 1 : (skipsZeros(l) ? 2 : 4) * threads
            let weightStart = layer.weight.data - values, biasStart = layer.bias.data - values
            let rowLength = layer.weight.shape[1]
            for i in 0..<k {
                let rows = part(layer.weight.shape[0], piece: i, of: k), outputs = part(layer.outputSize, piece: i, of: k)
                guard !rows.isEmpty || !outputs.isEmpty else { continue }
                pieces.append(LayerPiece(
                    layer: l, weightRows: rows, biasOutputs: outputs,
                    weights: (weightStart + rows.lowerBound * rowLength) ..< (weightStart + rows.upperBound * rowLength),
                    biases: (biasStart + outputs.lowerBound) ..< (biasStart + outputs.upperBound)))
            }
        }
        if threads == 1 {
            // The layers last to first: the next forward pass reads the first layer's weights first, and
            // then finds them just updated, still in the caches (the 10 MB of parameters, gradients and
            // moments do not all stay there between steps). Each layer's gradient is computed whole,
            // right before its update. Cut into 4 pieces of rows, each piece's product packs its other
            // operand once more: against the backward pass computing the weight gradients, 1.012 with
            // the dense layers cut (80 alternating epochs; two identical trainers give 1.012), where
            // whole layers gave about 1.02.
            self.pieces = pieces.reversed()
        } else {
            // Largest first, in layer order among equals, so the last pieces taken are small.
            self.pieces = pieces.enumerated().sorted {
                ($0.element.weights.count, -$0.offset) > ($1.element.weights.count, -$1.offset)
            }.map(\.element)
        }
        let rows = blocks.reduce(0) { $0 + $1.count }
        let anySkipsZeros = (0..<layerCount).contains(where: skipsZeros)
        scratch = (0..<threads).map { _ in anySkipsZeros ? SparseScratch(rows: rows) : nil }
        let largestWeights = pieces.map(\.weights.count).max() ?? 0, largestBiases = pieces.map(\.biases.count).max() ?? 0
        let biasOffset = (largestWeights + 15) & ~15
        pieceBiasOffset = biasOffset
        pieceGradients = (0..<threads).map { _ in
            allocateAligned(floats: biasOffset + max(largestBiases, 1))
        }
    }

    deinit { for buffer in pieceGradients { buffer.deallocate() } }

    /// The free-bits floor of the whole batch, λ · rows, while free bits are on (else nil).
    private(set) var batchKLFloor: Float?
    /// The whole batch's KL per latent dimension, and which dimensions pass their gradient (free bits).
    private var batchKL: [Float]
    private var batchKLCounts: [Bool]

    /// Sets every worker graph's KL term for the next pass: weight w (β, warmed up) and, when λ > 0,
    /// the floor λ · (the worker's rows) on each dimension's KL, decided locally for one worker and by
    /// `decideKLFloor()` on the whole batch for several.
    func setKLTerm(weight: Float, freeBits: Float) {
        let rows = blocks.reduce(0) { $0 + $1.count }
        batchKLFloor = freeBits > 0 ? freeBits * Float(rows) : nil
        for (block, graph) in zip(blocks, graphs) {
            graph.klControl.weight = weight
            graph.klControl.floor = freeBits > 0 ? freeBits * Float(block.count) : -.infinity
            graph.klControl.counts = nil
        }
    }

    /// The whole batch's KL per latent dimension: the workers' sums added in worker order, into a buffer
    /// made with the plan (returned without a copy).
    func batchKLPerDimension() -> [Float] {
        let latent = batchKL.count
        batchKL.withUnsafeMutableBufferPointer { total in
            total.baseAddress!.update(from: graphs[0].output.klPerDimension.data, count: latent)
            for graph in graphs.dropFirst() {
                let part = graph.output.klPerDimension.data
                for j in 0..<latent { total[j] += part[j] }
            }
        }
        return batchKL
    }

    /// After the forward passes, before the backward ones: a dimension passes its KL gradient when the
    /// whole batch's KL in it exceeds λ · rows (so every worker decides alike). The decisions are written
    /// into a buffer made with the plan: `setKLTerm` released the graphs' references to it, so it is
    /// updated in place, and every graph then shares it.
    func decideKLFloor() {
        guard let floor = batchKLFloor else { return }
        let totals = batchKLPerDimension()
        for j in 0..<totals.count { batchKLCounts[j] = totals[j] > floor }
        for graph in graphs { graph.klControl.counts = batchKLCounts }
    }

    /// Starts an update: the threads' `update(thread:…)` calls then take the pieces from the first.
    func beginUpdate() { nextPiece.store(0, ordering: .relaxed) }

    /// Thread `s`'s part of the step: it takes the next piece not yet taken until none is left. For each
    /// it computes the piece's weight rows' and bias entries' gradients summed over the workers' blocks
    /// (`LinearWeightGradient.compute`, `computeBias`) into its own `pieceGradients`, and Adam updates
    /// those parameters from there. A piece's result does not depend on the thread that takes it, so the
    /// update gives the same bytes however the pieces fall.
    func update(thread s: Int, optimizer: Adam, coefficients: Adam.StepCoefficients) {
        while true {
            let index = nextPiece.add(1, ordering: .relaxed).oldValue
            guard index < pieces.count else { return }
            let piece = pieces[index]
            let buffer = pieceGradients[s], parts = layers[piece.layer]
            LinearWeightGradient.compute(parts, rows: piece.weightRows, scratch: scratch[s], weightGradient: buffer)
            LinearWeightGradient.computeBias(parts, outputs: piece.biasOutputs, biasGradient: buffer + pieceBiasOffset)
            optimizer.update(range: piece.weights, values: values + piece.weights.lowerBound, gradients: buffer,
                             coefficients: coefficients)
            optimizer.update(range: piece.biases, values: values + piece.biases.lowerBound,
                             gradients: buffer + pieceBiasOffset, coefficients: coefficients)
        }
    }
}

/// One data-parallel worker: a recorded graph of the model per row count it has seen (the full block
/// size and the last partial batch's).
final class Worker: @unchecked Sendable {
    let model: VAE
    /// Whether the worker's graphs skip the data's zeros (`VAEGraph`'s option).
    let skipsZeroInputs: Bool
    private var graphs: [Int: VAEGraph] = [:]

    init(model: VAE, skipsZeroInputs: Bool) {
        self.model = model
        self.skipsZeroInputs = skipsZeroInputs
    }

    /// The graph for a block of `rows`, which leaves its weight gradients to `BatchPlan.update`.
    func graph(rows: Int) -> VAEGraph {
        if let graph = graphs[rows] { return graph }
        let graph = VAEGraph(model: model, batchSize: rows, skipsZeroInputs: skipsZeroInputs,
                             defersWeightGradients: true)
        graphs[rows] = graph
        return graph
    }
}
