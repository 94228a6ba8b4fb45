import FileErrors
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Problems with run folders.
public enum RunFolderError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case noRuns(root: String)
    case cannotCreate(path: String, reason: String)
    case notARunOrCheckpoint(path: String)
    /// Another `vae train` holds the folder's lock.
    case inUse(path: String)
    /// `-o/--out` names a file.
    case isAFile(path: String)
    /// The runs folder exists but cannot be listed (a file of that name, no permission).
    case cannotList(path: String, reason: String)

    public var description: String {
        switch self {
        case let .noRuns(root):
            return "\(root): no trained model found. Run 'vae train' first, or pass --model PATH."
        case let .cannotCreate(path, reason):
            return "\(path): cannot create the run folder: \(reason). Pass a writable --out DIR."
        case let .notARunOrCheckpoint(path):
            return "\(path): neither a run folder with \(Checkpoint.modelFileName) nor a .safetensors checkpoint."
        case let .inUse(path):
            return "\(path): another 'vae train' is writing this run folder. Wait for it to finish, or pass another --out."
        case let .isAFile(path):
            return "\(path) is a file, not a folder; pass -o/--out a new folder (or a run's folder with --resume)."
        case let .cannotList(path, reason):
            return "\(path): cannot list the runs in it: \(reason). Pass --model PATH, or train with -o/--out DIR."
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

    /// A folder claimed for a new run, and the folders that were made for it (to remove should the run
    /// end before its first checkpoint).
    public struct Claim: Sendable, Equatable {
        public let folder: RunFolder
        /// Folders created, outermost first (`runs/` when it was missing, then the run's own folder); empty
        /// when the folder existed.
        public let created: [URL]
    }

    /// Claims the next free `run-NNN` folder under `root` (made if missing) by creating it.
    ///
    /// The folder is made with mkdir(2), which fails when the name already exists, so runs started together
    /// never share a folder: each takes the number after the highest present, and one that loses a race
    /// for a number tries the next.
    public static func claimNext(in root: URL) throws -> Claim {
        let created = try makeFolders(root)
        var number = try highestRunNumber(in: root) + 1
        while true {
            let url = root.appendingPathComponent(String(format: "run-%03d", number), isDirectory: true)
            if mkdir(url.path, 0o777) == 0 { return Claim(folder: RunFolder(url: url), created: created + [url]) }
            let error = errno
            guard error == EEXIST else {
                throw RunFolderError.cannotCreate(path: displayPath(url), reason: fileErrorReason(errno: error))
            }
            number = max(number, try highestRunNumber(in: root)) + 1
        }
    }

    /// Makes `url` a folder for a run (`--out DIR`): an existing folder is used as it is, a missing one is
    /// made with its missing parents.
    public static func claim(_ url: URL) throws -> Claim {
        Claim(folder: RunFolder(url: url), created: try makeFolders(url))
    }

    /// Creates `url` and its missing parents; returns the ones created, outermost first.
    private static func makeFolders(_ url: URL) throws -> [URL] {
        var missing: [URL] = []
        var candidate = url.standardizedFileURL
        var isFolder: ObjCBool = false
        while !FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder) && candidate.path != "/" {
            missing.insert(candidate, at: 0)
            candidate = candidate.deletingLastPathComponent()
        }
        if missing.isEmpty && !isFolder.boolValue { throw RunFolderError.isAFile(path: displayPath(url)) }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotCreate(path: displayPath(url), reason: fileErrorReason(error))
        }
        return missing
    }

    /// The names of the entries in `root`; none when `root` does not exist.
    /// - Throws: `RunFolderError.cannotList` when it exists but cannot be listed (a file, no permission).
    static func entryNames(in root: URL) throws -> [String] {
        guard FileManager.default.fileExists(atPath: root.path) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: root.path)
        } catch {
            throw RunFolderError.cannotList(path: displayPath(root), reason: fileErrorReason(error))
        }
    }

    /// The highest N of the `run-N` entries under `root` (0 when there are none).
    /// - Throws: `RunFolderError.cannotList` as `entryNames(in:)` does.
    static func highestRunNumber(in root: URL) throws -> Int {
        try entryNames(in: root).compactMap { name -> Int? in
            guard name.hasPrefix("run-") else { return nil }
            return Int(name.dropFirst(4))
        }.max() ?? 0
    }

    /// Takes the folder's lock (flock(2) on the folder itself), held until `lock` is released or the process
    /// ends, so that two `vae train` never write one run folder at once.
    /// - Throws: `RunFolderError.inUse` when another process holds it.
    public func lock() throws -> RunFolderLock {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RunFolderError.cannotCreate(path: displayPath(url), reason: fileErrorReason(errno: errno))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            if error == EWOULDBLOCK { throw RunFolderError.inUse(path: displayPath(url)) }
            throw RunFolderError.cannotCreate(path: displayPath(url), reason: fileErrorReason(errno: error))
        }
        return RunFolderLock(descriptor: descriptor)
    }

    /// The run under `root` whose checkpoint was written last, if any (entries without a
    /// `model.safetensors`, such as a run still in its first epoch, are passed over).
    /// - Throws: `RunFolderError.cannotList` when `root` exists but cannot be listed.
    public static func latest(in root: URL) throws -> RunFolder? {
        let names = try entryNames(in: root)
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

/// A run folder's lock (see `RunFolder.lock()`); released when this object goes away.
public final class RunFolderLock: @unchecked Sendable {
    private let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }
}
