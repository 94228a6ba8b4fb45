import Foundation
import MNISTData
import VAEModel

// One set of rules for every setting, wherever the value comes from: `vae train`'s flags (through
// `RunRequest.problems`, in `validate()`), a resolved run before it starts (`RunSettings.problems`), and
// the settings read back from a model file (`SavedModel.read`). Each rule returns a sentence naming the
// flag that sets the value, or nil.

extension TrainingSettings {
    /// The most epochs a run may train or have trained.
    public static let maximumEpochs = 1_000_000
    /// The most worker threads.
    public static let maximumThreads = 64
    /// The most points a Swiss roll may have.
    public static let maximumSwissRollCount = 10_000_000

    /// Why `epochs` cannot be the epochs to train (`--epochs`), or nil.
    public static func epochsProblem(_ epochs: Int) -> String? {
        (1...maximumEpochs).contains(epochs) ? nil : "--epochs must be between 1 and \(formatCount(maximumEpochs)) (got \(epochs))"
    }

    /// Why `epochs` cannot be the epochs a saved run completed, or nil.
    public static func epochsCompletedProblem(_ epochs: Int) -> String? {
        (0...maximumEpochs).contains(epochs)
            ? nil : "the completed epoch count must be between 0 and \(formatCount(maximumEpochs)) (got \(epochs))"
    }

    /// Why `batchSize` cannot be the batch size (`--batch-size`), or nil. Its memory is checked with the model's.
    public static func batchSizeProblem(_ batchSize: Int) -> String? {
        batchSize >= 1 ? nil : "--batch-size must be at least 1 (got \(batchSize))"
    }

    /// Why `rate` cannot be Adam's learning rate (`--lr`), or nil.
    public static func learningRateProblem(_ rate: Float) -> String? {
        rate > 0 && rate.isFinite ? nil : "--lr must be a finite number above 0 (got \(rate))"
    }

    /// Why `threads` cannot be the worker-thread count (`--threads`), or nil.
    public static func threadsProblem(_ threads: Int) -> String? {
        (1...maximumThreads).contains(threads) ? nil : "--threads must be between 1 and \(maximumThreads) (got \(threads))"
    }

    /// Why `limit` cannot be the training-example limit (`--limit`), or nil.
    public static func limitProblem(_ limit: Int) -> String? {
        limit >= 1 ? nil : "--limit must be at least 1 (got \(limit))"
    }

    /// Why `every` cannot be the sample-grid interval (`--sample-every`), or nil.
    public static func sampleEveryProblem(_ every: Int) -> String? {
        every >= 0 ? nil : "--sample-every must be 0 or more (got \(every))"
    }

    /// Why `epochs` cannot be the KL warm-up (`--kl-warmup`), or nil.
    public static func warmupProblem(_ epochs: Int) -> String? {
        (0...maximumEpochs).contains(epochs)
            ? nil : "--kl-warmup must be between 0 and \(formatCount(maximumEpochs)) epochs (got \(epochs))"
    }

    /// Why `nats` cannot be the free bits (`--free-bits`), or nil.
    public static func freeBitsProblem(_ nats: Float) -> String? {
        nats >= 0 && nats.isFinite ? nil : "--free-bits must be a finite number of nats ≥ 0 (got \(nats))"
    }

    /// Problems of these settings, as sentences; empty when valid.
    public var problems: [String] {
        var result = [Self.batchSizeProblem(batchSize), Self.learningRateProblem(learningRate), Self.threadsProblem(threads),
                      limit.flatMap(Self.limitProblem), Self.sampleEveryProblem(sampleEvery),
                      Self.warmupProblem(klSchedule.warmupEpochs), Self.freeBitsProblem(klSchedule.freeBits)].compactMap { $0 }
        if !(1...Self.maximumSwissRollCount).contains(swissRollCount) {
            result.append("the Swiss-roll point count must be between 1 and \(formatCount(Self.maximumSwissRollCount)) (got \(swissRollCount))")
        }
        if !(swissRollNoise >= 0 && swissRollNoise.isFinite) {
            result.append("the Swiss-roll noise must be a finite number ≥ 0 (got \(swissRollNoise))")
        }
        return result
    }
}

extension RunSettings {
    /// Problems of these settings, as sentences; empty when the run can start: the architecture's, the
    /// training settings', and the memory training needs (`MemoryBudget.trainingBytes`) against the limit.
    public var problems: [String] {
        let found = model.problems + training.problems
        guard found.isEmpty else { return found }
        let bytes = MemoryBudget.trainingBytes(model, batchSize: training.batchSize, threads: training.threads)
        let threads = training.threads
        let purpose = "training the \(model.sizesText) model with batch size \(training.batchSize) on \(threads) thread\(threads == 1 ? "" : "s")"
        return [MemoryBudget.problem(bytes: bytes, purpose: purpose,
                                     advice: "use a smaller --batch-size, --hidden or --latent, or fewer --threads")].compactMap { $0 }
    }
}

extension RunRequest {
    /// Problems of the flags alone, before any file or data is read: each value given is checked by the
    /// rule its saved value is checked by, and the memory of training the smallest model these flags
    /// allow (the input size and a resumed run's architecture are not known yet, so the least is assumed:
    /// one input value, one hidden unit and one latent dimension where not given). `TrainingPlan.make`
    /// checks the exact memory once the data is loaded.
    public var problems: [String] {
        var found: [String?] = [hidden.flatMap(VAEConfiguration.hiddenProblem), latent.flatMap(VAEConfiguration.latentProblem),
                                beta.flatMap(VAEConfiguration.betaProblem), batchSize.flatMap(TrainingSettings.batchSizeProblem),
                                learningRate.flatMap(TrainingSettings.learningRateProblem),
                                threads.flatMap(TrainingSettings.threadsProblem), limit.flatMap(TrainingSettings.limitProblem),
                                sampleEvery.flatMap(TrainingSettings.sampleEveryProblem),
                                klWarmupEpochs.flatMap(TrainingSettings.warmupProblem),
                                freeBits.flatMap(TrainingSettings.freeBitsProblem)]
        if let loss, let outputActivation { found.append(VAEConfiguration.outputProblem(loss: loss, output: outputActivation)) }
        let flagProblems = found.compactMap { $0 }
        guard flagProblems.isEmpty else { return flagProblems }

        var smallest = TrainingPlan.resolve(self, saved: nil)
        smallest.model.inputSize = smallest.training.dataset == .swissRoll ? 2 : 1
        if resume != nil {
            smallest.model.hidden = hidden ?? [1]
            smallest.model.latent = latent ?? 1
            smallest.training.batchSize = batchSize ?? 1
            smallest.training.threads = threads ?? 1
        }
        let bytes = MemoryBudget.trainingBytes(smallest.model, batchSize: smallest.training.batchSize,
                                               threads: smallest.training.threads)
        let purpose = "training with --hidden \(smallest.model.hidden.map(String.init).joined(separator: ",")) "
            + "--latent \(smallest.model.latent) --batch-size \(smallest.training.batchSize) --threads \(smallest.training.threads)"
        return [MemoryBudget.problem(bytes: bytes, atLeast: true, purpose: purpose,
                                     advice: "use a smaller --batch-size, --hidden or --latent, or fewer --threads")].compactMap { $0 }
    }
}

extension SavedModel {
    /// Refuses to run the model on `examples` examples at once (a grid to decode, images to reconstruct)
    /// when that needs more memory than allowed (`MemoryBudget.inferenceBytes`).
    /// - Parameter advice: the flag to change, e.g. "use a smaller --n".
    /// - Throws: `CheckpointError.tooLarge` naming the model file, the bytes and the limit.
    public func requireMemory(examples: Int, advice: String) throws {
        let c = model.configuration
        let purpose = "running its \(c.sizesText) model on \(formatCount(examples)) examples at once"
        if let problem = MemoryBudget.problem(bytes: MemoryBudget.inferenceBytes(c, examples: examples), purpose: purpose,
                                              advice: advice) {
            throw CheckpointError.tooLarge(path: url.relativePath, reason: problem)
        }
    }
}
