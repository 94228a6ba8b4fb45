import Dispatch
import Foundation
import Batches
import NN
import SeededRandom
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

/// How the KL term is weighted during training (both off by default, giving reconstruction + β · KL).
public struct KLSchedule: Codable, Equatable, Sendable {
    /// KL warm-up: β rises linearly from 0 to the model's β over the first N epochs, per batch:
    /// β_s = β · min(1, s / (N · batches per epoch)) for the optimizer step s = 0, 1, 2, … (0: off).
    public var warmupEpochs: Int
    /// Free bits λ in nats (Kingma et al. 2016): each latent dimension's KL, averaged over the batch,
    /// counts as at least λ, so the objective's KL term is β · M · Σ_j max(λ, KL_j / M) for a batch of
    /// M rows and KL_j summed over them; a dimension below λ gets no KL gradient (0: off).
    public var freeBits: Float

    public init(warmupEpochs: Int = 0, freeBits: Float = 0) {
        self.warmupEpochs = warmupEpochs
        self.freeBits = freeBits
    }

    /// The factor on β before optimizer step `step` (0-based) of an epoch of `batchesPerEpoch` batches.
    public func warmupFactor(step: Int, batchesPerEpoch: Int) -> Float {
        guard warmupEpochs > 0 else { return 1 }
        return Float(min(1, Double(step) / Double(warmupEpochs * max(batchesPerEpoch, 1))))
    }
}

/// Running sums of the losses over examples (Double), read off the workers' graphs.
struct LossTotals {
    var loss = 0.0, reconstruction = 0.0, kl = 0.0
    var examples = 0

    init() {}

    /// The summed losses of the batch `plan` just ran, over all its workers. Without a KL floor the
    /// loss is the graphs' own; with one (free bits), the floor applies to the whole batch's per-dimension
    /// KL, which no single worker's graph sees, so the KL term is recomputed here from their sums.
    init(_ plan: BatchPlan) {
        for (block, graph) in zip(plan.blocks, plan.graphs) {
            let out = graph.output
            reconstruction += Double(out.reconstructionLoss.scalar)
            kl += Double(out.kl.scalar)
            loss += Double(out.loss.scalar)
            examples += block.count
        }
        if let floor = plan.batchKLFloor {
            let control = plan.graphs[0].klControl
            var penalty = 0.0
            for value in plan.batchKLPerDimension() { penalty += Swift.max(Double(floor), Double(value)) }
            loss = reconstruction + Double(control.weight) * penalty
        }
    }

    mutating func add(_ other: LossTotals) {
        loss += other.loss; reconstruction += other.reconstruction; kl += other.kl; examples += other.examples
    }

    /// Averages per example.
    var summary: LossSummary {
        let n = Double(max(examples, 1))
        return LossSummary(loss: loss / n, reconstruction: reconstruction / n, kl: kl / n, examples: examples)
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
    /// Drawing the batch: byte → float conversion, labels, noise. With several workers and data whose
    /// conversion draws nothing at random, each worker converts its own rows at the start of its pass,
    /// and that part counts in `forwardBackward`; the rest of the next batch's preparation then runs on
    /// the calling thread during the parameter update, and counts in `optimizer`.
    public var batchPreparation: Double = 0
    /// Forward and backward passes of all workers (run in parallel, wall time), short of the weight and
    /// bias gradients.
    public var forwardBackward: Double = 0
    /// The weight and bias gradients summed over the workers' rows and the Adam update, the threads
    /// taking pieces of every layer in turn (wall time).
    public var optimizer: Double = 0
    public init() {}
}

/// Trains a VAE with Adam over mini-batches, splitting each batch across worker threads.
///
/// With `threads` = T, every batch is cut into T contiguous row blocks; each worker runs forward and
/// backward on its block with single-threaded sgemm, short of the weight gradients. Then the threads
/// take pieces of every layer's parameters in turn (about 4 · T per layer): for each piece a thread
/// computes its weight and bias gradients from all the blocks, in block order (so results depend only
/// on the seed and T), into a buffer of its own, and Adam updates the piece from there while it is in
/// the core's cache; no thread sums another's whole gradient. Meanwhile the calling thread also
/// prepares the next batch. One thread takes each layer whole, last layer first. The threads live as
/// long as the trainer (`WorkerThreads`), and the workers own the cores: OpenBLAS is set to one thread.
public final class Trainer {
    public let model: VAE
    public let optimizer: Adam
    /// Rows per training batch (default 128).
    public let batchSize: Int
    /// Worker threads (default 1).
    public let threads: Int
    /// The training generator (`SeedStreams.training`): batch order, noise ε and dynamic binarization
    /// draw from it in a fixed order.
    public var generator: SeededGenerator
    /// The run's random streams (training, and each epoch's evaluation noise).
    public let streams: SeedStreams
    /// KL warm-up and free bits.
    public let klSchedule: KLSchedule
    /// Epochs completed so far (the next epoch is `epochsCompleted + 1`).
    public var epochsCompleted = 0
    /// Timings of the last epoch's steps.
    public private(set) var lastTimings = StepTimings()
    /// Stops an epoch at the first batch whose loss explodes (see `LossGuard` for the rule).
    public var lossGuard = LossGuard()
    /// Whether the first layer skips the data's zeros on sparse batches (default true; `VAEGraph`).
    public let skipsZeroInputs: Bool

    private let workers: [Worker]
    /// The threads that run the workers' passes and the parameter updates (the caller's among them).
    private let threadPool: WorkerThreads
    private var plans: [Int: BatchPlan] = [:]
    private let batchNoise: Tensor

    /// - Parameters:
    ///   - model: the VAE to train (its parameters are updated in place).
    ///   - learningRate: Adam's step size (default 1e-3).
    ///   - batchSize: rows per batch (default 128).
    ///   - threads: worker threads (default 1).
    ///   - seed: the run's seed; the trainer draws from its `SeedStreams.training` and `.evaluation` streams.
    ///   - klSchedule: KL warm-up and free bits (default: neither).
    ///   - skipsZeroInputs: the first layer skips the data's zeros on batches with at most 35 % nonzero
    ///     inputs (default true); false runs every product through sgemm (the benchmark's dense path).
    public init(model: VAE, learningRate: Float = 1e-3, batchSize: Int = 128, threads: Int = 1, seed: UInt64,
                klSchedule: KLSchedule = KLSchedule(), skipsZeroInputs: Bool = true) {
        precondition(batchSize > 0, "Trainer: batch size must be positive")
        precondition(threads > 0, "Trainer: thread count must be positive")
        self.model = model
        optimizer = Adam(parameters: model.parameters, settings: .init(learningRate: learningRate))
        self.batchSize = batchSize
        self.threads = threads
        streams = SeedStreams(seed: seed)
        generator = streams.training
        self.klSchedule = klSchedule
        self.skipsZeroInputs = skipsZeroInputs
        // Every worker records its graphs on the model itself: the graphs defer their weight gradients to
        // the update, so no worker writes the parameters' gradients during its pass.
        workers = (0..<threads).map { _ in Worker(model: model, skipsZeroInputs: skipsZeroInputs) }
        batchNoise = Tensor(shape: [batchSize, model.configuration.latent])
        threadPool = WorkerThreads(count: threads)
        BLAS.setThreadCount(1)
    }

    /// Batches per epoch over `exampleCount` examples, ⌈count / batchSize⌉ (the last one may be partial).
    public func batchCount(examples exampleCount: Int) -> Int { (exampleCount + batchSize - 1) / batchSize }

    /// Runs one epoch over `data` in a fresh random order and returns the average training losses.
    /// - Parameter progress: called after every batch (on the calling thread).
    /// - Throws: `LossExplosion` at the first batch whose loss `lossGuard` finds exploded; the epoch stops
    ///   there and does not count (`epochsCompleted` is unchanged), and the parameters are left as that
    ///   batch's update made them, so they are not worth saving.
    public func trainEpoch(on data: TrainingData, progress: ((BatchProgress) -> Void)? = nil) throws(LossExplosion) -> LossSummary {
        guard let summary = try trainEpoch(on: data, progress: progress, stopRequested: { false }) else {
            preconditionFailure("an epoch that is never asked to stop completes")
        }
        return summary
    }

    /// Runs one epoch as `trainEpoch(on:progress:)` does, asking `stopRequested` before every batch.
    /// - Returns: the average training losses, or nil when a stop was requested before the last batch: the
    ///   rest of the epoch is dropped, the epoch is not counted, and the parameters, the optimizer and the
    ///   generator hold part of an epoch (a caller that stops keeps the previous epoch's checkpoint instead).
    /// - Throws: `LossExplosion` as `trainEpoch(on:progress:)` does.
    public func trainEpoch(on data: TrainingData, progress: ((BatchProgress) -> Void)? = nil,
                           stopRequested: () -> Bool) throws(LossExplosion) -> LossSummary? {
        let schedule = BatchSchedule.shuffled(count: data.count, batchSize: batchSize, generator: &generator)
        var optimizerSeconds = 0.0
        var totals = LossTotals()
        var explosion: LossExplosion?
        let start = DispatchTime.now().uptimeNanoseconds
        let batchesPerEpoch = schedule.batchCount
        let passes = forEachBatch(of: schedule, data: data, generator: &generator, backward: true,
                                  stopRequested: stopRequested, klTerm: { plan in
            plan.setKLTerm(weight: self.model.configuration.beta
                               * self.klSchedule.warmupFactor(step: self.optimizer.step, batchesPerEpoch: batchesPerEpoch),
                           freeBits: self.klSchedule.freeBits)
        }) { batch, plan, prepareNext in
            let t0 = DispatchTime.now().uptimeNanoseconds
            applyGradients(plan, alongside: prepareNext)
            optimizerSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            let batchTotals = LossTotals(plan)
            let batchLoss = batchTotals.loss / Double(batchTotals.examples)
            if let exploded = lossGuard.check(loss: batchLoss, batch: batch + 1, batchCount: schedule.batchCount) {
                explosion = exploded
                return false
            }
            totals.add(batchTotals)
            if let progress {
                progress(BatchProgress(batch: batch + 1, batchCount: schedule.batchCount, batchLoss: batchLoss,
                                       runningLoss: totals.loss / Double(totals.examples), examples: totals.examples,
                                       elapsed: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
            }
            return true
        }
        if let explosion { throw explosion }
        guard var timings = passes else { return nil }
        timings.optimizer = optimizerSeconds
        lastTimings = timings
        epochsCompleted += 1
        return totals.summary
    }

    /// The average loss over `data` in order, one z sample per example (the reference's test loss:
    /// per example, summed reconstruction loss + β · KL). Parameters are not changed.
    /// - Parameter noiseSeed: seeds ε (default: `SeedStreams.evaluation` after the epochs completed so far).
    public func evaluate(on data: TrainingData, noiseSeed: UInt64? = nil) -> LossSummary {
        var noiseGenerator = noiseSeed.map { SeededGenerator(seed: $0) } ?? streams.evaluation(afterEpochs: epochsCompleted)
        let schedule = BatchSchedule.sequential(count: data.count, batchSize: batchSize)
        var totals = LossTotals()
        _ = forEachBatch(of: schedule, data: data, generator: &noiseGenerator, backward: false, stopRequested: { false },
                         klTerm: { plan in
            plan.setKLTerm(weight: self.model.configuration.beta, freeBits: 0)
        }) { _, plan, _ in
            totals.add(LossTotals(plan))
            return true
        }
        return totals.summary
    }

    // MARK: Steps

    /// The one batch loop of training and evaluation: for each batch of `schedule`, writes the batch's
    /// inputs, labels and noise into the workers' graphs, runs forward (and backward), then calls
    /// `body` with the batch's 0-based index, its plan and a function that prepares the next batch; the
    /// loop stops when `body` returns false. `body` may call that function once, on the calling thread,
    /// while it updates the parameters (it does nothing when there is no next batch, or when preparing it
    /// would write what the update still reads: the inputs, unless the workers convert their own rows);
    /// otherwise the loop prepares the next batch after `body`. Batches are prepared in order either
    /// way, so the generator's draws do not change. `klTerm` sets the KL term's weight and floor before
    /// each pass. Returns the time spent preparing batches outside `body` and in the passes (the
    /// optimizer's share is the caller's to fill in), or nil when the loop stopped early:
    /// `stopRequested` answered true before a batch, or `body` returned false.
    private func forEachBatch(of schedule: BatchSchedule, data: TrainingData, generator: inout SeededGenerator,
                              backward: Bool, stopRequested: () -> Bool, klTerm: (BatchPlan) -> Void,
                              _ body: (Int, BatchPlan, _ prepareNext: () -> Void) -> Bool) -> StepTimings? {
        var timings = StepTimings()
        precondition(data.featureCount == model.configuration.inputSize,
                     "Trainer: data has \(data.featureCount) features, the model \(model.configuration.inputSize)")
        let completed = schedule.order.withUnsafeBufferPointer { order in
            func indices(ofBatch b: Int) -> UnsafeBufferPointer<Int> {
                UnsafeBufferPointer(rebasing: order[schedule.range(ofBatch: b)])
            }
            func timedPrepare(_ b: Int) -> PreparedBatch {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let prepared = prepare(indices: indices(ofBatch: b), data: data, generator: &generator)
                timings.batchPreparation += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
                return prepared
            }
            var next: PreparedBatch? = schedule.batchCount > 0 && !stopRequested() ? timedPrepare(0) : nil
            for b in 0..<schedule.batchCount {
                if b > 0 && stopRequested() { return false }
                guard let prepared = next else { return false }
                next = nil
                let plan = prepared.plan, workersFill = prepared.workersConvertRows
                klTerm(plan)
                let t1 = DispatchTime.now().uptimeNanoseconds
                // Read-only while the workers run; each reads its own block.
                nonisolated(unsafe) let batchIndices = indices(ofBatch: b)
                run(plan, backward: backward) { w in
                    guard workersFill else { return }
                    // Never drawn from: this data's fill draws nothing at random.
                    var unused = SeededGenerator(seed: 0)
                    data.fillBatch(indices: UnsafeBufferPointer(rebasing: batchIndices[plan.blocks[w]]),
                                   into: plan.graphs[w].input.data, generator: &unused)
                }
                timings.forwardBackward += Double(DispatchTime.now().uptimeNanoseconds - t1) * 1e-9
                let hasNext = b + 1 < schedule.batchCount
                let overlaps = hasNext && workersFillRows(rows: schedule.range(ofBatch: b + 1).count, data: data)
                let carryOn = body(b, plan) {
                    guard overlaps && next == nil else { return }
                    next = prepare(indices: indices(ofBatch: b + 1), data: data, generator: &generator)
                }
                guard carryOn else { return false }
                if hasNext && next == nil { next = timedPrepare(b + 1) }
            }
            return true
        }
        return completed ? timings : nil
    }

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
                             model: model, threads: threads)
        plans[rows] = plan
        return plan
    }

    /// Cuts `indices` into one contiguous block per active worker and writes each block's labels and
    /// noise into that worker's graph, and its inputs unless the workers are to convert them. Draws
    /// happen in batch order, whatever the split.
    private func prepare(indices: UnsafeBufferPointer<Int>, data: TrainingData,
                         generator: inout SeededGenerator) -> PreparedBatch {
        let plan = plan(rows: indices.count)
        let latent = model.configuration.latent
        let workersFill = workersFillRows(rows: indices.count, data: data)
        generator.fillNormal(UnsafeMutableBufferPointer(start: batchNoise.data, count: indices.count * latent))
        for (block, graph) in zip(plan.blocks, plan.graphs) {
            let part = UnsafeBufferPointer(rebasing: indices[block])
            if !workersFill { data.fillBatch(indices: part, into: graph.input.data, generator: &generator) }
            graph.noise.copyValues(from: batchNoise.data + block.lowerBound * latent)
            if let labels = graph.labels {
                data.fillOneHot(indices: part, into: labels.buffer)
            }
        }
        return PreparedBatch(plan: plan, workersConvertRows: workersFill)
    }

    /// Whether the workers convert their own rows of a batch of `rows` from `data` (see `PreparedBatch`).
    private func workersFillRows(rows: Int, data: TrainingData) -> Bool {
        min(threads, rows) > 1 && !data.fillDrawsRandomness
    }

    /// A batch written into the workers' graphs by `prepare`.
    private struct PreparedBatch {
        let plan: BatchPlan
        /// Whether each worker converts its own rows at the start of its pass (`run`'s `fill`): true
        /// when there are several workers and the data's fill draws nothing at random, so that the
        /// byte → float conversion runs in parallel with the same result.
        let workersConvertRows: Bool
    }

    /// Runs every active worker's forward (and backward) pass, in parallel when there is more than one;
    /// worker w first calls `fill(w)`. With free bits on several workers, all forward passes finish
    /// first, so that which latent dimensions are above the floor is decided on the whole batch before
    /// any backward pass.
    private func run(_ plan: BatchPlan, backward: Bool, fill: @Sendable (Int) -> Void) {
        if plan.graphs.count == 1 {
            fill(0)
            plan.graphs[0].forward()
            if backward { plan.graphs[0].backward() }
            return
        }
        // A small last batch may have fewer active workers than threads.
        let workers = plan.graphs.count
        if backward && plan.batchKLFloor != nil {
            threadPool.run { w in
                guard w < workers else { return }
                fill(w)
                plan.graphs[w].forward()
            }
            plan.decideKLFloor()
            threadPool.run { w in if w < workers { plan.graphs[w].backward() } }
            return
        }
        threadPool.run { w in
            guard w < workers else { return }
            fill(w)
            plan.graphs[w].forward()
            if backward { plan.graphs[w].backward() }
        }
    }

    /// Takes one Adam step on the whole batch's gradients: the threads take the plan's pieces in turn,
    /// compute each piece's weight and bias gradients from all the workers' blocks, in worker order, into
    /// a buffer of their own, and update those parameters at once (`BatchPlan.update(thread:…)`). The
    /// calling thread first runs `alongside` (the next batch's preparation), which must not touch what
    /// the update reads. The model's gradient buffer is neither written nor read.
    private func applyGradients(_ plan: BatchPlan, alongside: () -> Void) {
        let coefficients = optimizer.beginStep()
        let optimizer = self.optimizer
        plan.beginUpdate()
        threadPool.run { s in
            if s == 0 { alongside() }
            plan.update(thread: s, optimizer: optimizer, coefficients: coefficients)
        }
    }
}
