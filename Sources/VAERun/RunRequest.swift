import Foundation
import MNISTData
import TensorCore
import VAEModel

/// What the user asked `vae train` for; nil means "not given" (then the resumed run's value, else the default).
public struct RunRequest: Sendable {
    public var hidden: [Int]?
    public var latent: Int?
    public var activation: Activation?
    public var outputActivation: OutputActivation?
    public var loss: ReconstructionLoss?
    public var beta: Float?
    public var conditional = false
    public var dataFolder: String?
    public var dataset: DatasetKind?
    public var limit: Int?
    public var binarize = false
    public var batchSize: Int?
    public var learningRate: Float?
    public var seed: UInt64?
    public var threads: Int?
    public var sampleEvery: Int?
    /// KL warm-up epochs and free bits (nats per latent dimension).
    public var klWarmupEpochs: Int?
    public var freeBits: Float?
    /// The run folder to write (default: the next `runs/run-NNN`, or the resumed run's).
    public var out: String?
    /// A run folder or model file to continue.
    public var resume: String?

    public init() {}
}

/// A run ready to train: its settings, its data (loaded once), the folder it writes and the run it
/// continues, if any.
public struct TrainingPlan {
    public let settings: RunSettings
    public let data: RunData
    public let folder: RunFolder
    /// The run whose checkpoint and trainer state to continue, or nil for a new run.
    public let resumeFrom: RunFolder?
    /// That run's model, read once here (nil for a new run).
    public let resumedModel: SavedModel?
    /// The folders made for this run, outermost first (removed again should it end before its first checkpoint).
    public let createdFolders: [URL]
    /// The run folder's lock, held while the plan or its session lives.
    public let lock: RunFolderLock

    /// The default worker-thread count: the machine's cores, at most 4.
    public static var defaultThreads: Int { min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4) }

    /// Resolves a request: flags over the resumed run's settings over the defaults (which depend on the
    /// data kind), checks that the architecture flags agree with a resumed run, loads the data once
    /// (the input and image size come from it), and claims the run folder, refusing to overwrite a
    /// trained run that is not the one resumed or a folder another `vae train` is writing. A new run
    /// without `--out` creates the next free `runs/run-NNN` exclusively (`RunFolder.claimNext`).
    public static func make(_ request: RunRequest) throws -> TrainingPlan {
        var saved: SavedModel?
        var resumeFolder: RunFolder?
        if let resume = request.resume {
            let modelURL = try RunFolder.modelURL(for: resume)
            let folder = RunFolder(url: modelURL.deletingLastPathComponent())
            // The trainer state beside a model file belongs to the run's model.safetensors: continuing
            // another file with it would mix two models (or two epochs) in one run.
            guard modelURL.lastPathComponent == Checkpoint.modelFileName else {
                throw RunRequestError.notARunModel(path: resume, run: displayPath(folder.url))
            }
            guard FileManager.default.fileExists(atPath: folder.trainerStateURL.path) else {
                throw CheckpointError.notFound(path: folder.trainerStateURL.path,
                                               hint: "--resume needs the trainer state saved beside the model by 'vae train'.")
            }
            let model = try SavedModel.read(from: modelURL)
            guard model.hasTrainingSettings else {
                throw CheckpointError.stateMismatch(path: modelURL.relativePath,
                                                    reason: "the model file holds no training settings, so its run cannot be continued")
            }
            saved = model
            resumeFolder = folder
        }
        var resolved = resolve(request, saved: saved?.settings)
        if let saved {
            let differences = architectureDifferences(requested: resolved.model, saved: saved.settings.model)
            if !differences.isEmpty {
                throw CheckpointError.architectureMismatch(path: request.resume ?? "", differences: differences)
            }
        }
        let data = try RunData.load(resolved)
        if saved == nil {
            // A new run: the input and image size come from the data.
            resolved.training.dataDescription = data.description
            resolved.model.inputSize = data.train.featureCount
            resolved.model.imageHeight = data.imageHeight
            resolved.model.imageWidth = data.imageWidth
        } else {
            try data.requireFits(resolved.model)
        }
        // The exact check, now that the input size is known: the architecture, the settings and the memory.
        let problems = resolved.problems
        if !problems.isEmpty {
            throw RunRequestError.invalidSettings(problems: problems, resumed: saved.map { $0.url.relativePath })
        }
        let claim: RunFolder.Claim
        if let out = request.out {
            let folder = RunFolder(url: URL(fileURLWithPath: out, isDirectory: true))
            if FileManager.default.fileExists(atPath: folder.modelURL.path)
                && folder.url.standardizedFileURL.path != resumeFolder?.url.standardizedFileURL.path {
                throw RunRequestError.runExists(path: displayPath(folder.url))
            }
            claim = try RunFolder.claim(folder.url)
        } else if let resumeFolder {
            claim = RunFolder.Claim(folder: resumeFolder, created: [])
        } else {
            claim = try RunFolder.claimNext(in: URL(fileURLWithPath: RunFolder.defaultRoot, isDirectory: true))
        }
        // Should another process hold the lock (even of a folder just made here: two runs given the same
        // --out at once), that process is using the folder, so it stays.
        let lock = try claim.folder.lock()
        return TrainingPlan(settings: resolved, data: data, folder: claim.folder, resumeFrom: resumeFolder, resumedModel: saved,
                            createdFolders: claim.created, lock: lock)
    }

    /// Settings from the request over `saved` over the defaults; the input size is 0 until the data is loaded.
    static func resolve(_ r: RunRequest, saved: RunSettings?) -> RunSettings {
        let kind = r.dataset ?? saved?.training.dataset ?? .mnist
        var training = saved?.training ?? TrainingSettings(dataset: kind)
        training.dataset = kind
        if let v = r.dataFolder { training.dataFolder = v }
        if let v = r.limit { training.limit = v }
        if let v = r.batchSize { training.batchSize = v }
        if let v = r.learningRate { training.learningRate = v }
        if let v = r.seed { training.seed = v }
        if let v = r.sampleEvery { training.sampleEvery = v }
        if let v = r.klWarmupEpochs { training.klSchedule.warmupEpochs = v }
        if let v = r.freeBits { training.klSchedule.freeBits = v }
        if let v = r.threads { training.threads = v } else if saved == nil { training.threads = defaultThreads }

        let defaults = ArchitectureDefaults.forDataset(kind)
        let loss = r.loss ?? saved?.model.loss ?? defaults.loss
        let output = r.outputActivation ?? saved?.model.output ?? defaults.output
        if saved == nil || r.binarize {
            training.scaling = .forTraining(output: output, binarize: r.binarize)
        }
        let requested = VAEConfiguration(
            inputSize: saved?.model.inputSize ?? 0,
            hidden: r.hidden ?? saved?.model.hidden ?? defaults.hidden,
            latent: r.latent ?? saved?.model.latent ?? defaults.latent,
            activation: r.activation ?? saved?.model.activation ?? defaults.activation,
            output: output, loss: loss,
            beta: r.beta ?? saved?.model.beta ?? defaults.beta,
            classes: r.conditional ? 10 : (saved?.model.classes ?? 0),
            imageHeight: saved?.model.imageHeight, imageWidth: saved?.model.imageWidth)
        return RunSettings(model: requested, training: training)
    }

    /// The architecture flags that disagree with a saved run's, as "--flag given vs saved value".
    static func architectureDifferences(requested: VAEConfiguration, saved: VAEConfiguration) -> [String] {
        var differences: [String] = []
        func check<T: Equatable>(_ flag: String, _ keyPath: KeyPath<VAEConfiguration, T>, _ show: (T) -> String) {
            let given = requested[keyPath: keyPath], stored = saved[keyPath: keyPath]
            if given != stored { differences.append("\(flag) \(show(given)) vs saved \(show(stored))") }
        }
        check("--hidden", \.hidden) { "\($0)" }
        check("--latent", \.latent) { "\($0)" }
        check("--activation", \.activation) { $0.rawValue }
        check("--output-activation", \.output) { $0.rawValue }
        check("--loss", \.loss) { $0.rawValue }
        check("--beta", \.beta) { "\($0)" }
        if requested.classes != saved.classes { differences.append("--conditional vs saved unconditional") }
        return differences
    }
}

/// The architecture a new run gets when no flag sets it, for each kind of data.
public struct ArchitectureDefaults: Sendable, Equatable {
    public let hidden: [Int]
    public let latent: Int
    public let activation: Activation
    public let output: OutputActivation
    public let loss: ReconstructionLoss
    public let beta: Float

    /// Images: the reference's 784-400-20 VAE (ReLU, sigmoid output, BCE, β = 1). The Swiss roll: two
    /// hidden layers of 128, a 2-D latent, a linear output, MSE and β = 0.1.
    public static func forDataset(_ kind: DatasetKind) -> ArchitectureDefaults {
        kind == .swissRoll
            ? ArchitectureDefaults(hidden: [128, 128], latent: 2, activation: .relu, output: .linear, loss: .mse, beta: 0.1)
            : ArchitectureDefaults(hidden: [400], latent: 20, activation: .relu, output: .sigmoid, loss: .bce, beta: 1)
    }
}

/// A request that cannot become a run.
public enum RunRequestError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The settings (flags over a resumed run's over the defaults) break a rule; `resumed` is the model
    /// file of the run continued, if any.
    case invalidSettings(problems: [String], resumed: String?)
    case runExists(path: String)
    /// `--resume` names a model file that is not a run's `model.safetensors`.
    case notARunModel(path: String, run: String)

    public var description: String {
        switch self {
        case let .invalidSettings(problems, resumed):
            return (resumed.map { "\($0): resuming with its settings and the flags given: " } ?? "") + problems.joined(separator: "; ")
        case let .runExists(path):
            return "\(path) already holds a trained run; continue it with --resume \(path), or choose another --out."
        case let .notARunModel(path, run):
            return "\(path) is not a run's \(Checkpoint.modelFileName), and the trainer state in \(run) belongs to that file; "
                + "--resume takes a run folder or the \(Checkpoint.modelFileName) inside it."
        }
    }

    public var errorDescription: String? { description }
}

/// A path relative to the current directory when it lies inside it, else the full path.
public func displayPath(_ url: URL) -> String {
    let current = FileManager.default.currentDirectoryPath
    let path = url.standardizedFileURL.path
    if path.hasPrefix(current + "/") { return String(path.dropFirst(current.count + 1)) }
    return path
}
