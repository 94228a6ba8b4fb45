// What the benchmark prints and writes.

import ArgumentParser
import Dispatch
import Foundation
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

extension Bench {
    // MARK: output

    /// `threads=2 images/s=57,300 GFLOP/s=188 sgemm%=82 step=2.23ms (prep 4% fwd+bwd 86% adam 10%) target 55,000: met`.
    func trainingLine(_ r: TrainingResult) -> String {
        var line = "threads=\(r.threads) images/s=\(formatCount(Int(r.imagesPerSecond.rounded()))) "
            + "GFLOP/s=\(formatFixed(r.achievedGFLOPS, decimals: 0)) sgemm%=\(formatFixed(r.sgemmPercent, decimals: 0)) "
            + "step=\(formatFixed(r.step.stepMilliseconds, decimals: 2))ms "
            + "(prep \(formatFixed(r.step.batchPreparationPercent, decimals: 0))% "
            + "fwd+bwd \(formatFixed(r.step.forwardBackwardPercent, decimals: 0))% "
            + "adam \(formatFixed(r.step.optimizerPercent, decimals: 0))%)"
        if let target = r.target {
            line += " target \(formatCount(Int(target.value))): \(target.met ? "met" : "NOT met")"
        }
        return line
    }

    func describeTrain(_ m: CommandMeasurement) -> String {
        guard m.status == "measured", let rss = m.peakRSSMegabytes else {
            return "\(m.status) (\(m.note ?? "no reason given"))"
        }
        return "`vae \(m.arguments.joined(separator: " "))` peak RSS \(formatFixed(rss, decimals: 1)) MB "
            + "in \(formatFixed((m.medianMilliseconds ?? 0) / 1e3, decimals: 1)) s"
            + (m.target.map { " (target ≤ \(formatFixed($0.value, decimals: 0)) MB: \($0.met ? "met" : "NOT met"))" } ?? "")
    }

    func describeSample(_ m: CommandMeasurement) -> String {
        guard m.status == "measured", let medianTime = m.medianMilliseconds else {
            return "\(m.status) (\(m.note ?? "no reason given"))"
        }
        let runs = (m.wallMilliseconds ?? []).map { formatFixed($0, decimals: 1) }.joined(separator: ", ")
        return "`vae \(m.arguments.joined(separator: " "))` median \(formatFixed(medianTime, decimals: 1)) ms "
            + "over \(m.wallMilliseconds?.count ?? 0) runs [\(runs)]"
            + (m.target.map { " (target ≤ \(formatFixed($0.value, decimals: 0)) ms: \($0.met ? "met" : "NOT met"))" } ?? "")
    }

    /// The one line per kernel setting: most threads first, then the others after `|`, then memory and sampling.
    func summaryLine(kernels: KernelSetting, training: [TrainingResult], sgemm: SGEMMResult,
                             train: CommandMeasurement, sample: CommandMeasurement, benchRSS: Double) -> String {
        var parts = ["summary kernels=\(BLAS.coreName)(\(kernels.rawValue)) sgemm1t=\(formatFixed(sgemm.combinedGFLOPS, decimals: 1))GFLOP/s"]
        for r in training.sorted(by: { $0.threads > $1.threads }) { parts.append(trainingLine(r)) }
        var tail = "benchRSS=\(formatFixed(benchRSS, decimals: 0))MB"
        if let rss = train.peakRSSMegabytes, train.status == "measured" {
            tail += " trainRSS=\(formatFixed(rss, decimals: 1))MB (target 64MB: \(train.target?.met == true ? "met" : "NOT met"))"
        } else {
            tail += " trainRSS=\(train.status)"
        }
        if let ms = sample.medianMilliseconds, sample.status == "measured" {
            tail += " sample64=\(formatFixed(ms, decimals: 0))ms (target 50ms: \(sample.target?.met == true ? "met" : "NOT met"))"
        } else {
            tail += " sample64=\(sample.status)"
        }
        parts.append(tail)
        return parts.joined(separator: " | ")
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
                                 cpuModel: cpu, cpuMHz: cpuMegahertz(), logicalCPUs: ProcessInfo.processInfo.activeProcessorCount, settings: [])
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
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(report).write(to: url, options: .atomic)
        } catch {
            throw BenchError.resultFile(path: path, reason: error.localizedDescription)
        }
        return path
    }
}
