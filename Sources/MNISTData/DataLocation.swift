import Foundation

/// Where the images come from, as chosen by `DataLocation.resolve(explicitFolder:currentDirectory:)`.
public struct DataLocation: Sendable, Equatable {
    /// Which rule picked the folder.
    public enum Origin: String, Sendable, Equatable {
        /// The folder given with `--data`.
        case explicit
        /// `./data/mnist` under the current directory.
        case localFolder
        /// The MNIST subset shipped with the program.
        case bundled
        /// A data set found by name: `./data/NAME`, else the system's copy (`systemFolder`).
        case named
    }

    /// The data folder (standard MNIST layout).
    public let folder: URL
    /// Which rule picked it.
    public let origin: Origin
    /// Human-readable description for the terminal, e.g. "bundled MNIST subset".
    public let description: String
    /// Why the usual choice was passed over, for the user (one line), e.g. when `./data/mnist` holds no
    /// images; nil when there is nothing to say.
    public let note: String?

    public init(folder: URL, origin: Origin, description: String, note: String? = nil) {
        self.folder = folder
        self.origin = origin
        self.description = description
        self.note = note
    }

    /// Folder looked for under the current directory when no `--data` is given: `data/mnist`.
    public static let localFolderPath = "data/mnist"
    /// Description of the bundled data.
    public static let bundledDescription = "bundled MNIST subset"
    /// Name of the resource folder holding the bundled data.
    public static let bundledResourceName = "mnist-mini"
    /// Where Debian's dataset packages install data sets (`apt-get install dataset-fashion-mnist`).
    public static let systemRoot = "/usr/share/datasets"

    /// Picks the data folder: the explicit folder if given (it must exist); else for MNIST `./data/mnist`
    /// if it holds training images, else the bundled MNIST subset (with a `note` when `./data/mnist`
    /// exists but holds none, as a failed download leaves it); for another data set `./data/NAME`, else
    /// `/usr/share/datasets/NAME`.
    ///
    /// - Parameters:
    ///   - explicitFolder: the `--data` argument, absolute or relative to `currentDirectory`; `nil` if not given.
    ///   - dataset: the data set to find without `explicitFolder`; default MNIST.
    ///   - currentDirectory: base for relative paths; default the process's current directory.
    /// - Throws: `DatasetError.folderNotFound` / `.notAFolder` for a bad explicit folder,
    ///   `DatasetError.bundledDataMissing` when the bundled copy cannot be found,
    ///   `DatasetError.datasetNotFound` when a named data set is in neither place.
    public static func resolve(explicitFolder: String?, dataset: DownloadableDataset = .mnist,
                               currentDirectory: URL? = nil) throws -> DataLocation {
        let base = currentDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if let explicitFolder {
            let url = explicitFolder.hasPrefix("/")
                ? URL(fileURLWithPath: explicitFolder, isDirectory: true)
                : base.appendingPathComponent(explicitFolder, isDirectory: true)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw DatasetError.folderNotFound(folder: explicitFolder)
            }
            guard isDirectory.boolValue else { throw DatasetError.notAFolder(path: explicitFolder) }
            return DataLocation(folder: url, origin: .explicit, description: "data folder \(explicitFolder)")
        }
        if dataset != .mnist { return try named(dataset, base: base) }
        let local = base.appendingPathComponent(localFolderPath, isDirectory: true)
        var isDirectory: ObjCBool = false
        var note: String?
        if FileManager.default.fileExists(atPath: local.path, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = standardFileNames(split: .train, kind: .images)
            if names.contains(where: { FileManager.default.fileExists(atPath: local.appendingPathComponent($0).path) }) {
                return DataLocation(folder: local, origin: .localFolder, description: "local folder ./\(localFolderPath)")
            }
            note = "./\(localFolderPath) holds no training images, so the \(bundledDescription) is used "
                + "(run 'vae download' to fetch MNIST)."
        }
        return DataLocation(folder: try bundledFolder(), origin: .bundled, description: bundledDescription, note: note)
    }

    /// A data set by name: `data/NAME` under `base`, else `NAME` under `systemRoot` (default `/usr/share/datasets`).
    static func named(_ dataset: DownloadableDataset, base: URL, systemRoot: String = systemRoot) throws -> DataLocation {
        let system = URL(fileURLWithPath: systemRoot, isDirectory: true).appendingPathComponent(dataset.rawValue, isDirectory: true)
        let candidates = [(path: dataset.defaultFolder, url: base.appendingPathComponent(dataset.defaultFolder, isDirectory: true)),
                          (path: system.path, url: system)]
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return DataLocation(folder: candidate.url, origin: .named, description: "\(dataset.displayName) in \(candidate.path)")
            }
        }
        throw DatasetError.datasetNotFound(name: dataset.rawValue, searched: candidates.map(\.path))
    }

    /// The folder of the bundled MNIST subset (`mnist-mini`), found next to the program.
    ///
    /// Looks in the SwiftPM resource bundle beside the executable (through `Bundle.module`, which
    /// is only touched once that bundle is known to exist, because it stops the program
    /// otherwise), then in the source tree the program was built from.
    ///
    /// - Throws: `DatasetError.bundledDataMissing` listing the places searched.
    public static func bundledFolder() throws -> URL {
        var searched: [String] = []
        func isFolder(_ url: URL) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        // SwiftPM names the resource bundle <package>_<target>.resources on Linux.
        let resourceBundleName = "vae_MNISTData.resources"
        let mainBundle = Bundle.main.bundleURL.appendingPathComponent(resourceBundleName, isDirectory: true)
        if isFolder(mainBundle) {
            if let url = Bundle.module.url(forResource: bundledResourceName, withExtension: nil), isFolder(url) {
                return url
            }
            let direct = mainBundle.appendingPathComponent(bundledResourceName, isDirectory: true)
            if isFolder(direct) { return direct }
        }
        searched.append(mainBundle.appendingPathComponent(bundledResourceName).path)
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            let beside = executable.deletingLastPathComponent()
                .appendingPathComponent(resourceBundleName, isDirectory: true)
                .appendingPathComponent(bundledResourceName, isDirectory: true)
            if isFolder(beside) { return beside }
            if !searched.contains(beside.path) { searched.append(beside.path) }
        }
        let sourceTree = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources", isDirectory: true)
            .appendingPathComponent(bundledResourceName, isDirectory: true)
        if isFolder(sourceTree) { return sourceTree }
        searched.append(sourceTree.path)
        throw DatasetError.bundledDataMissing(searched: searched)
    }
}
