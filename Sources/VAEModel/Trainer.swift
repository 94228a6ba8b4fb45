import Dispatch
import Foundation
import MNISTData
import NN
import TensorCore

/// Average losses per example over a set of examples.
public struct LossSummary: Codable, Equatable, Sendable {
    /// (reconstruction + β · KL) per example.
    public var loss: Double
    /// Summed reconstruction loss per example.
    public var reconstruction: Double
    /// KL divergence per example.
    public var kl: Double
    /// How many examples were averaged.
    public var examples: Int

    public init(loss: Double, reconstruction: Double, kl: Double, examples: Int) {
        self.loss = loss; self.reconstruction = reconstruction; self.kl = kl; self.examples = examples
    }
}

/// What the trainer reports after each batch (for progress bars and logs).
public struct BatchProgress: Sendable {
    /// 1-based index of the batch just finished within the epoch.
    public let batch: Int
    /// Batches in the epoch.
    public let batchCount: Int
    /// Loss per example of the batch just finished.
    public let batchLoss: Double
    /// Loss per example averaged over the epoch so far.
    public let runningLoss: Double
    /// Examples processed so far in this epoch.
    public let examples: Int
    /// Seconds since the epoch started.
    public let elapsed: Double
}

/// Time spent in each part of the training steps of an epoch (seconds, summed over steps).
public struct StepTimings: Codable, Equatable, Sendable {
    /// Drawing the batch: byte → float conversion, labels, noise.
    public var batchPreparation: Double = 0
    /// Forward and backward passes of all workers (run in parallel, wall time).
    public var forwardBackward: Double = 0
    /// Summing the workers' gradients and the Adam update (wall time).
    public var optimizer: Double = 0
    public init() {}
}

/// Trains a VAE with Adam over mini-batches, splitting each batch across worker threads.
///
/// With `threads` = T, every batch is cut into T contiguous row blocks; each worker runs forward and
/// backward on its block with single-threaded sgemm into gradients of its own; then the gradients are
/// summed in worker order (so results depend only on the seed and T) and Adam updates the flat parameter
/// vector, each thread taking a slice. The workers own the cores: OpenBLAS is set to one thread.
public final class Trainer {
    public let model: VAE
    public let optimizer: Adam
    /// Rows per training batch (default 128).
    public let batchSize: Int
    /// Worker threads (default 1).
    public let threads: Int
    /// The training generator: batch order, noise ε and dynamic binarization draw from it in a fixed order.
    public var generator: SeededGenerator
    /// The seed evaluation noise is derived from (so evaluating never disturbs training's stream).
    public let evaluationSeed: UInt64
    /// Epochs completed so far (the next epoch is `epochsCompleted + 1`).
    public var epochsCompleted = 0
    /// Timings of the last epoch's steps.
    public private(set) var lastTimings = StepTimings()

    private let workers: [Worker]
    private var plans: [Int: BatchPlan] = [:]
    private let batchNoise: Tensor

    /// - Parameters:
    ///   - model: the VAE to train (its parameters are updated in place).
    ///   - learningRate: Adam's step size (default 1e-3).
    ///   - batchSize: rows per batch (default 128).
    ///   - threads: worker threads (default 1).
    ///   - seed: seeds the training generator and evaluation noise.
    public init(model: VAE, learningRate: Float = 1e-3, batchSize: Int = 128, threads: Int = 1, seed: UInt64) {
        precondition(batchSize > 0, "Trainer: batch size must be positive")
        precondition(threads > 0, "Trainer: thread count must be positive")
        self.model = model
        optimizer = Adam(parameters: model.parameters, settings: .init(learningRate: learningRate))
        self.batchSize = batchSize
        self.threads = threads
        generator = SeededGenerator(seed: seed)
        evaluationSeed = seed ^ 0x5EED_E7A1_0000_0000
        workers = (0..<threads).map { index in Worker(model: index == 0 ? model : VAE(sharingValuesOf: model)) }
        batchNoise = Tensor(shape: [batchSize, model.configuration.latent])
        BLAS.setThreadCount(1)
    }

    /// Runs one epoch over `data` in a fresh random order and returns the average training losses.
    /// - Parameter progress: called after every batch (on the calling thread).
    public func trainEpoch(on data: TrainingData, progress: ((BatchProgress) -> Void)? = nil) -> LossSummary {
        precondition(data.featureCount == model.configuration.inputSize,
                     "Trainer: data has \(data.featureCount) features, the model \(model.configuration.inputSize)")
        let schedule = BatchSchedule.shuffled(count: data.count, batchSize: batchSize, generator: &generator)
        var timings = StepTimings()
        let start = DispatchTime.now().uptimeNanoseconds
        var reconstructionSum = 0.0, klSum = 0.0, lossSum = 0.0, seen = 0
        let batchCount = schedule.batchCount
        schedule.order.withUnsafeBufferPointer { order in
            for b in 0..<batchCount {
                let lower = b * batchSize, upper = min(lower + batchSize, order.count)
                let indices = UnsafeBufferPointer(rebasing: order[lower..<upper])
                let t0 = DispatchTime.now().uptimeNanoseconds
                let plan = prepare(indices: indices, data: data, generator: &generator)
                let t1 = DispatchTime.now().uptimeNanoseconds
                run(plan, backward: true)
                let t2 = DispatchTime.now().uptimeNanoseconds
                applyGradients(plan)
                let t3 = DispatchTime.now().uptimeNanoseconds
                timings.batchPreparation += Double(t1 - t0) * 1e-9
                timings.forwardBackward += Double(t2 - t1) * 1e-9
                timings.optimizer += Double(t3 - t2) * 1e-9
                var batchReconstruction = 0.0, batchKL = 0.0, batchLoss = 0.0
                for graph in plan.graphs {
                    let out = graph.output
                    batchReconstruction += Double(out.reconstructionLoss.scalar)
                    batchKL += Double(out.kl.scalar)
                    batchLoss += Double(out.loss.scalar)
                }
                reconstructionSum += batchReconstruction; klSum += batchKL; lossSum += batchLoss
                seen += indices.count
                if let progress {
                    progress(BatchProgress(batch: b + 1, batchCount: batchCount, batchLoss: batchLoss / Double(indices.count),
                                           runningLoss: lossSum / Double(seen), examples: seen,
                                           elapsed: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
                }
            }
        }
        lastTimings = timings
        epochsCompleted += 1
        let n = Double(max(seen, 1))
        return LossSummary(loss: lossSum / n, reconstruction: reconstructionSum / n, kl: klSum / n, examples: seen)
    }

    /// The average loss over `data` in order, one z sample per example (the reference's test loss:
    /// per example, summed reconstruction loss + β · KL). Parameters are not changed.
    /// - Parameter noiseSeed: seeds ε (default: derived from the trainer's seed and the epoch).
    public func evaluate(on data: TrainingData, noiseSeed: UInt64? = nil) -> LossSummary {
        precondition(data.featureCount == model.configuration.inputSize,
                     "Trainer: data has \(data.featureCount) features, the model \(model.configuration.inputSize)")
        var noiseGenerator = SeededGenerator(seed: noiseSeed ?? (evaluationSeed &+ UInt64(epochsCompleted)))
        let schedule = BatchSchedule.sequential(count: data.count, batchSize: batchSize)
        var reconstructionSum = 0.0, klSum = 0.0, lossSum = 0.0
        schedule.order.withUnsafeBufferPointer { order in
            for b in 0..<schedule.batchCount {
                let lower = b * batchSize, upper = min(lower + batchSize, order.count)
                let plan = prepare(indices: UnsafeBufferPointer(rebasing: order[lower..<upper]), data: data,
                                   generator: &noiseGenerator)
                run(plan, backward: false)
                for graph in plan.graphs {
                    let out = graph.output
                    reconstructionSum += Double(out.reconstructionLoss.scalar)
                    klSum += Double(out.kl.scalar)
                    lossSum += Double(out.loss.scalar)
                }
            }
        }
        let n = Double(max(data.count, 1))
        return LossSummary(loss: lossSum / n, reconstruction: reconstructionSum / n, kl: klSum / n, examples: data.count)
    }

    // MARK: Steps

    /// The plan for a batch of `rows` examples, made on first use (a trainer sees at most two sizes:
    /// the full batch and the last partial one).
    private func plan(rows: Int) -> BatchPlan {
        if let plan = plans[rows] { return plan }
        let active = min(threads, rows)
        var blocks: [Range<Int>] = []
        var lower = 0
        for w in 0..<active {
            let size = rows / active + (w < rows % active ? 1 : 0)
            blocks.append(lower..<(lower + size))
            lower += size
        }
        let plan = BatchPlan(blocks: blocks, graphs: blocks.indices.map { workers[$0].graph(rows: blocks[$0].count) },
                             model: model, otherWorkers: workers[1..<active].map(\.model), sliceCount: threads)
        plans[rows] = plan
        return plan
    }

    /// Cuts `indices` into one contiguous block per active worker and writes each block's inputs,
    /// labels and noise into that worker's graph. Draws happen in batch order, whatever the split.
    private func prepare(indices: UnsafeBufferPointer<Int>, data: TrainingData,
                         generator: inout SeededGenerator) -> BatchPlan {
        let plan = plan(rows: indices.count)
        let latent = model.configuration.latent
        generator.fillNormal(UnsafeMutableBufferPointer(start: batchNoise.data, count: indices.count * latent))
        for (block, graph) in zip(plan.blocks, plan.graphs) {
            let part = UnsafeBufferPointer(rebasing: indices[block])
            data.fillBatch(indices: part, into: graph.input.data, generator: &generator)
            graph.noise.copyValues(from: batchNoise.data + block.lowerBound * latent)
            if let labels = graph.labels {
                data.fillOneHot(indices: part, into: labels.buffer)
            }
        }
        return plan
    }

    /// Runs every active worker's forward (and backward) pass, in parallel when there is more than one.
    private func run(_ plan: BatchPlan, backward: Bool) {
        if plan.graphs.count == 1 {
            plan.graphs[0].forward()
            if backward { plan.graphs[0].backward() }
            return
        }
        DispatchQueue.concurrentPerform(iterations: plan.graphs.count) { w in
            plan.graphs[w].forward()
            if backward { plan.graphs[w].backward() }
        }
    }

    /// Takes one Adam step on the sum of the workers' gradients (worker 0's are the model's own),
    /// summed in worker order inside the update loop; each thread handles one slice of the flat vector.
    private func applyGradients(_ plan: BatchPlan) {
        let coefficients = optimizer.beginStep()
        let optimizer = self.optimizer
        if plan.slices.count == 1 {
            plan.update(slice: 0, optimizer: optimizer, coefficients: coefficients)
        } else {
            DispatchQueue.concurrentPerform(iterations: plan.slices.count) { s in
                plan.update(slice: s, optimizer: optimizer, coefficients: coefficients)
            }
        }
        for graph in plan.graphs { graph.model.store.zeroGrad() }
    }
}

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
        let total = model.store.capacity
        let chunk = ((total + sliceCount - 1) / sliceCount + 15) & ~15
        slices = (0..<sliceCount).map { s in
            let lower = min(s * chunk, total)
            return lower..<min(lower + chunk, total)
        }
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
    private var graphs: [Int: VAEGraph] = [:]

    init(model: VAE) { self.model = model }

    func graph(rows: Int) -> VAEGraph {
        if let graph = graphs[rows] { return graph }
        let graph = VAEGraph(model: model, batchSize: rows)
        graphs[rows] = graph
        return graph
    }
}
