import FileErrors
import Foundation

/// Problems with run folders.
public enum RunFolderError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case noRuns(root: String)
    case cannotCreate(path: String, reason: String)
    case notARunOrCheckpoint(path: String)

    public var description: String {
        switch self {
        case let .noRuns(root):
            return "\(root): no trained model found. Run 'vae train' first, or pass --model PATH."
        case let .cannotCreate(path, reason):
            return "\(path): cannot create the run folder: \(reason). Pass a writable --out DIR."
        case let .notARunOrCheckpoint(path):
            return "\(path): neither a run folder with \(Checkpoint.modelFileName) nor a .safetensors checkpoint."
        }
    }

    public var errorDescription: String? { description }
}

/// A training run's folder: checkpoint, trainer state, configuration, metrics and sample grids.
public struct RunFolder: Sendable, Equatable {
    /// Where runs go when `--out` is not given, relative to the current directory.
    public static let defaultRoot = "runs"

    public let url: URL
    public var modelURL: URL { url.appendingPathComponent(Checkpoint.modelFileName) }
    public var trainerStateURL: URL { url.appendingPathComponent(Checkpoint.trainerStateFileName) }
    public var configurationURL: URL { url.appendingPathComponent("config.json") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var samplesURL: URL { url.appendingPathComponent("samples", isDirectory: true) }

    public init(url: URL) { self.url = url }

    /// Creates the folder (and `samples/`) if needed.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: samplesURL, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotCreate(path: displayPath(url), reason: fileErrorReason(error))
        }
    }

    /// The next free `run-NNN` folder under `root` (not yet created).
    public static func next(in root: URL) -> RunFolder {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let numbers = existing.compactMap { name -> Int? in
            guard name.hasPrefix("run-") else { return nil }
            return Int(name.dropFirst(4))
        }
        let number = (numbers.max() ?? 0) + 1
        return RunFolder(url: root.appendingPathComponent(String(format: "run-%03d", number), isDirectory: true))
    }

    /// The run under `root` whose checkpoint was written last, if any.
    public static func latest(in root: URL) -> RunFolder? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var best: (date: Date, name: String, run: RunFolder)?
        for name in names {
            let run = RunFolder(url: root.appendingPathComponent(name, isDirectory: true))
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: run.modelURL.path),
                  let date = attributes[.modificationDate] as? Date else { continue }
            if best == nil || date > best!.date || (date == best!.date && name > best!.name) {
                best = (date, name, run)
            }
        }
        return best?.run
    }

    /// The model file that `path` names: a `.safetensors` file itself, or a run folder holding one.
    public static func modelURL(for path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError.notFound(path: path, hint: "Pass a run folder or a model.safetensors file.")
        }
        if isDirectory.boolValue {
            let model = url.appendingPathComponent(Checkpoint.modelFileName)
            guard FileManager.default.fileExists(atPath: model.path) else { throw RunFolderError.notARunOrCheckpoint(path: path) }
            return model
        }
        return url
    }
}
