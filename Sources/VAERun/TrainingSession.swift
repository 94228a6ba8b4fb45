import Dispatch
import FileErrors
import Foundation
import ImageIO
import MNISTData
import VAEModel

/// Training that cannot go on.
public enum TrainingError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// A batch's loss exploded (`LossGuard`): the epoch was stopped there and nothing of it was saved.
    /// - Parameters: `run` is the run folder as shown to the user; `keptEpoch` the epoch its checkpoint
    ///   holds, or nil when no epoch was completed (a new run then leaves no folder).
    case diverged(epoch: Int, learningRate: Float, explosion: LossExplosion, run: String, keptEpoch: Int?)

    public var description: String {
        switch self {
        case let .diverged(epoch, learningRate, explosion, run, keptEpoch):
            let what: String
            if explosion.isNonFinite {
                what = "the loss became \(explosion.batchLoss.isNaN ? "NaN" : "infinite")"
            } else {
                what = "the loss per example jumped to \(formatScientific(explosion.batchLoss)), more than "
                    + "\(formatCount(Int(explosion.factor))) times the median of the batches before it "
                    + "(\(formatFixed(explosion.recentMedian ?? 0, decimals: 2)))"
            }
            let smaller = formatRate(learningRate / 10)
            let kept = keptEpoch.map { "\(run) keeps epoch \($0); continue it with vae train --resume \(run) --lr \(smaller)" }
                ?? "Nothing was saved; train again with a smaller --lr such as \(smaller)"
            return "training diverged in epoch \(epoch) (batch \(explosion.batch) of \(explosion.batchCount)): \(what); "
                + "the learning rate \(formatRate(learningRate)) is too large. \(kept)"
        }
    }

    public var errorDescription: String? { description }
}

/// How a call to `TrainingSession.train` ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// Every epoch asked for was trained and saved.
    case finished
    /// A stop was requested during epoch `inEpoch`; that epoch was dropped. `keptEpoch` is the last epoch
    /// whose checkpoint is in the run folder, or 0 when there is none (and the folder was removed again).
    case stopped(inEpoch: Int, keptEpoch: Int)
}

/// A learning rate the way people write it: 0.3, 0.03, 1e-05 (`%g`: 6 significant digits at most).
func formatRate(_ rate: Float) -> String { String(format: "%g", Double(rate)) }

/// A large number in scientific notation with 3 significant digits: 2.14e+07.
func formatScientific(_ value: Double) -> String { String(format: "%.3g", value) }

/// A training run: model, trainer, data and run folder, advanced one epoch at a time.
///
/// Every epoch ends with the metrics line appended, `curves.png` redrawn, the sample pictures when due, and
/// the checkpoint and trainer state rewritten (each file written to a temporary name, flushed, then renamed),
/// so the folder always holds the last complete epoch, whatever stops the run.
public final class TrainingSession {
    public let run: RunFolder
    public let settings: RunSettings
    public let model: VAE
    public let trainer: Trainer
    public let data: RunData
    private let metrics: MetricsLog
    private let pictures: EpochPictures
    /// The folders the plan made for this run, outermost first.
    private let createdFolders: [URL]
    /// The files and folders of a run (besides the checkpoint) that were not there before this session.
    private let createdEntries: [URL]
    /// The run folder's lock, held as long as the session lives.
    private let lock: RunFolderLock
    /// The last epoch whose checkpoint (model and trainer state) is in the run folder; 0 for none.
    public private(set) var savedEpoch: Int

    /// Starts the run a plan describes: a new one, or the continuation of `plan.resumeFrom`.
    public init(plan: TrainingPlan) throws {
        run = plan.folder
        settings = plan.settings
        data = plan.data
        metrics = MetricsLog(url: run.metricsURL)
        pictures = EpochPictures(settings: settings, folder: run, data: data)
        createdFolders = plan.createdFolders
        lock = plan.lock
        createdEntries = [run.configurationURL, run.metricsURL, pictures.curvesURL, run.samplesURL]
            .filter { !FileManager.default.fileExists(atPath: $0.path) }
        let t = settings.training
        if let resume = plan.resumeFrom, let saved = plan.resumedModel {
            model = saved.model
            trainer = Trainer(model: model, learningRate: t.learningRate, batchSize: t.batchSize, threads: t.threads, seed: t.seed,
                              klSchedule: t.klSchedule)
            try Checkpoint.restoreTrainerState(into: trainer, from: resume.trainerStateURL)
            // The two files are written one after the other; a run stopped between the writes leaves
            // them at different epochs, and resuming from such a pair would not be exact.
            if saved.epochsCompleted != trainer.epochsCompleted {
                throw CheckpointError.stateMismatch(
                    path: resume.trainerStateURL.relativePath,
                    reason: "it is from epoch \(trainer.epochsCompleted) but \(resume.modelURL.relativePath) from epoch "
                        + "\(saved.epochsCompleted.map(String.init) ?? "unknown") (was a save interrupted?), so resuming would not be exact; "
                        + "start a new run")
            }
        } else {
            var generator = t.streams.initialisation
            model = VAE(configuration: settings.model, generator: &generator)
            trainer = Trainer(model: model, learningRate: t.learningRate, batchSize: t.batchSize, threads: t.threads, seed: t.seed,
                              klSchedule: t.klSchedule)
        }
        savedEpoch = trainer.epochsCompleted
        do {
            try run.create()
            try metrics.truncate(afterEpoch: trainer.epochsCompleted)
            if let reason = OutputFile.write(Data((encodeJSONPretty(settings) + "\n").utf8), to: run.configurationURL) {
                throw CheckpointError.writeFailed(path: displayPath(run.configurationURL), reason: reason)
            }
        } catch {
            removeUnfinishedRun()
            throw error
        }
    }

    /// Removes what this session and its plan made for a run that has no checkpoint (a new run stopped or
    /// failed before its first epoch ended): the folders the plan made, or, in a folder that existed, the
    /// files made since. Best effort: the caller reports what stopped the run, which is what matters.
    private func removeUnfinishedRun() {
        guard !FileManager.default.fileExists(atPath: run.modelURL.path) else { return }
        if let runFolder = createdFolders.last {
            try? FileManager.default.removeItem(at: runFolder)
            // Parents made for it (such as runs/) go too, when nothing else has appeared in them.
            for parent in createdFolders.dropLast().reversed() { rmdir(parent.path) }
        } else {
            for entry in createdEntries { try? FileManager.default.removeItem(at: entry) }
        }
    }


    /// The epoch the next call to `runEpoch` trains (1-based).
    public var nextEpoch: Int { trainer.epochsCompleted + 1 }

    /// Batches in one training epoch (for progress bars).
    public var batchesPerEpoch: Int { trainer.batchCount(examples: data.train.count) }

    /// Trains `epochs` more epochs, calling `progress` after every batch and `finished` after every
    /// epoch, and asking `stopRequested` before every batch.
    ///
    /// A stop drops the rest of the current epoch (its batches are not saved); the run folder keeps the
    /// last complete epoch, whose checkpoint was written when it ended. A new run that stops or fails
    /// before its first checkpoint leaves no half-made folder behind.
    public func train(epochs: Int, progress: ((Int, BatchProgress) -> Void)? = nil,
                      finished: (EpochRecord) -> Void, stopRequested: () -> Bool = { false }) throws -> TrainingOutcome {
        do {
            for _ in 0..<epochs {
                let epoch = nextEpoch
                guard let record = try runEpoch(progress: { progress?(epoch, $0) }, stopRequested: stopRequested) else {
                    let kept = savedEpoch
                    if kept == 0 { removeUnfinishedRun() }
                    return .stopped(inEpoch: epoch, keptEpoch: kept)
                }
                finished(record)
            }
            return .finished
        } catch {
            removeUnfinishedRun()
            throw error
        }
    }

    /// Trains one epoch, evaluates on the test split, and writes metrics, samples and the checkpoint.
    /// - Returns: the epoch's record, or nil when `stopRequested` answered true before its last batch
    ///   (nothing of the epoch is written).
    public func runEpoch(progress: ((BatchProgress) -> Void)? = nil, stopRequested: () -> Bool = { false }) throws -> EpochRecord? {
        let start = DispatchTime.now().uptimeNanoseconds
        let train: LossSummary
        do {
            guard let summary = try trainer.trainEpoch(on: data.train, progress: progress, stopRequested: stopRequested) else {
                return nil
            }
            train = summary
        } catch {
            // The run folder's checkpoint, if it has one, is the last complete epoch's.
            let kept = trainer.epochsCompleted
            let hasCheckpoint = FileManager.default.fileExists(atPath: run.modelURL.path)
            throw TrainingError.diverged(epoch: kept + 1, learningRate: settings.training.learningRate, explosion: error,
                                         run: displayPath(run.url), keptEpoch: hasCheckpoint ? kept : nil)
        }
        let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let epoch = trainer.epochsCompleted
        let test = data.test.map { trainer.evaluate(on: $0) }
        let every = settings.training.sampleEvery
        if every > 0 && epoch % every == 0 { try pictures.write(epoch: epoch, model: model) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let record = EpochRecord(epoch: epoch, trainLoss: train.loss,
                                 trainReconstruction: train.reconstruction, trainKL: train.kl,
                                 testLoss: test?.loss, testReconstruction: test?.reconstruction, testKL: test?.kl,
                                 imagesPerSecond: Double(train.examples) / max(trainSeconds, 1e-9), seconds: seconds)
        try metrics.append(record)
        try pictures.writeCurves(records: metrics.records())
        try saveCheckpoint()
        return record
    }

    /// Writes the model (with the run's settings in its metadata) and the trainer state.
    public func saveCheckpoint() throws {
        try Checkpoint.saveModel(model, to: run.modelURL, metadata: settings.metadata(epochsCompleted: trainer.epochsCompleted))
        try Checkpoint.saveTrainerState(trainer, to: run.trainerStateURL)
        savedEpoch = trainer.epochsCompleted
    }
}
