import FileErrors
import Foundation

/// Writing an output file (a PNG, a CSV) safely: only into an existing folder, only over nothing or a
/// regular file (never over a folder, a device such as /dev/null, a pipe or a socket), and atomically
/// (a temporary file in the same folder, then a rename), so a failed write leaves nothing behind.
public enum OutputFile {
    /// Why `url` cannot receive a new file, or nil when it can: its folder exists and the path is free
    /// or holds a regular file (or a symbolic link to one, which the rename then replaces).
    public static func problem(writing url: URL) -> String? {
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            return "folder '\(directory.path)' does not exist"
        }
        guard isDirectory.boolValue else { return "'\(directory.path)' is not a folder" }
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return "a folder already exists at that path" }
        let type = (try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path))?[.type]
            as? FileAttributeType
        guard type == .typeRegular else {
            return "it exists and is not a regular file (a device, pipe or socket); choose another output name"
        }
        return nil
    }

    /// Writes `data` to `url` atomically after checking `problem(writing:)`.
    /// - Returns: nil on success, else the reason it failed (nothing is left at `url`).
    public static func write(_ data: Data, to url: URL) -> String? {
        if let problem = problem(writing: url) { return problem }
        do {
            try data.write(to: url, options: .atomic)
            return nil
        } catch {
            return fileErrorReason(error)
        }
    }
}
