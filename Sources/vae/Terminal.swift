// Terminal helpers for the `vae` command: terminal detection, a throttled one-line progress bar,
// and pure formatting functions (kept free of I/O so they can move to a testable module).

import Foundation
import MNISTData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Terminal queries

/// The number of columns of the terminal behind a file descriptor.
///
/// Asks the terminal (`ioctl TIOCGWINSZ`); if that fails, uses the `COLUMNS` environment
/// variable; otherwise `fallback`.
/// - Parameters:
///   - fileDescriptor: descriptor of the terminal; default `STDERR_FILENO`.
///   - fallback: width when nothing is known; default 80.
func terminalWidth(of fileDescriptor: Int32 = STDERR_FILENO, fallback: Int = 80) -> Int {
    var size = winsize()
    if ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
        return Int(size.ws_col)
    }
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }), columns > 0 {
        return columns
    }
    return fallback
}

// MARK: - Pure formatting

/// Formats a duration as `m:ss` below an hour and `h:mm:ss` from an hour on: `1` → `"0:01"`,
/// `3723` → `"1:02:03"`.
/// - Parameter seconds: the duration, rounded to whole seconds; negative, NaN or infinite
///   durations give `"--:--"`.
func formatDuration(seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0, seconds < Double(Int.max / 2) else { return "--:--" }
    let total = Int(seconds.rounded())
    let hours = total / 3600
    let minutes = (total % 3600) / 60
    let secondsPart = total % 60
    func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    if hours > 0 {
        return "\(hours):\(twoDigits(minutes)):\(twoDigits(secondsPart))"
    }
    return "\(minutes):\(twoDigits(secondsPart))"
}

/// What one progress line shows.
struct ProgressLineContent: Equatable, Sendable {
    /// What is running, e.g. `epoch 3/10`.
    var title: String
    /// Units finished so far (batches of an epoch, images of an evaluation).
    var completedBatches: Int
    /// Units in all.
    var totalBatches: Int
    /// The units' name, e.g. `batches`.
    var unit: String = "batches"
    /// The value's name, e.g. `loss`.
    var valueName: String = "loss"
    /// Value to show (e.g. the running mean loss over the epoch); NaN shows none.
    var loss: Double
    /// Training throughput.
    var imagesPerSecond: Double
    /// Estimated time left in this epoch, or `nil` when unknown (shown as `--:--`).
    var remainingSeconds: Double?
}

/// Renders a progress line that fits in `width` columns (at most `width - 1` characters, so
/// the cursor never wraps), e.g.
/// `epoch 3/10 [########----------] 18/32 batches  loss 141.27  52,310 img/s  ETA 0:01`.
///
/// The bar takes the room left over, at most `maximumBarWidth` cells. In narrow terminals the
/// bar is dropped first, then whole fields from the right; as a last resort the line is cut.
/// - Parameters:
///   - content: the numbers to show.
///   - width: terminal columns.
///   - maximumBarWidth: widest bar, in cells between the brackets; default 30.
func renderProgressLine(_ content: ProgressLineContent, width: Int, maximumBarWidth: Int = 30) -> String {
    let available = max(width - 1, 0)
    let epochField = content.title
    let rate = content.imagesPerSecond.isFinite ? Int(content.imagesPerSecond.rounded()) : 0
    let fields = [
        "\(formatCount(content.completedBatches))/\(formatCount(content.totalBatches)) \(content.unit)",
        content.loss.isNaN ? nil : "\(content.valueName) \(formatFixed(content.loss, decimals: 2))",
        "\(formatCount(rate)) img/s",
        "ETA \(content.remainingSeconds.map { formatDuration(seconds: $0) } ?? "--:--")",
    ].compactMap { $0 }
    let suffix = fields.joined(separator: "  ")
    // "epoch 3/10 [" + bar + "] " + suffix
    let barCells = min(maximumBarWidth, available - epochField.count - suffix.count - 4)
    if barCells >= 5 {
        let fraction = content.totalBatches > 0
            ? min(max(Double(content.completedBatches) / Double(content.totalBatches), 0), 1) : 0
        let filled = Int((fraction * Double(barCells)).rounded(.down))
        return epochField + " [" + String(repeating: "#", count: filled)
            + String(repeating: "-", count: barCells - filled) + "] " + suffix
    }
    var line = epochField
    for field in fields {
        let extended = line + (line == epochField ? " " : "  ") + field
        guard extended.count <= available else { break }
        line = extended
    }
    return line.count <= available ? line : String(line.prefix(available))
}

// MARK: - Progress bar

/// A one-line progress bar for one training epoch, drawn on stderr.
///
/// On a terminal the line is redrawn in place (`\r`, then ANSI erase-line `ESC[2K`) at most
/// once per `minimumRedrawInterval`, and adapts to the terminal's width. When the descriptor is
/// not a terminal that takes escape codes (a log file, CI, `TERM=dumb`; see `redrawsLines`), nothing is
/// drawn, so logs stay free of control characters; the caller prints its own per-epoch summary.
///
/// ```swift
/// let bar = ProgressBar(epoch: 3, epochCount: 10, totalBatches: 32)
/// for batch in 1...32 { ...; bar.update(completed: batch, loss: meanLoss, imagesPerSecond: rate) }
/// bar.finish()
/// ```
final class ProgressBar {
    private let title: String
    private let unit: String
    private let valueName: String
    private let totalBatches: Int
    private let fileDescriptor: Int32
    private let drawsOnTerminal: Bool
    private let minimumRedrawInterval: Duration
    private let clock = ContinuousClock()
    private let startTime: ContinuousClock.Instant
    private var lastDrawTime: ContinuousClock.Instant?
    private var isLineVisible = false

    /// Starts timing an epoch (the ETA is measured from here).
    /// - Parameters:
    ///   - epoch: current epoch, 1-based.
    ///   - epochCount: total number of epochs.
    ///   - totalBatches: batches in this epoch, at least 1.
    ///   - fileDescriptor: where to draw; default `STDERR_FILENO`.
    ///   - minimumRedrawInterval: shortest time between redraws; default 100 ms (≤ 10 per second).
    convenience init(epoch: Int, epochCount: Int, totalBatches: Int,
                     fileDescriptor: Int32 = STDERR_FILENO,
                     minimumRedrawInterval: Duration = .milliseconds(100)) {
        self.init(title: "epoch \(epoch)/\(epochCount)", total: totalBatches, fileDescriptor: fileDescriptor,
                  minimumRedrawInterval: minimumRedrawInterval)
    }

    /// Starts timing any job of `total` units, e.g. `ProgressBar(title: "k = 1,000", total: 10_000,
    /// unit: "images", valueName: "NLL")`.
    init(title: String, total: Int, unit: String = "batches", valueName: String = "loss",
         fileDescriptor: Int32 = STDERR_FILENO, minimumRedrawInterval: Duration = .milliseconds(100)) {
        precondition(total >= 1, "a progress bar needs at least one unit, got \(total)")
        self.title = title
        self.unit = unit
        self.valueName = valueName
        self.totalBatches = total
        self.fileDescriptor = fileDescriptor
        self.drawsOnTerminal = redrawsLines(on: fileDescriptor)
        self.minimumRedrawInterval = minimumRedrawInterval
        self.startTime = clock.now
    }

    /// Reports progress; redraws unless the last redraw was too recent (the last batch always redraws).
    /// - Parameters:
    ///   - completed: batches finished so far in this epoch, `0...totalBatches`.
    ///   - loss: loss to show.
    ///   - imagesPerSecond: throughput to show.
    func update(completed: Int, loss: Double, imagesPerSecond: Double) {
        guard drawsOnTerminal else { return }
        let now = clock.now
        if let lastDrawTime, now - lastDrawTime < minimumRedrawInterval, completed < totalBatches {
            return
        }
        lastDrawTime = now
        let elapsed = seconds(of: now - startTime)
        let remaining: Double? = completed > 0
            ? elapsed / Double(completed) * Double(max(totalBatches - completed, 0)) : nil
        let content = ProgressLineContent(
            title: title, completedBatches: completed, totalBatches: totalBatches, unit: unit, valueName: valueName,
            loss: loss, imagesPerSecond: imagesPerSecond, remainingSeconds: remaining)
        let line = renderProgressLine(content, width: terminalWidth(of: fileDescriptor))
        emit("\r\u{1B}[2K" + line)
        isLineVisible = true
    }

    /// Erases the progress line so the next output starts on a clean line.
    func finish() {
        guard drawsOnTerminal, isLineVisible else { return }
        emit("\r\u{1B}[2K")
        isLineVisible = false
    }

    private func seconds(of duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return  // Progress output is best-effort; never fail training over it.
            }
        }
    }
}

extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
