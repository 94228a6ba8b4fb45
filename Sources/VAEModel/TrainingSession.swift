import Foundation
import ImageIO
import MNISTData
import TensorCore

/// Which kind of data a run trains on.
public enum DatasetKind: String, Codable, Sendable, CaseIterable {
    /// MNIST-style IDX image folders (MNIST, Fashion-MNIST, KMNIST, the bundled subset).
    case mnist
    /// The 2-D Swiss-roll toy.
    case swissRoll = "swiss-roll"
}

/// Everything about how a run trains, saved with it so `--resume` and `sample` can rebuild it.
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var dataset: DatasetKind
    /// The data folder as the user gave it, or nil for the default resolution.
    public var dataFolder: String?
    /// Human description of the data used.
    public var dataDescription: String
    /// Train on the first N examples only.
    public var limit: Int?
    /// Byte → float mapping of images: unit ([0, 1]), symmetric ([−1, 1]) or binarized.
    public var scaling: String
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64
    public var threads: Int
    /// Write a sample grid every N epochs (0: never).
    public var sampleEvery: Int
    /// Swiss roll: points in the training set and noise level.
    public var swissRollCount: Int
    public var swissRollNoise: Float

    public init(dataset: DatasetKind = .mnist, dataFolder: String? = nil, dataDescription: String = "",
                limit: Int? = nil, scaling: String = PixelScaling.unit.rawValue, batchSize: Int = 128,
                learningRate: Float = 1e-3, seed: UInt64 = 1, threads: Int = 1, sampleEvery: Int = 1,
                swissRollCount: Int = 20_000, swissRollNoise: Float = 0.5) {
        self.dataset = dataset; self.dataFolder = dataFolder; self.dataDescription = dataDescription
        self.limit = limit; self.scaling = scaling; self.batchSize = batchSize; self.learningRate = learningRate
        self.seed = seed; self.threads = threads; self.sampleEvery = sampleEvery
        self.swissRollCount = swissRollCount; self.swissRollNoise = swissRollNoise
    }

    /// The pixel scaling as an enum (unit when the stored name is unknown).
    public var pixelScaling: PixelScaling { PixelScaling(rawValue: scaling) ?? .unit }
}

/// The run's `config.json`: model architecture and training settings.
public struct RunConfiguration: Codable, Equatable, Sendable {
    public var model: VAEConfiguration
    public var training: TrainingSettings
    public init(model: VAEConfiguration, training: TrainingSettings) { self.model = model; self.training = training }
}

/// Training and test examples, loaded as the settings say.
public struct LoadedData {
    public let train: TrainingData
    public let test: TrainingData?
    /// Image height and width for image data, nil for points.
    public let imageHeight: Int?
    public let imageWidth: Int?
    /// What was loaded, for the user.
    public let description: String
    /// The first `plottedPoints` 2-D training points of a Swiss roll (for scatter plots), else nil.
    public let points: [Float]?
    /// How many training points scatter plots show.
    public static let plottedPoints = 4000

    /// Loads the data a run trains on.
    /// - Parameters:
    ///   - settings: dataset kind, folder, limit, scaling, Swiss-roll size and noise, seed.
    ///   - requireLabels: a conditional model needs labels.
    public static func load(_ settings: TrainingSettings, requireLabels: Bool) throws -> LoadedData {
        switch settings.dataset {
        case .mnist:
            let location = try DataLocation.resolve(explicitFolder: settings.dataFolder)
            let dataset = try MNISTDataset(folder: location.folder,
                                           options: .init(requireLabels: requireLabels, trainLimit: settings.limit))
            var train = dataset.train
            train.scaling = settings.pixelScaling
            var test = dataset.test
            // Evaluation always uses the same deterministic mapping (binarized data is scored on probabilities).
            test?.scaling = settings.pixelScaling == .symmetric ? .symmetric : .unit
            return LoadedData(train: train, test: test, imageHeight: dataset.height, imageWidth: dataset.width,
                              description: "\(location.description): \(dataset.summary)", points: nil)
        case .swissRoll:
            var generator = SeededGenerator(seed: settings.seed &+ 0x5157_1550)
            let count = settings.limit.map { min($0, settings.swissRollCount) } ?? settings.swissRollCount
            let roll = SwissRoll(count: count, noise: settings.swissRollNoise, generator: &generator)
            let test = SwissRoll(count: max(count / 4, 1), noise: settings.swissRollNoise, generator: &generator)
            // Standardise the test set with the training set's statistics.
            var testPoints = test.points
            for i in 0..<testPoints.count {
                let d = i % 2
                let raw = testPoints[i] * test.standardDeviations[d] + test.means[d]
                testPoints[i] = (raw - roll.means[d]) / roll.standardDeviations[d]
            }
            return LoadedData(train: roll.dataset, test: FloatDataset(rows: testPoints, featureCount: 2),
                              imageHeight: nil, imageWidth: nil,
                              description: "Swiss roll: \(formatCount(count)) training and \(formatCount(test.count)) test points, noise \(settings.swissRollNoise)",
                              points: Array(roll.points.prefix(2 * plottedPoints)))
        }
    }
}

/// Training that cannot go on.
public enum TrainingError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The loss became NaN or infinite.
    case diverged(epoch: Int, learningRate: Float)

    public var description: String {
        switch self {
        case let .diverged(epoch, learningRate):
            return "training diverged in epoch \(epoch): the loss became NaN or infinite. Nothing of that epoch was saved; "
                + "train again with a lower --lr (it was \(learningRate))."
        }
    }

    public var errorDescription: String? { description }
}

/// One epoch's numbers, as written to `metrics.jsonl`.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainReconstruction: Double
    public var trainKL: Double
    public var testLoss: Double?
    public var testReconstruction: Double?
    public var testKL: Double?
    public var imagesPerSecond: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, seconds
        case trainLoss = "train_loss", trainReconstruction = "train_reconstruction", trainKL = "train_kl"
        case testLoss = "test_loss", testReconstruction = "test_reconstruction", testKL = "test_kl"
        case imagesPerSecond = "images_per_second"
    }
}

/// A training run: model, trainer, data and run folder, advanced one epoch at a time.
///
/// Every epoch ends with the metrics line appended, a sample grid when due, and the checkpoint and
/// trainer state rewritten (each file written to a temporary name, then renamed).
public final class TrainingSession {
    public let run: RunFolder
    public let configuration: RunConfiguration
    public let model: VAE
    public let trainer: Trainer
    public let data: LoadedData
    /// Fixed latent vectors (and labels) for the per-epoch sample grids, so grids are comparable.
    private let sampleLatents: [Float]
    private let sampleLabels: [Int]?

    /// Starts a new run, or continues one whose model and trainer state are given.
    /// - Parameters:
    ///   - run: the folder to write to (created if needed).
    ///   - configuration: model and training settings.
    ///   - data: loaded training and test data.
    ///   - resumeFrom: a run whose checkpoint and trainer state to continue from, or nil.
    public init(run: RunFolder, configuration: RunConfiguration, data: LoadedData, resumeFrom: RunFolder? = nil) throws {
        self.run = run
        self.configuration = configuration
        self.data = data
        let t = configuration.training
        if let resume = resumeFrom {
            model = try Checkpoint.loadModel(from: resume.modelURL)
            guard model.configuration == configuration.model else {
                throw CheckpointError.architectureMismatch(path: resume.modelURL.path,
                                                           differences: ["the saved configuration differs from the run's"])
            }
        } else {
            var generator = SeededGenerator(seed: t.seed)
            model = VAE(configuration: configuration.model, generator: &generator)
        }
        trainer = Trainer(model: model, learningRate: t.learningRate, batchSize: t.batchSize, threads: t.threads,
                          seed: t.seed &+ 1)
        if let resume = resumeFrom {
            try Checkpoint.restoreTrainerState(into: trainer, from: resume.trainerStateURL)
            // The two files are written one after the other; a run stopped between the writes leaves
            // them at different epochs, and resuming from such a pair would not be exact.
            let modelEpochs = try Checkpoint.metadata(ofModelAt: resume.modelURL)["epochs_completed"].flatMap { Int($0) }
            if modelEpochs != trainer.epochsCompleted {
                throw CheckpointError.stateMismatch(
                    path: resume.trainerStateURL.relativePath,
                    reason: "it is from epoch \(trainer.epochsCompleted) but \(resume.modelURL.relativePath) from epoch "
                        + "\(modelEpochs.map(String.init) ?? "unknown") (was a save interrupted?), so resuming would not be exact; "
                        + "start a new run")
            }
        }
        var sampleGenerator = SeededGenerator(seed: t.seed &+ 2)
        let count = configuration.model.isConditional ? configuration.model.classes * 8 : 64
        var z = [Float](repeating: 0, count: count * configuration.model.latent)
        z.withUnsafeMutableBufferPointer { sampleGenerator.fillNormal($0) }
        sampleLatents = z
        sampleLabels = configuration.model.isConditional ? (0..<count).map { $0 / 8 } : nil
        try run.create()
        try write(Data((Checkpoint.encodeJSONPretty(configuration) + "\n").utf8), to: run.configurationURL)
    }

    /// The epoch the next call to `runEpoch` trains (1-based).
    public var nextEpoch: Int { trainer.epochsCompleted + 1 }

    /// Trains one epoch, evaluates on the test split, and writes metrics, samples and the checkpoint.
    public func runEpoch(progress: ((BatchProgress) -> Void)? = nil) throws -> EpochRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        let train = trainer.trainEpoch(on: data.train, progress: progress)
        let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let epoch = trainer.epochsCompleted
        guard train.loss.isFinite else {
            throw TrainingError.diverged(epoch: epoch, learningRate: configuration.training.learningRate)
        }
        let test = data.test.map { trainer.evaluate(on: $0) }
        let every = configuration.training.sampleEvery
        if every > 0 && epoch % every == 0 { try writeSamples(epoch: epoch) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let record = EpochRecord(epoch: epoch, trainLoss: train.loss,
                                 trainReconstruction: train.reconstruction, trainKL: train.kl,
                                 testLoss: test?.loss, testReconstruction: test?.reconstruction, testKL: test?.kl,
                                 imagesPerSecond: Double(train.examples) / max(trainSeconds, 1e-9), seconds: seconds)
        try appendMetrics(record)
        try saveCheckpoint()
        return record
    }

    /// Writes the model (with settings in its metadata) and the trainer state.
    public func saveCheckpoint() throws {
        try Checkpoint.saveModel(model, to: run.modelURL, metadata: [
            "vae_training": Checkpoint.encodeJSON(configuration.training),
            "epochs_completed": String(trainer.epochsCompleted),
        ])
        try Checkpoint.saveTrainerState(trainer, to: run.trainerStateURL,
                                        metadata: ["vae_training": Checkpoint.encodeJSON(configuration.training)])
    }

    /// The per-epoch sample file for `epoch`.
    public func sampleURL(epoch: Int) -> URL {
        run.samplesURL.appendingPathComponent(String(format: "epoch-%03d.png", epoch))
    }

    private func writeSamples(epoch: Int) throws {
        let url = sampleURL(epoch: epoch)
        do {
            if let points = data.points {
                var generator = SeededGenerator(seed: configuration.training.seed &+ 3)
                let generated = model.sample(count: points.count / 2, generator: &generator)
                try SamplePlots.swissRoll(training: points, generated: generated,
                                          title: "Swiss roll, epoch \(epoch)").writePNG(to: url)
            } else if let height = data.imageHeight, let width = data.imageWidth {
                let images = model.decode(latents: sampleLatents, labels: sampleLabels)
                try makeImageGrid(images: images, imageCount: images.count / (height * width), imageHeight: height,
                                  imageWidth: width, imagesPerRow: 8,
                                  normalization: configuration.model.output == .tanh ? .symmetricUnit : .none)
                    .writePNG(to: url)
            }
        } catch {
            throw CheckpointError.writeFailed(path: url.path, reason: error.description)
        }
    }

    private func appendMetrics(_ record: EpochRecord) throws {
        var contents = (try? Data(contentsOf: run.metricsURL)) ?? Data()
        // A resumed run may have lines for epochs past the checkpoint (an interrupted epoch): drop them.
        if !contents.isEmpty, let text = String(data: contents, encoding: .utf8) {
            let kept = text.split(separator: "\n").filter { line in
                guard let r = try? JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8)) else { return false }
                return r.epoch < record.epoch
            }
            contents = Data(kept.map { $0 + "\n" }.joined().utf8)
        }
        contents.append(Data((Checkpoint.encodeJSON(record) + "\n").utf8))
        try write(contents, to: run.metricsURL)
    }

    private func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw CheckpointError.writeFailed(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// Scatter plots of 2-D data.
public enum SamplePlots {
    /// Training points and generated points (both N×2, row-major) in two colours on labelled axes.
    public static func swissRoll(training: [Float], generated: [Float], title: String) -> ScatterPlot {
        ScatterPlot(series: [
            ScatterSeries(name: "training data", interleaved: training, color: .lightBlue),
            ScatterSeries(name: "generated", interleaved: generated, color: .orange),
        ], options: ScatterPlotOptions(title: title, xLabel: "x (standardised)", yLabel: "y (standardised)"))
    }
}

extension Checkpoint {
    /// Indented, key-sorted JSON for files people read.
    public static func encodeJSONPretty<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("encodeJSONPretty: \(T.self) failed to encode")
        }
        return text
    }
}

