import FileErrors
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A data set in the MNIST file layout that can be downloaded from a public mirror.
public enum DownloadableDataset: String, CaseIterable, Sendable {
    /// Handwritten digits (LeCun, Cortes & Burges).
    case mnist
    /// Zalando's clothing images (Xiao, Rasul & Vollgraf, 2017).
    case fashionMNIST = "fashion-mnist"
    /// Kuzushiji-MNIST, cursive Japanese characters (Clanuwat et al., 2018).
    case kmnist

    /// Name for messages, e.g. "Fashion-MNIST".
    public var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        case .kmnist: return "KMNIST"
        }
    }

    /// Default folder for this data set, relative to the current directory: `data/<name>`.
    public var defaultFolder: String { "data/\(rawValue)" }

    /// Base URLs to try in order; each file is fetched as base + file name.
    public var mirrors: [URL] {
        let strings: [String]
        switch self {
        case .mnist:
            strings = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]
        case .fashionMNIST:
            strings = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
        case .kmnist:
            strings = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
        }
        return strings.compactMap { URL(string: $0) }
    }

    /// The four files of the standard layout with their published MD5 checksums.
    public var files: [DownloadFile] {
        let sums: [String]
        switch self {
        case .mnist:
            sums = ["f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                    "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"]
        case .fashionMNIST:
            sums = ["8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                    "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"]
        case .kmnist:
            sums = ["bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                    "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"]
        }
        let names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
        return zip(names, sums).map { DownloadFile(name: $0, md5: $1) }
    }
}

/// One file to download and the MD5 its contents must have.
public struct DownloadFile: Sendable, Equatable {
    /// File name, appended to each mirror's base URL and used in the target folder.
    public let name: String
    /// Expected MD5, 32 lowercase hexadecimal digits.
    public let md5: String

    /// - Parameters:
    ///   - name: file name without folders.
    ///   - md5: expected MD5 in hexadecimal (case-insensitive).
    public init(name: String, md5: String) {
        precondition(!name.isEmpty && !name.contains("/"), "DownloadFile name must be a plain file name: \(name)")
        self.name = name
        self.md5 = md5.lowercased()
    }
}

/// Why a download failed. Every case names the URL or file and says what to do next.
public indirect enum DownloadError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The server answered with a status other than 200.
    case httpStatus(url: String, status: Int)
    /// The server could not be reached or the connection failed (offline, DNS, refused, timeout).
    case network(url: String, reason: String)
    /// The body ended before the length the server announced.
    case truncated(url: String, expectedBytes: Int, receivedBytes: Int)
    /// The downloaded bytes do not have the published MD5; nothing was kept.
    case checksumMismatch(url: String, file: String, expected: String, actual: String)
    /// Every mirror failed for this file; `failures` holds one error per mirror, in order.
    case allMirrorsFailed(file: String, failures: [DownloadError])
    /// The target folder or file cannot be written.
    case cannotWrite(path: String, reason: String)
    /// libcurl, which downloads go through, cannot be loaded; `reason` says what to install.
    case networkLibraryMissing(reason: String)
    /// `Downloader.stopRequested` answered true (Ctrl-C); the file being fetched was not kept.
    case stopped(file: String)

    public var description: String {
        let offline = "If this machine is offline, download the files elsewhere and pass that folder with --data DIR "
            + "(or set VAE_DOWNLOAD_BASE_URL to a reachable mirror)."
        switch self {
        case .httpStatus(let url, let status):
            return "Downloading \(url) failed: the server answered HTTP \(status). The mirror may have moved; "
                + "set VAE_DOWNLOAD_BASE_URL to another mirror, or pass a folder already downloaded with --data DIR."
        case .network(let url, let reason):
            return "Could not download \(url): \(reason). " + offline
        case .truncated(let url, let expected, let received):
            return "Download of \(url) was cut short: received \(received) of \(expected) bytes; nothing was kept. "
                + "Run the download again. " + offline
        case .checksumMismatch(let url, let file, let expected, let actual):
            return "\(file) downloaded from \(url) has MD5 \(actual), but the published checksum is \(expected); "
                + "the file was damaged or is not the expected one and was not kept. Run the download again, or try another mirror "
                + "with VAE_DOWNLOAD_BASE_URL."
        case .allMirrorsFailed(let file, let failures):
            let attempts = failures.map { failure -> String in
                switch failure {
                case .httpStatus(let url, _), .network(let url, _), .truncated(let url, _, _), .checksumMismatch(let url, _, _, _):
                    return "\(url): \(failure.shortReason)"
                default:
                    return failure.shortReason
                }
            }
            return "Could not download \(file) from any mirror (\(attempts.joined(separator: "; "))). " + offline
        case .cannotWrite(let path, let reason):
            return "Cannot write \(path): \(reason). Choose a writable folder with --dir."
        case .networkLibraryMissing(let reason):
            return "Cannot download: \(reason)."
        case .stopped(let file):
            return "Download stopped before \(file) was complete; it was not kept (files verified before it stay). "
                + "Run the command again to fetch the rest."
        }
    }

    public var errorDescription: String? { description }

    /// Whether another mirror would fail the same way, or must not be tried: a folder that cannot be
    /// written, a missing libcurl, a stop asked for.
    var endsEveryMirror: Bool {
        switch self {
        case .cannotWrite, .networkLibraryMissing, .stopped: return true
        default: return false
        }
    }

    /// A few words for progress lines, e.g. "HTTP 404".
    var shortReason: String {
        switch self {
        case .httpStatus(_, let status): return "HTTP \(status)"
        case .network(_, let reason): return reason
        case .truncated(_, let expected, let received): return "received \(received) of \(expected) bytes"
        case .checksumMismatch: return "checksum mismatch"
        case .allMirrorsFailed: return "all mirrors failed"
        case .cannotWrite(_, let reason): return reason
        case .networkLibraryMissing(let reason): return reason
        case .stopped: return "stopped"
        }
    }
}

/// What a finished download did.
public struct DownloadReport: Sendable, Equatable {
    /// The folder holding the files.
    public let folder: URL
    /// Files fetched and verified in this run.
    public let downloaded: [String]
    /// Files already present with the right checksum, left untouched.
    public let skipped: [String]
}

/// Whether and how download progress is shown on standard error.
public enum ProgressDisplay: Sendable, Equatable {
    /// One line per file, rewritten in place with `\r` when standard error is a terminal,
    /// otherwise a line when each file starts and ends.
    case automatic
    /// Nothing is printed.
    case silent
}

/// Fetches the files of an MNIST-style data set into a folder, verifying MD5 checksums.
///
/// For each file: skip it if the folder already has it with the right checksum; otherwise try
/// each mirror in turn, streaming the body into a hidden temporary file while computing its MD5,
/// and move it to its final name only when the length and checksum match. The temporary file lies
/// in the target folder when it exists, else in its nearest existing parent, so the target folder
/// is created only once a file has been verified: a download that fails (offline) leaves no folder
/// behind. A failed attempt deletes its temporary file.
public struct Downloader: Sendable {
    /// Environment variable that replaces the mirrors with one base URL (used by the CLI).
    public static let baseURLEnvironmentKey = "VAE_DOWNLOAD_BASE_URL"

    /// Base URLs tried in order.
    public var mirrors: [URL]
    /// Files to fetch.
    public var files: [DownloadFile]
    /// Seconds without data before a request fails (also while connecting): a dead network fails in
    /// seconds, a closed port at once. Default `defaultTimeout`.
    public var timeout: TimeInterval
    /// The default `timeout`: 10 seconds.
    public static let defaultTimeout: TimeInterval = 10
    /// Progress output; default `.automatic`.
    public var progress: ProgressDisplay
    /// Asked before each file and at least once a second during a transfer; true stops the download
    /// with `DownloadError.stopped` (files verified before stay, the partial one is removed). Default:
    /// never.
    public var stopRequested: @Sendable () -> Bool = { false }

    /// A downloader for arbitrary files and mirrors (tests use a loopback server).
    ///
    /// - Parameters:
    ///   - mirrors: base URLs, at least one; a missing trailing slash is added.
    ///   - files: files with their MD5s.
    ///   - timeout: seconds without data; default `defaultTimeout`.
    ///   - progress: default `.automatic`.
    public init(mirrors: [URL], files: [DownloadFile], timeout: TimeInterval = defaultTimeout,
                progress: ProgressDisplay = .automatic) {
        precondition(!mirrors.isEmpty, "Downloader needs at least one mirror")
        self.mirrors = mirrors.map { url in
            url.absoluteString.hasSuffix("/") ? url : URL(string: url.absoluteString + "/") ?? url
        }
        self.files = files
        self.timeout = timeout
        self.progress = progress
    }

    /// A downloader for one of the known data sets.
    ///
    /// - Parameters:
    ///   - dataset: MNIST, Fashion-MNIST or KMNIST.
    ///   - baseURL: replaces the public mirrors when given (e.g. from `VAE_DOWNLOAD_BASE_URL`); default nil.
    ///   - timeout: seconds without data; default `defaultTimeout`.
    ///   - progress: default `.automatic`.
    public init(dataset: DownloadableDataset, baseURL: URL? = nil, timeout: TimeInterval = defaultTimeout,
                progress: ProgressDisplay = .automatic) {
        self.init(mirrors: baseURL.map { [$0] } ?? dataset.mirrors, files: dataset.files, timeout: timeout, progress: progress)
    }

    /// Downloads every missing or damaged file into `folder`, creating it (and its missing parents)
    /// when the first file has been verified.
    ///
    /// - Parameter folder: target folder (standard layout).
    /// - Returns: which files were fetched and which skipped.
    /// - Throws: `DownloadError`; files verified before the error stay in place, and a folder that no
    ///   file reached is not created.
    public func download(into folder: URL) throws -> DownloadReport {
        var downloaded: [String] = []
        var skipped: [String] = []
        for file in files {
            if stopRequested() { throw DownloadError.stopped(file: file.name) }
            let target = folder.appendingPathComponent(file.name)
            if let existing = try? Data(contentsOf: target), MD5.hex(of: existing) == file.md5 {
                skipped.append(file.name)
                report("\(file.name): already present, checksum OK")
                continue
            }
            var failures: [DownloadError] = []
            var done = false
            for (position, mirror) in mirrors.enumerated() {
                let url = mirror.appendingPathComponent(file.name)
                do {
                    try fetch(url: url, file: file, into: target)
                    done = true
                    break
                } catch let error as DownloadError {
                    if error.endsEveryMirror { throw error }
                    failures.append(error)
                    if position + 1 < mirrors.count {
                        report("\(file.name): \(url.absoluteString) failed (\(error.shortReason)); trying the next mirror")
                    }
                }
            }
            guard done else {
                throw failures.count == 1 ? failures[0] : DownloadError.allMirrorsFailed(file: file.name, failures: failures)
            }
            downloaded.append(file.name)
        }
        return DownloadReport(folder: folder, downloaded: downloaded, skipped: skipped)
    }

    /// The folder `target`'s temporary file goes to: its own folder when that exists, else the nearest
    /// existing parent (so that the rename into the folder, made later, stays on one file system).
    /// - Throws: `DownloadError.cannotWrite` when that parent is a file.
    private func stagingFolder(for target: URL) throws -> URL {
        var folder = target.deletingLastPathComponent().standardizedFileURL
        var isFolder: ObjCBool = false
        while !FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) && folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        guard isFolder.boolValue else {
            throw DownloadError.cannotWrite(path: target.deletingLastPathComponent().path, reason: "\(folder.path) is a file, not a folder")
        }
        return folder
    }

    /// Fetches one URL into a temporary file (see `stagingFolder`), verifies it, then creates `target`'s
    /// folder if needed and renames the file into it.
    private func fetch(url: URL, file: DownloadFile, into target: URL) throws {
        let folder = target.deletingLastPathComponent()
        let temporary = try stagingFolder(for: target)
            .appendingPathComponent(".vae-download-\(file.name).part-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw DownloadError.cannotWrite(path: folder.path, reason: "no file can be created in \(temporary.deletingLastPathComponent().path)")
        }
        var keepTemporary = false
        defer { if !keepTemporary { try? FileManager.default.removeItem(at: temporary) } }
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: temporary)
        } catch {
            throw DownloadError.cannotWrite(path: temporary.path, reason: fileErrorReason(error))
        }
        let sink = DownloadSink(handle: handle, name: file.name, host: url.host ?? url.absoluteString,
                                showProgress: progress == .automatic)
        let outcome = try sink.run(url: url, timeout: timeout, stopRequested: stopRequested)
        try? handle.close()
        sink.clearProgressLine()
        if outcome.stopped { throw DownloadError.stopped(file: file.name) }

        if let status = outcome.status, status != 200 {
            throw DownloadError.httpStatus(url: url.absoluteString, status: status)
        }
        if let writeError = outcome.writeError {
            throw DownloadError.cannotWrite(path: temporary.path, reason: writeError)
        }
        if outcome.expectedBytes >= 0 && outcome.receivedBytes < outcome.expectedBytes {
            throw DownloadError.truncated(url: url.absoluteString, expectedBytes: Int(outcome.expectedBytes),
                                          receivedBytes: Int(outcome.receivedBytes))
        }
        if let failure = outcome.error {
            throw DownloadError.network(url: url.absoluteString, reason: failure)
        }
        guard outcome.md5 == file.md5 else {
            throw DownloadError.checksumMismatch(url: url.absoluteString, file: file.name, expected: file.md5, actual: outcome.md5)
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DownloadError.cannotWrite(path: folder.path, reason: fileErrorReason(error))
        }
        // rename(2) replaces a damaged old copy atomically.
        guard rename(temporary.path, target.path) == 0 else {
            throw DownloadError.cannotWrite(path: target.path, reason: fileErrorReason(errno: errno))
        }
        keepTemporary = true
        sink.finishProgressLine()
    }

    private func report(_ line: String) {
        guard progress == .automatic else { return }
        writeToStandardError(line + "\n", replacingLine: redrawsLines(on: STDERR_FILENO))
    }
}

/// Writes `text` to standard error; on a terminal first clears the current line.
func writeToStandardError(_ text: String, replacingLine: Bool) {
    let output = replacingLine ? "\r\u{1B}[K" + text : text
    FileHandle.standardError.write(output.data(using: .utf8) ?? Data())
}

/// Runs one download through libcurl (`run`, which returns when the transfer ends): writes the chunks
/// to a file, feeds the MD5, shows progress and records the outcome. libcurl calls it back on the
/// thread that runs the transfer.
final class DownloadSink {
    struct Outcome {
        var status: Int?
        var expectedBytes: Int64 = -1
        var receivedBytes: Int64 = 0
        var md5 = ""
        var error: String?
        var writeError: String?
        /// The transfer was stopped on request.
        var stopped = false
    }

    private let handle: FileHandle
    private let name: String
    private let host: String
    private let showProgress: Bool
    private let onTerminal: Bool
    private var digest = MD5()
    private var state = Outcome()
    private var lastReport = Date.distantPast
    /// Set by the first chunk of the body: whether the answer is a 200 to be kept.
    private var accepted: Bool?
    private var curl: CurlLibrary?
    private var transfer: CurlLibrary.Handle?
    private var stopRequested: () -> Bool = { false }

    init(handle: FileHandle, name: String, host: String, showProgress: Bool) {
        self.handle = handle
        self.name = name
        self.host = host
        self.showProgress = showProgress
        self.onTerminal = redrawsLines(on: STDERR_FILENO)
    }

    /// Fetches `url` (following redirects), giving up when no byte arrives for `timeout` seconds
    /// (rounded up to whole seconds once connected) or the connection takes longer, and stopping
    /// when `stopRequested` answers true (libcurl asks its progress function at least once a second).
    /// - Throws: `DownloadError.networkLibraryMissing` when libcurl cannot be loaded.
    func run(url: URL, timeout: TimeInterval, stopRequested: @escaping () -> Bool) throws(DownloadError) -> Outcome {
        self.stopRequested = stopRequested
        let curl: CurlLibrary
        do {
            curl = try CurlLibrary.shared()
        } catch {
            throw DownloadError.networkLibraryMissing(reason: error.description)
        }
        guard let transfer = curl.easyInit() else {
            state.error = "libcurl could not start a transfer"
            return state
        }
        self.curl = curl
        self.transfer = transfer
        defer { curl.easyCleanup(transfer); self.transfer = nil }
        let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: 256)  // CURL_ERROR_SIZE
        errorText.initialize(repeating: 0, count: 256)
        defer { errorText.deallocate() }
        let write: CurlLibrary.WriteCallback = { data, size, count, context in
            guard let context, let data else { return 0 }
            let sink = Unmanaged<DownloadSink>.fromOpaque(context).takeUnretainedValue()
            return sink.receive(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        let progress: CurlLibrary.ProgressCallback = { context, _, _, _, _ in
            guard let context else { return 0 }
            let sink = Unmanaged<DownloadSink>.fromOpaque(context).takeUnretainedValue()
            guard sink.stopRequested() else { return 0 }
            sink.state.stopped = true
            return 1
        }
        let code: Int32 = url.absoluteString.withCString { address in
            var failed = false
            func set(_ option: CurlLibrary.Option, _ value: Int) { failed = failed || curl.set(transfer, option, value) != 0 }
            func set(_ option: CurlLibrary.Option, _ value: UnsafeRawPointer?) { failed = failed || curl.set(transfer, option, value) != 0 }
            set(.url, address)
            set(.writeFunction, unsafeBitCast(write, to: UnsafeRawPointer.self))
            set(.writeData, Unmanaged.passUnretained(self).toOpaque())
            set(.progressFunction, unsafeBitCast(progress, to: UnsafeRawPointer.self))
            set(.progressData, Unmanaged.passUnretained(self).toOpaque())
            set(.noProgress, 0)
            set(.errorBuffer, errorText)
            set(.followLocation, 1)
            set(.noSignal, 1)
            set(.connectTimeoutMilliseconds, max(1, Int(timeout * 1000)))
            set(.lowSpeedLimit, 1)
            set(.lowSpeedTime, max(1, Int(timeout.rounded(.up))))
            // CURLE_BAD_FUNCTION_ARGUMENT: an option this libcurl does not take.
            return failed ? 43 : curl.easyPerform(transfer)
        }
        let status = info(.responseCode) ?? 0
        if status != 0 { state.status = status }
        if let length = info(.contentLengthDownload), status == 200 { state.expectedBytes = Int64(length) }
        state.md5 = digest.finalizeHex()
        // Code 23 (write error) is this sink stopping the transfer: a status other than 200, or a
        // file that cannot be written; both are reported from the outcome.
        if code != 0 && !state.stopped && !(code == 23 && (accepted == false || state.writeError != nil)) && (state.status ?? 200) == 200 {
            let detail = String(cString: errorText)
            state.error = detail.isEmpty ? curl.describe(code) : detail
        }
        return state
    }

    /// What libcurl reports about the transfer `run` is driving (nil outside it).
    private func info(_ item: CurlLibrary.Info) -> Int? {
        guard let curl, let transfer else { return nil }
        return curl.info(transfer, item)
    }

    /// One chunk of the body; false stops the transfer.
    private func receive(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if accepted == nil {
            accepted = info(.responseCode) == 200
            if accepted == true {
                state.expectedBytes = Int64(info(.contentLengthDownload) ?? -1)
                if showProgress && !onTerminal {
                    writeToStandardError("Downloading \(name) from \(host)\n", replacingLine: false)
                }
            }
        }
        guard accepted == true, state.writeError == nil else { return false }
        digest.update(chunk)
        state.receivedBytes += Int64(chunk.count)
        do {
            try handle.write(contentsOf: Data(chunk))
        } catch {
            state.writeError = fileErrorReason(error)
            return false
        }
        let now = Date()
        if showProgress && onTerminal && now.timeIntervalSince(lastReport) > 0.1 {
            lastReport = now
            writeToStandardError(progressLine(), replacingLine: true)
        }
        return true
    }

    /// Erases the in-place progress line (terminal only), so that what follows starts clean.
    func clearProgressLine() {
        guard showProgress && onTerminal else { return }
        if lastReport != Date.distantPast { writeToStandardError("", replacingLine: true) }
    }

    /// Ends the progress display for a verified file.
    func finishProgressLine() {
        guard showProgress else { return }
        writeToStandardError("Downloaded \(name) (\(megabytes(state.receivedBytes))), checksum OK\n", replacingLine: onTerminal)
    }

    private func progressLine() -> String {
        let received = state.receivedBytes, expected = state.expectedBytes
        if expected > 0 {
            let percent = Int(Double(received) / Double(expected) * 100)
            return "Downloading \(name) from \(host): \(percent)% (\(megabytes(received)) of \(megabytes(expected)))"
        }
        return "Downloading \(name) from \(host): \(megabytes(received))"
    }

    private func megabytes(_ bytes: Int64) -> String {
        let value = Double(bytes) / 1_000_000
        return String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10) + " MB"
    }
}
