import ArgumentParser
import Foundation
import VAERun

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw loss curves from runs' metrics.jsonl (train solid, test dashed; x = epoch).",
        discussion: """
            One run: total loss, reconstruction and KL per example. Several runs: the total loss of each, one \
            colour per run, to compare settings. Each RUN is a run folder or a metrics.jsonl file.

            Example: vae plot runs/run-001 runs/run-002 -o curves.png
            """)

    @Argument(help: ArgumentHelp("Run folders or metrics.jsonl files (at most 10).", valueName: "run"))
    var runs: [String]
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "curves.png"

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("Name at least one run folder or metrics.jsonl file.") }
        guard runs.count <= 10 else { throw ValidationError("At most 10 runs fit one chart (got \(runs.count)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let metrics = try runs.map(Self.read)
        let names = metrics.map(\.name)
        let title = runs.count == 1 ? "Loss per epoch: \(names[0])" : "Total loss per epoch"
        let chart = LossCurves.chart(metrics, title: title)
        try chart.writePNG(to: url)
        say("Wrote \(output): " + metrics.map { "\($0.name) (\($0.records.count) epochs)" }.joined(separator: ", ")
            + ", \(chart.image.width)×\(chart.image.height) pixels")
    }

    /// The records of a run folder or a metrics file, named by the run folder.
    static func read(_ path: String) throws -> NamedMetrics {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CommandError("\(path): no such run folder or metrics file.")
        }
        let file = isDirectory.boolValue ? RunFolder(url: url).metricsURL : url
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CommandError("\(path): no metrics.jsonl in this folder; pass a run folder written by 'vae train'.")
        }
        let name = isDirectory.boolValue ? url.standardizedFileURL.lastPathComponent
            : url.standardizedFileURL.deletingLastPathComponent().lastPathComponent
        let records: [EpochRecord]
        do { records = try MetricsLog(url: file).records() } catch let error as MetricsError {
            if case let .badLine(_, line) = error {
                throw CommandError("\(displayPath(file)): not a metrics file (line \(line) is not an epoch record); "
                    + "pass a run folder or the metrics.jsonl that 'vae train' writes.")
            }
            throw error
        }
        guard !records.isEmpty else {
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)??.intValue ?? 0
            throw CommandError(size > 0 ? "\(displayPath(file)): not a metrics file (no complete epoch record); pass a run folder or its metrics.jsonl."
                                        : "\(displayPath(file)): no epochs recorded yet.")
        }
        return NamedMetrics(name: name, records: records)
    }
}
