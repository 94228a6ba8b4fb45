// What the benchmark prints and writes.

import ArgumentParser
import Dispatch
import FileErrors
import Foundation
import ImageIO
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

extension Bench {
    // MARK: output

    /// `threads=2 images/s=18,500 GFLOP/s=61 sgemm%=80 (window 78) step=6.92ms (prep 4% fwd+bwd 56% dW+adam 40%)`
    /// (`dW+adam`: the weight gradients and the update; `window`: the share of the sgemm rate measured in
    /// a window of its own before the round's runs), starting `dense path:` for the dense path when
    /// `namingPath` (the summary names it once per line).
    func trainingLine(_ r: TrainingResult, namingPath: Bool = true) -> String {
        (namingPath && !r.skipsZeroInputs ? "dense path: " : "") + "threads=\(r.threads) images/s=\(formatCount(Int(r.imagesPerSecond.rounded()))) "
            + "GFLOP/s=\(formatFixed(r.achievedGFLOPS, decimals: 0)) sgemm%=\(formatFixed(r.sgemmPercent, decimals: 0)) "
            + "(window \(formatFixed(r.separateWindowSGEMMPercent, decimals: 0))) "
            + "step=\(formatFixed(r.step.stepMilliseconds, decimals: 2))ms "
            + "(prep \(formatFixed(r.step.batchPreparationPercent, decimals: 0))% "
            + "fwd+bwd \(formatFixed(r.step.forwardBackwardPercent, decimals: 0))% "
            + "dW+adam \(formatFixed(r.step.optimizerPercent, decimals: 0))%)"
    }

    func describeTrain(_ m: CommandMeasurement) -> String {
        guard m.status == "measured", let rss = m.peakRSSMegabytes else {
            return "\(m.status) (\(m.note ?? "no reason given"))"
        }
        return "`vae \(m.arguments.joined(separator: " "))` peak RSS \(formatFixed(rss, decimals: 1)) MB "
            + "in \(formatFixed((m.medianMilliseconds ?? 0) / 1e3, decimals: 1)) s"
            + (m.spawningProcessPeakRSSMegabytes.map {
                " (started while this process's peak was \(formatFixed($0, decimals: 1)) MB, the least it can show)"
            } ?? "")
    }

    func describeSample(_ m: CommandMeasurement) -> String {
        guard m.status == "measured", let medianTime = m.medianMilliseconds else {
            return "\(m.status) (\(m.note ?? "no reason given"))"
        }
        let runs = (m.wallMilliseconds ?? []).map { formatFixed($0, decimals: 1) }.joined(separator: ", ")
        return "`vae \(m.arguments.joined(separator: " "))` median \(formatFixed(medianTime, decimals: 1)) ms "
            + "over \(m.wallMilliseconds?.count ?? 0) runs [\(runs)]"
    }

    /// The summary, each line starting `summary`: the machine and build with the median sgemm rate per
    /// thread count that vae's runs were compared with (sampled between their epochs); vae's median per
    /// thread count (the round nearest the median for the step breakdown) with the median of the rounds'
    /// shares of the sgemm rate; the peers' medians and the medians of vae's ratios to them; with several
    /// rounds, each round's ratios and shares; memory and sampling latency.
    func summaryLines(cpu: String, kernels: KernelSetting, layers: [Int], trainImages: Int, training: [TrainingResult], contenders: [ContenderResult],
                      ratios: [PeerRatio], sgemmRounds: [SGEMMRound], train: CommandMeasurement,
                      sample: CommandMeasurement) -> [String] {
        let sgemmText = Set(training.map(\.threads)).sorted().map { t in
            "sgemm\(t)t=\(formatFixed(median(training.filter { $0.threads == t }.map(\.sgemmGFLOPS)), decimals: 1))GFLOP/s"
        }.joined(separator: " ")
        var lines = ["summary cpu=\"\(cpu)\" build=\(BuildTarget.isNative ? "native" : "portable") "
                     + "openblas=\(BLAS.coreName)(\(kernels.rawValue)) model=\(layers.map(String.init).joined(separator: "-")) "
                     + "train=\(trainImages) \(sgemmText)"]
        let roundsText = rounds == 1 ? "" : " (median of \(rounds) rounds)"
        for (name, title) in [("vae", "summary vae\(roundsText) "), ("vae-dense", "summary vae dense path\(roundsText) ")] {
            let parts = medianLines(name: name, training: training, contenders: contenders)
            if !parts.isEmpty { lines.append(title + parts.joined(separator: " | ")) }
        }
        let peerMedians = contenders.filter { !$0.name.hasPrefix("vae") }
        if !peerMedians.isEmpty {
            let peerText = peerMedians.map { c in
                let label = PeerContender(peer: c.name, threads: c.threads).label
                return "\(label) \(formatCount(Int(c.medianImagesPerSecond.rounded())))"
            }.joined(separator: ", ")
            let ratioText = ratios.map { "\($0.label) \(formatFixed($0.ratio, decimals: 2))×" }.joined(separator: ", ")
            lines.append("summary peers images/s: \(peerText) | \(ratioText)")
        }
        if rounds > 1 {
            func list(_ values: [Double], decimals: Int) -> String {
                values.map { formatFixed($0, decimals: decimals) }.joined(separator: " ")
            }
            var parts = ratios.map { "\($0.label) \(list($0.roundRatios, decimals: 2))" }
            for t in Set(training.map(\.threads)).sorted() {
                let runs = training.filter { $0.skipsZeroInputs && $0.threads == t }
                parts.append("sgemm% \(t)t \(list(runs.map(\.sgemmPercent), decimals: 0)) "
                             + "(window \(list(runs.map(\.separateWindowSGEMMPercent), decimals: 0)))")
            }
            lines.append("summary rounds: " + parts.joined(separator: "; "))
        }
        var tail = "summary memory+latency:"
        if let rss = train.peakRSSMegabytes, train.status == "measured" {
            tail += " trainRSS=\(formatFixed(rss, decimals: 1))MB"
        } else {
            tail += " trainRSS=\(train.status)"
        }
        if let ms = sample.medianMilliseconds, sample.status == "measured" {
            tail += " sample64=\(formatFixed(ms, decimals: 0))ms"
        } else {
            tail += " sample64=\(sample.status)"
        }
        lines.append(tail)
        return lines
    }

    /// The training lines of contender `name` (`vae` or `vae-dense`) at its median images/s per thread
    /// count, with the median of the rounds' shares of the sgemm rate and the step breakdown of the round
    /// nearest the median.
    func medianLines(name: String, training: [TrainingResult], contenders: [ContenderResult]) -> [String] {
        contenders.filter { $0.name == name }.compactMap { contender in
            let runs = training.filter { $0.threads == contender.threads && $0.skipsZeroInputs == (name == "vae") }
            guard let middle = runs.min(by: {
                abs($0.imagesPerSecond - contender.medianImagesPerSecond) < abs($1.imagesPerSecond - contender.medianImagesPerSecond)
            }) else { return nil }
            var line = middle
            line.imagesPerSecond = contender.medianImagesPerSecond
            line.achievedGFLOPS = middle.achievedGFLOPS / middle.imagesPerSecond * contender.medianImagesPerSecond
            line.sgemmPercent = median(runs.map(\.sgemmPercent))
            line.separateWindowSGEMMPercent = median(runs.map(\.separateWindowSGEMMPercent))
            return trainingLine(line, namingPath: false)
        }
    }

    /// Writes the JSON result file (adding to it with `--append`) and returns its path.
    func writeReport(setting: BenchSettingResult, cpu: String) throws -> String {
        let now = Date()
        let path: String
        if let json {
            path = json
        } else {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            path = "bench-results/bench-\(formatter.string(from: now)).json"
        }
        let url = URL(fileURLWithPath: path)
        var report = BenchReport(schema: BenchReport.currentSchema, date: ISO8601DateFormatter().string(from: now),
                                 cpuModel: cpu, buildTarget: BuildTarget.versionLine, cpuMHz: cpuMegahertz(), logicalCPUs: ProcessInfo.processInfo.activeProcessorCount, settings: [])
        if append, FileManager.default.fileExists(atPath: url.path) {
            do {
                report = try JSONDecoder().decode(BenchReport.self, from: Data(contentsOf: url))
            } catch {
                throw BenchError.resultFile(path: path, reason: "cannot add to it, it is not a \(BenchReport.currentSchema) file (\(error))")
            }
            guard report.schema == BenchReport.currentSchema else {
                throw BenchError.resultFile(path: path, reason: "schema \(report.schema), expected \(BenchReport.currentSchema)")
            }
        }
        report.settings.append(setting)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes: Data
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            bytes = try encoder.encode(report)
        } catch {
            throw BenchError.resultFile(path: path, reason: fileErrorReason(error))
        }
        if let reason = OutputFile.write(bytes, to: url) { throw BenchError.resultFile(path: path, reason: reason) }
        return path
    }
}
