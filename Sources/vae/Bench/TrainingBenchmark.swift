// Training throughput and where a step's time goes.

import ArgumentParser
import Dispatch
import Foundation
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

extension Bench {
    // MARK: training

    /// Trains a fresh model for the warm-up and timed epochs on `threads` workers.
    /// - Parameters:
    ///   - skipsZeroInputs: true for the trainer as `vae train` runs it (the first layer skips the data's
    ///     zeros), false for the dense path (every product through sgemm).
    ///   - reference: sgemm on the step's shapes at this thread count; its samples are cleared, it takes a
    ///     pass before each timed epoch and one after the last, and the run is compared with its rate over
    ///     those passes.
    ///   - separateWindowGFLOPS: the round's sgemm rate measured on its own before the round's runs on
    ///     this thread count (see `TrainingResult.separateWindowSGEMMGFLOPS`).
    /// - Throws: `LossExplosion` if the loss explodes (it does not with the default model and rate).
    func measureTraining(data: ImageSet, configuration: VAEConfiguration, threads: Int, skipsZeroInputs: Bool,
                         batchSize: Int, round: Int, gemmFlopsPerImage: Double, reference: SGEMMSampler,
                         separateWindowGFLOPS: Double) throws -> TrainingResult {
        var generator = SeededGenerator(seed: seed)
        let model = VAE(configuration: configuration, generator: &generator)
        let trainer = Trainer(model: model, batchSize: batchSize, threads: threads, seed: seed,
                              skipsZeroInputs: skipsZeroInputs)
        for _ in 0..<warmupEpochs { _ = try trainer.trainEpoch(on: data) }
        var seconds = 0.0, imagesSeen = 0, epochRates: [Double] = [], finalLoss = 0.0
        var parts = StepTimings()
        reference.reset()
        for _ in 0..<epochs {
            reference.samplePass()
            var summary: LossSummary?
            let t = try time { summary = try trainer.trainEpoch(on: data) }
            let examples = summary?.examples ?? data.count
            seconds += t
            imagesSeen += examples
            epochRates.append(Double(examples) / t)
            finalLoss = summary?.loss ?? .nan
            parts.batchPreparation += trainer.lastTimings.batchPreparation
            parts.forwardBackward += trainer.lastTimings.forwardBackward
            parts.optimizer += trainer.lastTimings.optimizer
        }
        reference.samplePass()
        let sgemmGFLOPS = reference.totalResult.combinedGFLOPS
        let steps = epochs * ((data.count + batchSize - 1) / batchSize)
        let perStep = { (s: Double) in s / Double(steps) * 1e3 }
        let stepMs = perStep(seconds)
        let step = StepBreakdown(
            steps: steps, stepMilliseconds: stepMs,
            batchPreparationMilliseconds: perStep(parts.batchPreparation),
            forwardBackwardMilliseconds: perStep(parts.forwardBackward),
            optimizerMilliseconds: perStep(parts.optimizer),
            otherMilliseconds: perStep(seconds - parts.batchPreparation - parts.forwardBackward - parts.optimizer),
            batchPreparationPercent: 100 * parts.batchPreparation / seconds,
            forwardBackwardPercent: 100 * parts.forwardBackward / seconds,
            optimizerPercent: 100 * parts.optimizer / seconds)
        let rate = Double(imagesSeen) / seconds
        let achieved = gemmFlopsPerImage * rate / 1e9
        return TrainingResult(round: round, threads: threads, skipsZeroInputs: skipsZeroInputs, batchSize: batchSize, warmupEpochs: warmupEpochs, epochs: epochs,
                              images: imagesSeen, seconds: seconds, imagesPerSecond: rate,
                              epochImagesPerSecond: epochRates, achievedGFLOPS: achieved,
                              sgemmGFLOPS: sgemmGFLOPS, sgemmPercent: 100 * achieved / sgemmGFLOPS,
                              sgemmPasses: reference.passes,
                              separateWindowSGEMMGFLOPS: separateWindowGFLOPS,
                              separateWindowSGEMMPercent: 100 * achieved / separateWindowGFLOPS,
                              step: step, finalLoss: finalLoss)
    }

}
