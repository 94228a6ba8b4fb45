import NN
import TensorCore

/// How a batch of one size is split: the row blocks, the workers' graphs for them, the other workers'
/// gradient buffers to sum, and the slices of the parameter vector each thread updates.
/// Made once per batch size, so a training step allocates nothing.
final class BatchPlan: @unchecked Sendable {
    /// Rows of the batch each active worker takes, in worker order.
    let blocks: [Range<Int>]
    /// The active workers' graphs, in worker order.
    let graphs: [VAEGraph]
    /// The model's values and (worker 0's) gradients.
    let values: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    /// Gradients of workers 1, 2, … that are active for this batch size.
    let otherGradients: [UnsafePointer<Float>]
    /// The parameter ranges the threads update, aligned to 16 floats (64 bytes) so no two threads
    /// share a cache line.
    let slices: [Range<Int>]

    init(blocks: [Range<Int>], graphs: [VAEGraph], model: VAE, otherWorkers: [VAE], sliceCount: Int) {
        self.blocks = blocks
        self.graphs = graphs
        values = model.store.values
        gradients = model.store.gradients
        otherGradients = otherWorkers.map { UnsafePointer($0.store.gradients) }
        batchKL = [Float](repeating: 0, count: model.configuration.latent)
        batchKLCounts = [Bool](repeating: true, count: model.configuration.latent)
        let total = model.store.capacity
        let chunk = ((total + sliceCount - 1) / sliceCount + 15) & ~15
        slices = (0..<sliceCount).map { s in
            let lower = min(s * chunk, total)
            return lower..<min(lower + chunk, total)
        }
    }

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

    func update(slice s: Int, optimizer: Adam, coefficients: Adam.StepCoefficients) {
        guard !slices[s].isEmpty else { return }
        optimizer.update(range: slices[s], values: values, gradients: gradients, otherGradients: otherGradients,
                         coefficients: coefficients)
    }
}

/// One data-parallel worker: a view of the model with its own gradients, and a recorded graph per
/// row count it has seen (the full block size and the last partial batch's).
final class Worker: @unchecked Sendable {
    let model: VAE
    /// Whether the worker's graphs skip the data's zeros (`VAEGraph`'s option).
    let skipsZeroInputs: Bool
    private var graphs: [Int: VAEGraph] = [:]

    init(model: VAE, skipsZeroInputs: Bool) {
        self.model = model
        self.skipsZeroInputs = skipsZeroInputs
    }

    func graph(rows: Int) -> VAEGraph {
        if let graph = graphs[rows] { return graph }
        let graph = VAEGraph(model: model, batchSize: rows, skipsZeroInputs: skipsZeroInputs)
        graphs[rows] = graph
        return graph
    }
}
