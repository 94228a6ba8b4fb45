import Foundation
import ImageIO

/// Writing a command's text output (CSV, JSON) the way every output is written (`ImageIO.OutputFile`):
/// into an existing folder, never over something that is not a regular file, atomically.
public enum TextOutput {
    /// Refuses a destination that cannot receive the file, before any work is done.
    public static func check(_ url: URL) throws {
        if let reason = OutputFile.problem(writing: url) {
            throw OutputError.unwritable(path: displayPath(url), reason: reason)
        }
    }

    /// Writes `text` to `url` atomically; nothing is left at `url` when it fails.
    public static func write(_ text: String, to url: URL) throws {
        if let reason = OutputFile.write(Data(text.utf8), to: url) {
            throw OutputError.unwritable(path: displayPath(url), reason: reason)
        }
    }
}
