import FileErrors
import Foundation
import ImageIO
import MNISTData
import NN
import SafeTensors
import SeededRandom
import TensorCore
import VAEModel

/// Problems with a saved model or trainer state, each naming the file and what to do.
public enum CheckpointError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// No checkpoint where one was expected.
    case notFound(path: String, hint: String)
    /// The file is not a readable safetensors file.
    case unreadable(path: String, reason: String)
    /// The file is safetensors but not a vae checkpoint (no or bad configuration metadata).
    case notAVAECheckpoint(path: String, reason: String)
    /// The configuration or training settings in the file break the rules flags are checked by.
    case invalidSettings(path: String, problems: [String])
    /// The model or file would need more memory than allowed (a damaged size, most likely).
    case tooLarge(path: String, reason: String)
    /// A tensor is missing or has the wrong shape.
    case tensorMismatch(path: String, reason: String)
    /// Values that are NaN or infinite.
    case nonFiniteValues(path: String, tensor: String)
    /// The checkpoint's architecture differs from what the flags ask for.
    case architectureMismatch(path: String, differences: [String])
    /// The trainer state does not belong to this model or these settings.
    case stateMismatch(path: String, reason: String)
    /// Writing failed (nothing partial is left behind); `reason` says why and what to do.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notFound(path, hint):
            return "\(path): no checkpoint found. \(hint)"
        case let .unreadable(path, reason):
            return "\(path): cannot read the checkpoint: \(reason). Pass a readable model.safetensors with --model."
        case let .notAVAECheckpoint(path, reason):
            return "\(path): not a vae checkpoint (\(reason)). Pass a model.safetensors written by 'vae train'."
        case let .invalidSettings(path, problems):
            return "\(path): the saved settings are invalid: \(problems.joined(separator: "; ")). "
                + "The file is damaged or was not written by 'vae train'; train again or pass another --model."
        case let .tooLarge(path, reason):
            return "\(path): \(reason)."
        case let .tensorMismatch(path, reason):
            return "\(path): the checkpoint is damaged or from another model: \(reason). Train again or pass another --model."
        case let .nonFiniteValues(path, tensor):
            return "\(path): tensor \(tensor) holds NaN or infinite values (training diverged?). Train again with a lower --lr."
        case let .architectureMismatch(path, differences):
            return "\(path): the checkpoint's architecture differs from the flags given: \(differences.joined(separator: "; ")). "
                + "Drop those flags to use the checkpoint's, or start a new run without --resume."
        case let .stateMismatch(path, reason):
            return "\(path): the trainer state does not fit: \(reason). Resume from the run folder that wrote it."
        case let .writeFailed(path, reason):
            return "\(path): cannot write: \(reason)."
        }
    }

    public var errorDescription: String? { description }
}

/// Saving and loading models (PyTorch-compatible safetensors) and the trainer's exact state.
///
/// The model file holds every parameter under the reference's names (`encoder.0.weight`, `mu.bias`, …,
/// F32, [out, in] layout) and the configuration as JSON in the header's `__metadata__` ("vae_config"),
/// so `safetensors.torch.load_file` gives a state dict for the equivalent PyTorch module.
/// The trainer-state file holds Adam's moments and step, the generator state and the epoch count.
public enum Checkpoint {
    public static let modelFileName = "model.safetensors"
    public static let trainerStateFileName = "trainer-state.safetensors"
    static let formatKey = "format", formatValue = "vae-checkpoint-1", configurationKey = "vae_config"

    // MARK: Model

    /// Writes the model to `url` atomically, in the reference's layout: straight from the parameter
    /// buffers, or for a weight stored transposed, from one reused buffer it is copied into in turn.
    public static func saveModel(_ model: VAE, to url: URL, metadata extra: [String: String] = [:]) throws {
        var metadata = extra
        metadata[formatKey] = formatValue
        metadata[configurationKey] = encodeJSON(model.configuration)
        let tensors = referenceBytes(model.referenceParameters.map {
            StoredValues(parameter: $0, name: $0.name, values: $0.tensor.data)
        })
        do { try SafeTensorsFile.write(tensors: tensors, metadata: metadata, to: url) } catch {
            throw CheckpointError.writeFailed(path: url.relativePath, reason: writeFailureReason(error))
        }
    }

    /// Values laid out as a parameter is stored (the parameter's own, or an optimizer moment of it), to
    /// be written under `name`.
    struct StoredValues {
        let parameter: ReferenceParameter
        let name: String
        let values: UnsafePointer<Float>
    }

    /// `items` as safetensors tensors in the reference's shape and layout: read in place when the
    /// parameter is stored that way, else copied out (transposed) by the writer when it reaches the tensor.
    static func referenceBytes(_ items: [StoredValues]) -> [SafeTensorsFile.TensorBytes] {
        items.map { item in
            if item.parameter.isStoredAsReference {
                return floatBytes(name: item.name, shape: item.parameter.shape, values: item.values)
            }
            return SafeTensorsFile.TensorBytes(name: item.name, dtype: .float32, shape: item.parameter.shape) { buffer in
                item.parameter.copy(stored: item.values, toReference: buffer.bindMemory(to: Float.self).baseAddress!)
            }
        }
    }

    static func floatBytes(name: String, shape: [Int], values: UnsafePointer<Float>) -> SafeTensorsFile.TensorBytes {
        let count = shape.reduce(1, *)
        return SafeTensorsFile.TensorBytes(name: name, dtype: .float32, shape: shape,
                                           bytes: UnsafeRawBufferPointer(start: values, count: count * MemoryLayout<Float>.size))
    }

    /// The configuration stored in a model file, without building the model.
    public static func configuration(of file: SafeTensorsFile, path: String) throws -> VAEConfiguration {
        guard file.metadata[formatKey] == formatValue else {
            let found = file.metadata[formatKey].map { "'\($0)'" } ?? "none"
            throw CheckpointError.notAVAECheckpoint(path: path, reason: "its metadata's \(formatKey) is \(found), not \(formatValue)")
        }
        guard let json = file.metadata[configurationKey] else {
            throw CheckpointError.notAVAECheckpoint(path: path, reason: "its metadata has no \(configurationKey)")
        }
        let configuration: VAEConfiguration
        do { configuration = try JSONDecoder().decode(VAEConfiguration.self, from: Data(json.utf8)) } catch {
            throw CheckpointError.notAVAECheckpoint(path: path, reason: "its \(configurationKey) metadata is not a valid configuration")
        }
        let problems = configuration.problems
        guard problems.isEmpty else { throw CheckpointError.invalidSettings(path: path, problems: problems) }
        let purpose = "its \(configuration.sizesText) model (\(configuration.checkedParameterCount.map(formatCount) ?? "?") parameters)"
        if let problem = MemoryBudget.problem(bytes: MemoryBudget.loadedModelBytes(configuration), purpose: purpose,
                                              advice: "the file is damaged, or needs a machine with more memory") {
            throw CheckpointError.tooLarge(path: path, reason: problem)
        }
        return configuration
    }

    /// Reads a model from `url`, checking every tensor's presence, shape and finiteness.
    public static func loadModel(from url: URL) throws -> VAE {
        try loadModel(from: readFile(url), path: url.relativePath)
    }

    /// Builds the model a parsed file holds; `path` names the file in errors. Every tensor's presence,
    /// dtype and shape is checked against the configuration before the model is allocated, so a
    /// configuration that disagrees with the tensors costs nothing.
    static func loadModel(from file: SafeTensorsFile, path: String) throws -> VAE {
        let configuration = try configuration(of: file, path: path)
        var expected: Set<String> = []
        for layer in configuration.layerShapes {
            for (name, shape) in [(layer.name + ".weight", [layer.outputSize, layer.inputSize]), (layer.name + ".bias", [layer.outputSize])] {
                expected.insert(name)
                guard file.contains(tensorNamed: name) else {
                    throw CheckpointError.tensorMismatch(path: path, reason: "tensor \(name) is missing")
                }
                let tensor = try file.tensor(named: name)
                guard tensor.dtype.isFloatingPoint else {
                    throw CheckpointError.tensorMismatch(path: path, reason: "tensor \(name) holds \(tensor.dtype.rawValue), not floating-point values")
                }
                guard tensor.shape == shape else {
                    throw CheckpointError.tensorMismatch(path: path,
                                                         reason: "tensor \(name) has shape \(tensor.shape) but the configuration needs \(shape)")
                }
            }
        }
        if let extra = file.names.first(where: { !expected.contains($0) }) {
            throw CheckpointError.tensorMismatch(path: path, reason: "unexpected tensor \(extra)")
        }
        let model = VAE(zeroedWith: configuration)
        try load(file, into: model.referenceParameters, path: path)
        return model
    }

    // MARK: Trainer state

    /// Writes Adam's moments and step, the generator state and the epoch count to `url` atomically.
    /// The run's settings are not repeated here: they live in the model file this state belongs to.
    public static func saveTrainerState(_ trainer: Trainer, to url: URL) throws {
        let adam = trainer.optimizer
        var moments: [StoredValues] = []
        for (index, p) in trainer.model.referenceParameters.enumerated() {
            let offset = adam.offsets[index]
            moments.append(StoredValues(parameter: p, name: "adam.exp_avg.\(p.name)", values: adam.firstMoments + offset))
            moments.append(StoredValues(parameter: p, name: "adam.exp_avg_sq.\(p.name)", values: adam.secondMoments + offset))
        }
        let step = [Int64(adam.step)], epochs = [Int64(trainer.epochsCompleted)], words = trainer.generator.stateWords
        let meta = [formatKey: formatValue]
        do {
            var tensors = referenceBytes(moments)
            try step.withUnsafeBytes { stepBytes in
                try epochs.withUnsafeBytes { epochBytes in
                    try words.withUnsafeBytes { wordBytes in
                        tensors.append(.init(name: "adam.step", dtype: .int64, shape: [1], bytes: stepBytes))
                        tensors.append(.init(name: "trainer.epochs_completed", dtype: .int64, shape: [1], bytes: epochBytes))
                        tensors.append(.init(name: "generator.state", dtype: .uint64, shape: [4], bytes: wordBytes))
                        try SafeTensorsFile.write(tensors: tensors, metadata: meta, to: url)
                    }
                }
            }
        } catch {
            throw CheckpointError.writeFailed(path: url.relativePath, reason: writeFailureReason(error))
        }
    }

    /// Restores Adam's moments and step, the generator state and the epoch count into `trainer`.
    public static func restoreTrainerState(into trainer: Trainer, from url: URL) throws {
        let file = try readFile(url)
        let path = url.relativePath
        guard file.metadata[formatKey] == formatValue else {
            throw CheckpointError.stateMismatch(path: path, reason: "not a vae trainer-state file")
        }
        // A missing tensor or a wrong shape or dtype: the reader's error, put in words about the state.
        do {
            let adam = trainer.optimizer
            for (index, p) in trainer.model.referenceParameters.enumerated() {
                let offset = adam.offsets[index]
                let m = try file.floatValues(named: "adam.exp_avg.\(p.name)", expectedShape: p.shape)
                let v = try file.floatValues(named: "adam.exp_avg_sq.\(p.name)", expectedShape: p.shape)
                guard m.allSatisfy(\.isFinite), v.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                    throw CheckpointError.stateMismatch(path: path, reason: "Adam's moments of \(p.name) hold NaN, infinite or negative values")
                }
                p.copy(reference: m, toStored: adam.firstMoments + offset)
                p.copy(reference: v, toStored: adam.secondMoments + offset)
            }
            let step = try file.int64Values(named: "adam.step", expectedShape: [1])[0]
            let words = try file.uint64Values(named: "generator.state", expectedShape: [4])
            let epochs = try file.int64Values(named: "trainer.epochs_completed", expectedShape: [1])[0]
            guard (0...maximumStep).contains(step) else {
                throw CheckpointError.stateMismatch(path: path, reason: "Adam's step count is \(step), outside 0...2^53")
            }
            if let problem = TrainingSettings.epochsCompletedProblem(Int(epochs)) {
                throw CheckpointError.stateMismatch(path: path, reason: problem)
            }
            guard words.contains(where: { $0 != 0 }) else {
                throw CheckpointError.stateMismatch(path: path, reason: "the generator state is all zero")
            }
            adam.step = Int(step)
            trainer.generator = SeededGenerator(stateWords: words)
            trainer.epochsCompleted = Int(epochs)
        } catch let error as SafeTensorsError {
            throw CheckpointError.stateMismatch(path: path, reason: stateProblem(error))
        }
    }

    /// What a trainer-state tensor lookup found wrong, as a fragment for `CheckpointError.stateMismatch`.
    static func stateProblem(_ error: SafeTensorsError) -> String {
        switch error {
        case let .shapeMismatch(_, name, actual, expected):
            return "its tensor \(name) has shape \(actual) where this model has \(expected), so it belongs to another model"
        case let .tensorNotFound(_, name, _):
            return "it has no tensor \(name)"
        case let .dtypeMismatch(_, name, actual, requested):
            return "its tensor \(name) holds \(actual.rawValue) values where \(requested) is needed"
        default:
            return sentenceFragment(error.description)
        }
    }

    /// The largest Adam step count accepted: 2^53, the last integer a Double holds exactly.
    static let maximumStep: Int64 = 1 << 53

    // MARK: Helpers

    /// Why writing a file failed, as a fragment to go inside a message (see `fileErrorReason`): the reason
    /// inside the writers' own errors, which are whole sentences naming the file, and what to do.
    static func writeFailureReason(_ error: Error) -> String {
        switch error {
        case let SafeTensorsError.writeFailed(_, reason):
            return reason + "; check that the folder is writable and its disk has space, or pass another --out"
        case let SafeTensorsError.directoryMissing(_, directory): return "the folder \(directory) does not exist"
        case let PNGError.unwritableFile(_, reason): return reason
        default: return fileErrorReason(error)
        }
    }

    static func readFile(_ url: URL) throws -> SafeTensorsFile {
        let shown = url.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError.notFound(path: shown, hint: "Train a model first with 'vae train', or pass --model PATH.")
        }
        guard !isDirectory.boolValue else {
            throw CheckpointError.unreadable(path: shown, reason: "it is a folder, not a .safetensors file")
        }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CheckpointError.unreadable(path: shown, reason: fileErrorReason(error))
        }
        // Reading copies every tensor out of the file: a file larger than the memory allowed cannot be read.
        if let problem = MemoryBudget.problem(bytes: data.count, purpose: "reading this \(MemoryBudget.formatBytes(data.count)) file",
                                              advice: "pass a smaller model file") {
            throw CheckpointError.tooLarge(path: shown, reason: problem)
        }
        // Errors from the parser name the file (as the user gave it) and what is wrong.
        return try SafeTensorsFile(data: data, sourceName: shown)
    }

    static func load(_ file: SafeTensorsFile, into parameters: [ReferenceParameter], path: String) throws {
        for p in parameters {
            // A missing tensor or a wrong shape or dtype: the error names the file and the tensor.
            let values = try file.floatValues(named: p.name, expectedShape: p.shape)
            guard values.allSatisfy(\.isFinite) else { throw CheckpointError.nonFiniteValues(path: path, tensor: p.name) }
            p.setReferenceValues(values)
        }
    }
}
