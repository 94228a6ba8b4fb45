import FileErrors
import Foundation
import MNISTData

/// One epoch's numbers, as written to `metrics.jsonl`.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainReconstruction: Double
    public var trainKL: Double
    public var testLoss: Double?
    public var testReconstruction: Double?
    public var testKL: Double?
    public var imagesPerSecond: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, seconds
        case trainLoss = "train_loss", trainReconstruction = "train_reconstruction", trainKL = "train_kl"
        case testLoss = "test_loss", testReconstruction = "test_reconstruction", testKL = "test_kl"
        case imagesPerSecond = "images_per_second"
    }

    /// The line `vae train` prints after the epoch, at most 80 columns for every realistic run, e.g.
    /// `epoch 10/10  train 138.70 (recon 119.87 + KL 18.82)  test 138.63  0.2 s`: the training loss with
    /// its parts, the test loss (its parts are in metrics.jsonl) and the epoch's seconds. The widest
    /// realistic line, epoch 1000/1000 with losses below 10,000 and an epoch under 10,000 seconds, is 79 columns
    /// (`formatLoss` keeps each loss to 6 characters up to 99,999).
    /// - Parameter lastEpoch: the epoch the run trains up to.
    public func summaryLine(lastEpoch: Int) -> String {
        var line = "epoch \(epoch)/\(lastEpoch)  train \(formatLoss(trainLoss)) "
            + "(recon \(formatLoss(trainReconstruction)) + KL \(formatLoss(trainKL)))"
        if let testLoss { line += "  test \(formatLoss(testLoss))" }
        let shownSeconds = seconds < 10_000 ? formatFixed(seconds, decimals: 1) : formatCount(Int(seconds.rounded()))
        return line + "  \(shownSeconds) s"
    }
}

/// A loss in at most 6 characters up to 99,999: 2 decimals below 1,000 (`138.70`), 1 below 10,000
/// (`1234.5`), none above (`12345`); NaN and infinities as `nan`, `inf`.
public func formatLoss(_ value: Double) -> String {
    let magnitude = abs(value)
    return formatFixed(value, decimals: magnitude < 999.995 ? 2 : magnitude < 9_999.95 ? 1 : 0)
}

/// Problems with a run's `metrics.jsonl`.
public enum MetricsError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case unreadable(path: String, reason: String)
    case badLine(path: String, line: Int)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the metrics: \(reason). Make it readable, or move it away to start its history anew."
        case let .badLine(path, line):
            return "\(path): line \(line) is not an epoch record. Repair or delete that line, then resume again."
        case let .writeFailed(path, reason):
            return "\(path): cannot append the epoch's metrics: \(reason). Check that the run folder is writable and its disk has space."
        }
    }

    public var errorDescription: String? { description }
}

/// A run's `metrics.jsonl`: one JSON object per epoch, appended as one write per epoch, never rewritten.
public struct MetricsLog: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// Reads every record (a missing file has none).
    public func records() throws -> [EpochRecord] {
        try scan().records
    }

    /// Makes the log end at epoch `epochsCompleted` before a resumed run appends to it: a run stopped
    /// after writing an epoch's line but before its checkpoint leaves lines past the checkpoint, and a
    /// write cut short leaves a partial last line. Both are cut off (the file is truncated, not rewritten).
    public func truncate(afterEpoch epochsCompleted: Int) throws {
        let scan = try scan()
        var keep = scan.completeBytes
        if let index = scan.records.firstIndex(where: { $0.epoch > epochsCompleted }) {
            keep = scan.lineStarts[index]
        }
        guard keep < scan.fileSize else { return }
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.truncate(atOffset: UInt64(keep))
        } catch {
            throw MetricsError.writeFailed(path: url.relativePath, reason: fileErrorReason(error))
        }
    }

    /// Appends one record as one line, in one write (a line cut short by a full disk is cut off again by
    /// `truncate(afterEpoch:)` when the run is resumed).
    public func append(_ record: EpochRecord) throws {
        let line = Array((encodeJSON(record) + "\n").utf8)
        let descriptor = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw MetricsError.writeFailed(path: displayPath(url), reason: fileErrorReason(errno: errno)) }
        var failure = line.withUnsafeBytes { writeAll($0, to: descriptor) }
        if close(descriptor) != 0 && failure == nil && errno != EINTR { failure = errno }
        if let failure { throw MetricsError.writeFailed(path: displayPath(url), reason: fileErrorReason(errno: failure)) }
    }

    /// The records of the complete lines, where each starts, and how many bytes the complete lines span.
    private struct Scan {
        var records: [EpochRecord] = []
        var lineStarts: [Int] = []
        var completeBytes = 0
        var fileSize = 0
    }

    private func scan() throws -> Scan {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return Scan() }
        if isFolder.boolValue { throw MetricsError.unreadable(path: url.relativePath, reason: "it is a folder, not a file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw MetricsError.unreadable(path: url.relativePath, reason: fileErrorReason(error))
        }
        var scan = Scan()
        scan.fileSize = data.count
        let bytes = [UInt8](data)
        var start = 0, lineNumber = 0
        let decoder = JSONDecoder()
        while let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            let line = bytes[start..<end]
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                guard let record = try? decoder.decode(EpochRecord.self, from: Data(line)) else {
                    throw MetricsError.badLine(path: url.relativePath, line: lineNumber)
                }
                scan.records.append(record)
                scan.lineStarts.append(start)
            }
            start = end + 1
        }
        scan.completeBytes = start
        return scan
    }
}
