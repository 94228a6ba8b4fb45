import Foundation
import MNISTData
import SafeTensors
import VAEModel

/// Which data a run trains on: the names `--dataset` takes in every command that has it.
public enum DatasetKind: String, Codable, Sendable, CaseIterable {
    /// MNIST-style IDX images: the `--data` folder if given, else ./data/mnist, else the bundled subset.
    case mnist
    /// Fashion-MNIST, found by name: data/fashion-mnist, else /usr/share/datasets/fashion-mnist.
    case fashionMNIST = "fashion-mnist"
    /// KMNIST, found by name: data/kmnist, else /usr/share/datasets/kmnist.
    case kmnist
    /// The 2-D Swiss-roll toy.
    case swissRoll = "swiss-roll"

    /// The image set of that name (what `vae download` fetches and `DataLocation` looks for), or nil for
    /// the Swiss roll, which is generated.
    public var imageSet: DownloadableDataset? {
        switch self {
        case .mnist: .mnist
        case .fashionMNIST: .fashionMNIST
        case .kmnist: .kmnist
        case .swissRoll: nil
        }
    }
}

extension PixelScaling: Codable {}

/// Everything about how a run trains and on what data, besides the architecture.
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var dataset: DatasetKind
    /// The data folder as the user gave it, or nil for the default resolution.
    public var dataFolder: String?
    /// Human description of the data used.
    public var dataDescription: String
    /// Train on the first N examples only.
    public var limit: Int?
    /// Byte → float mapping of training images: unit ([0, 1]), symmetric ([−1, 1]) or binarized
    /// (see `PixelScaling.forTraining(output:binarize:)`).
    public var scaling: PixelScaling
    public var batchSize: Int
    public var learningRate: Float
    /// The run's seed; every random stream derives from it (`SeedStreams`).
    public var seed: UInt64
    public var threads: Int
    /// Write a sample grid every N epochs (0: never).
    public var sampleEvery: Int
    /// Swiss roll: points in the training set and noise level.
    public var swissRollCount: Int
    public var swissRollNoise: Float
    /// KL warm-up (epochs) and free bits (nats per dimension); absent in files from before they existed.
    public var klSchedule: KLSchedule

    enum CodingKeys: String, CodingKey {
        case dataset, dataFolder, dataDescription, limit, scaling, batchSize, learningRate, seed, threads, sampleEvery
        case swissRollCount, swissRollNoise, klSchedule
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try c.decode(DatasetKind.self, forKey: .dataset)
        dataFolder = try c.decodeIfPresent(String.self, forKey: .dataFolder)
        dataDescription = try c.decode(String.self, forKey: .dataDescription)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        scaling = try c.decode(PixelScaling.self, forKey: .scaling)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        seed = try c.decode(UInt64.self, forKey: .seed)
        threads = try c.decode(Int.self, forKey: .threads)
        sampleEvery = try c.decode(Int.self, forKey: .sampleEvery)
        swissRollCount = try c.decode(Int.self, forKey: .swissRollCount)
        swissRollNoise = try c.decode(Float.self, forKey: .swissRollNoise)
        klSchedule = try c.decodeIfPresent(KLSchedule.self, forKey: .klSchedule) ?? KLSchedule()
    }

    /// - Parameters: the defaults are the tool's: MNIST, unit scaling, batch 128, lr 1e-3, seed 1,
    ///   1 thread, a sample grid every epoch, 20,000 Swiss-roll points with noise 0.5, no KL warm-up
    ///   or free bits.
    public init(dataset: DatasetKind = .mnist, dataFolder: String? = nil, dataDescription: String = "",
                limit: Int? = nil, scaling: PixelScaling = .unit, batchSize: Int = 128,
                learningRate: Float = 1e-3, seed: UInt64 = 1, threads: Int = 1, sampleEvery: Int = 1,
                swissRollCount: Int = 20_000, swissRollNoise: Float = 0.5, klSchedule: KLSchedule = KLSchedule()) {
        self.dataset = dataset; self.dataFolder = dataFolder; self.dataDescription = dataDescription
        self.limit = limit; self.scaling = scaling; self.batchSize = batchSize; self.learningRate = learningRate
        self.seed = seed; self.threads = threads; self.sampleEvery = sampleEvery
        self.swissRollCount = swissRollCount; self.swissRollNoise = swissRollNoise; self.klSchedule = klSchedule
    }

    /// The run's named random streams.
    public var streams: SeedStreams { SeedStreams(seed: seed) }
}

/// A run's settings: the architecture and how it trains. The one value type every command reads.
///
/// Stored once, in the model file's `__metadata__`: the architecture under `vae_config` (what loading
/// needs, and what a PyTorch user reads) and the training settings under `vae_training`. The trainer
/// state holds none of it (it belongs to the model file beside it); `config.json` in the run folder is
/// the same value printed for people, and nothing reads it back.
public struct RunSettings: Codable, Equatable, Sendable {
    public var model: VAEConfiguration
    public var training: TrainingSettings

    public init(model: VAEConfiguration, training: TrainingSettings) { self.model = model; self.training = training }

    /// Metadata keys of the model file.
    static let trainingKey = "vae_training", epochsKey = "epochs_completed"

    /// The model file's metadata entries for these settings after `epochsCompleted` epochs
    /// (the architecture is written by `Checkpoint.saveModel` itself).
    func metadata(epochsCompleted: Int) -> [String: String] {
        [Self.trainingKey: encodeJSON(training), Self.epochsKey: String(epochsCompleted)]
    }
}

/// A model file's contents: the model, the settings it was trained with and how far it got.
public struct SavedModel {
    /// The file, as given or found.
    public let url: URL
    public let model: VAE
    public let settings: RunSettings
    /// Whether the file held training settings (files written by `vae train` do; a hand-made file may
    /// hold only the architecture, and then `settings.training` has the defaults).
    public let hasTrainingSettings: Bool
    /// Epochs trained, when the file says.
    public let epochsCompleted: Int?
    /// The file's whole `__metadata__` (what `vae info` shows).
    public let metadata: [String: String]

    /// Reads a model file and its settings: the one function every command reads a run's settings with.
    ///
    /// Everything read is checked by the rules flags are checked by, before the model is allocated: the
    /// configuration (sizes, image size against input size, the memory the model needs), the training
    /// settings and the completed epoch count. The memory training would need is checked when a run is
    /// resumed (`TrainingPlan.make`), not here: a model trained on a bigger machine can still be sampled.
    public static func read(from url: URL) throws -> SavedModel {
        try read(Checkpoint.readFile(url), url: url)
    }

    /// The model and settings a parsed model file holds (`read(from:)` after reading the file).
    static func read(_ file: SafeTensorsFile, url: URL) throws -> SavedModel {
        let path = url.relativePath
        let configuration = try Checkpoint.configuration(of: file, path: path)
        var training = TrainingSettings()
        var hasTraining = false
        if let json = file.metadata[RunSettings.trainingKey] {
            do {
                training = try JSONDecoder().decode(TrainingSettings.self, from: Data(json.utf8))
                hasTraining = true
            } catch {
                throw CheckpointError.notAVAECheckpoint(path: path, reason: "its \(RunSettings.trainingKey) metadata is not valid training settings")
            }
        }
        // Saved settings pass the rules flags pass.
        var problems = hasTraining ? training.problems : []
        var epochsCompleted: Int?
        if let text = file.metadata[RunSettings.epochsKey] {
            if let epochs = Int(text) {
                epochsCompleted = epochs
                if let problem = TrainingSettings.epochsCompletedProblem(epochs) { problems.append(problem) }
            } else {
                problems.append("\(RunSettings.epochsKey) is '\(text)', not a whole number")
            }
        }
        guard problems.isEmpty else { throw CheckpointError.invalidSettings(path: path, problems: problems) }
        let model = try Checkpoint.loadModel(from: file, path: path)
        let settings = RunSettings(model: configuration, training: training)
        return SavedModel(url: url, model: model, settings: settings, hasTrainingSettings: hasTraining,
                          epochsCompleted: epochsCompleted, metadata: file.metadata)
    }
}
