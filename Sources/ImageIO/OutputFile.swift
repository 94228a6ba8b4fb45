import FileErrors
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing an output file (a PNG, a CSV, a run's JSON) without ever replacing what the user pointed at.
///
/// The path is resolved first: symbolic links are followed (up to `maximumLinkHops`) to what they name.
/// - Nothing there, or a regular file: the bytes go to a temporary file beside it, are flushed to disk
///   (`fsync`) and renamed over it, so a failed write (a full disk, an interrupt) leaves the old file or
///   nothing; a replaced file keeps its permission bits. A link to it stays a link.
/// - A character device (`/dev/null`, `/dev/stdout`, a terminal) or a FIFO: written through, in place,
///   as a shell redirection would; its reader gets the bytes and it stays what it was (`/dev/full`
///   gives "no space left on device").
/// - A folder, a block device (a disk), a socket, a missing folder or a loop of links: refused.
public enum OutputFile {
    /// Links followed before a path is refused as a loop (Linux's own limit, `MAXSYMLINKS`).
    public static let maximumLinkHops = 40

    /// Where a path leads once its links are followed.
    enum Destination: Equatable {
        /// Nothing (a new file) or a regular file with these permission bits: written by temporary file and rename.
        case file(path: String, permissions: mode_t?)
        /// A character device or a FIFO: written through.
        case stream(path: String)
    }

    /// Why `url` cannot receive a new file, or nil when it can (see the type's rules).
    public static func problem(writing url: URL) -> String? {
        switch destination(of: url) {
        case .success: return nil
        case .failure(let reason): return reason.text
        }
    }

    /// Writes `data` to `url` by the type's rules.
    /// - Returns: nil on success, else the reason it failed, one line (a regular file is left as it was).
    public static func write(_ data: Data, to url: URL) -> String? {
        switch destination(of: url) {
        case .failure(let reason): return reason.text
        case .success(.stream(let path)): return writeThrough(data, to: path)
        case .success(.file(let path, let permissions)): return replace(path, with: data, permissions: permissions)
        }
    }

    /// A refusal's wording.
    struct Refusal: Error, Equatable { let text: String }

    /// Follows `url`'s links to what it names and classifies it.
    static func destination(of url: URL) -> Result<Destination, Refusal> {
        // A device or FIFO is opened by the path given: the kernel follows links that name no file,
        // such as /dev/stdout → /proc/self/fd/1 → "pipe:[…]".
        var target = stat()
        if stat(url.path, &target) == 0, [S_IFCHR, S_IFIFO].contains(target.st_mode & S_IFMT) {
            return .success(.stream(path: url.path))
        }
        var path = url.path
        var hops = 0
        while true {
            var info = stat()
            if lstat(path, &info) != 0 {
                let error = errno
                guard error == ENOENT || error == ENOTDIR else { return .failure(Refusal(text: explain(error))) }
                let folder = (path as NSString).deletingLastPathComponent
                var folderInfo = stat()
                if stat(folder.isEmpty ? "." : folder, &folderInfo) != 0 {
                    let folderError = errno
                    guard folderError == ENOENT else {
                        return .failure(Refusal(text: "folder '\(folder)': " + explain(folderError) + linkNote(hops, path)))
                    }
                    return .failure(Refusal(text: "folder '\(folder)' does not exist" + linkNote(hops, path)
                        + "; create it first or choose another output"))
                }
                guard folderInfo.st_mode & S_IFMT == S_IFDIR else {
                    return .failure(Refusal(text: "'\(folder)' is not a folder" + linkNote(hops, path)))
                }
                return .success(.file(path: path, permissions: nil))
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                hops += 1
                guard hops <= maximumLinkHops else {
                    return .failure(Refusal(text: "it leads through more than \(maximumLinkHops) symbolic links (a loop?); "
                        + "choose another output name"))
                }
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else {
                    return .failure(Refusal(text: "its symbolic link '\(path)' cannot be read"))
                }
                path = target.hasPrefix("/") ? target
                    : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
            case S_IFREG:
                return .success(.file(path: path, permissions: info.st_mode & 0o7777))
            case S_IFCHR, S_IFIFO:
                return .success(.stream(path: path))
            case S_IFDIR:
                return .failure(Refusal(text: "a folder already exists at that path" + linkNote(hops, path)
                    + "; choose a file name"))
            case S_IFBLK:
                return .failure(Refusal(text: "it is a block device (a disk)" + linkNote(hops, path)
                    + ", which an output never replaces; choose another output name"))
            default:
                return .failure(Refusal(text: "it is a socket or another special file" + linkNote(hops, path)
                    + "; choose another output name"))
            }
        }
    }

    /// " (through a symbolic link to 'target')" when links were followed.
    private static func linkNote(_ hops: Int, _ path: String) -> String {
        hops > 0 ? " (following its symbolic link to '\(path)')" : ""
    }

    /// Writes `data` to a temporary file beside `path`, flushes it and renames it over `path`.
    private static func replace(_ path: String, with data: Data, permissions: mode_t?) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder as NSString).appendingPathComponent(".\(name).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return explain(errno) }
        var failure = writeAll(data, to: descriptor)
        if failure == nil, let permissions, fchmod(descriptor, permissions) != 0 { failure = errno }
        if failure == nil && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == nil { failure = errno }
        if failure == nil && rename(temporary, path) != 0 { failure = errno }
        guard let failure else { return nil }
        unlink(temporary)
        return explain(failure)
    }

    /// Opens a device or FIFO for writing (a FIFO waits for its reader) and writes `data` to it.
    private static func writeThrough(_ data: Data, to path: String) -> String? {
        var descriptor: Int32
        repeat { descriptor = open(path, O_WRONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return explain(errno) }
        var failure = writeAll(data, to: descriptor)
        if close(descriptor) != 0 && failure == nil && errno != EINTR { failure = errno }
        return failure.map(explain)
    }

    /// The system's words for `error` and what to do about it, e.g. "no space left on device; free some
    /// space or write elsewhere".
    static func explain(_ error: Int32) -> String {
        let words = fileErrorReason(errno: error)
        switch error {
        case ENOSPC, EDQUOT: return words + "; free some space or write elsewhere"
        case EACCES, EPERM, EROFS: return words + "; choose a folder you can write to"
        default: return words + "; choose another output"
        }
    }

    /// Writes every byte of `data` (`FileErrors.writeAll`); returns the errno of a failure.
    private static func writeAll(_ data: Data, to descriptor: Int32) -> Int32? {
        data.withUnsafeBytes { FileErrors.writeAll($0, to: descriptor) }
    }
}
