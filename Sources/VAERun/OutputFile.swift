import Foundation

/// Problems writing an output file.
public enum OutputFileError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason): return "\(path): cannot write: \(reason). Choose another output path."
        }
    }

    public var errorDescription: String? { description }
}

/// Writing a command's output file (CSV, JSON): into an existing folder, never over something that is
/// not a regular file, and atomically (a temporary name, then a rename), so nothing partial is left.
public enum OutputFile {
    /// Refuses a destination whose folder is missing or which is a folder, device or other non-regular file.
    public static func check(_ url: URL) throws {
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OutputFileError.unwritable(path: url.relativePath, reason: "the folder \(folder.relativePath) does not exist")
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),  // nil: nothing there yet
           let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
            throw OutputFileError.unwritable(path: url.relativePath, reason: "it exists and is not a regular file")
        }
    }

    /// Writes `text` to `url` atomically after `check(_:)`.
    public static func write(_ text: String, to url: URL) throws {
        try check(url)
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw OutputFileError.unwritable(path: url.relativePath, reason: (error as NSError).localizedDescription)
        }
    }
}
