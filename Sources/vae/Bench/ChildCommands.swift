// `vae train` and `vae sample` run as child processes: peak memory and latency.

import ArgumentParser
import Dispatch
import FileErrors
import Foundation
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

extension Bench {
    // MARK: child processes

    /// Runs `vae train` once (peak memory) and `vae sample` `sampleRuns` times (median latency) in a
    /// temporary folder; each is skipped with a note when the subcommand does not exist. Call it before
    /// this process grows: the child's peak memory counts what this process held when it started it.
    func measureCommands(dataFolder: String) -> (CommandMeasurement, CommandMeasurement) {
        let trainArgs = splitArguments(trainArguments, data: dataFolder)
        let sampleArgs = splitArguments(sampleArguments, data: dataFolder)
        var train = CommandMeasurement(status: "skipped", arguments: trainArgs)
        var sample = CommandMeasurement(status: "skipped", arguments: sampleArgs)
        guard let executable = vae ?? currentExecutablePath() else {
            train.note = "cannot find the vae executable (pass --vae PATH)"
            sample.note = train.note
            return (train, sample)
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("vae-bench-\(UUID().uuidString.prefix(8))", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            train.note = "cannot create a temporary folder: \(fileErrorReason(error))"
            sample.note = train.note
            return (train, sample)
        }
        defer { try? FileManager.default.removeItem(at: folder) }

        /// Whether the subcommand exists: `vae <subcommand> --help` must print that subcommand's usage
        /// (for an unknown name the root command prints its own help and still exits 0).
        func exists(_ subcommand: String) -> Bool {
            guard let result = try? runMeasured(executable: executable, arguments: [subcommand, "--help"],
                                                workingDirectory: folder, captureFolder: folder) else { return false }
            return result.status == 0 && result.standardOutput.contains("vae \(subcommand)")
        }

        guard let trainName = trainArgs.first, exists(trainName) else {
            train.note = "`vae \(trainArgs.first ?? "train")` does not exist in this build"
            sample.note = "needs a model saved by `vae train`"
            return (train, sample)
        }
        do {
            train.spawningProcessPeakRSSMegabytes = Double(selfPeakRSSBytes()) / 1_048_576
            let result = try runMeasured(executable: executable, arguments: trainArgs, workingDirectory: folder,
                                         captureFolder: folder)
            let megabytes = Double(result.peakRSSBytes) / 1_048_576
            train.peakRSSMegabytes = megabytes
            train.wallMilliseconds = [result.wallSeconds * 1e3]
            train.medianMilliseconds = result.wallSeconds * 1e3
            if result.status == 0 {
                train.status = "measured"
            } else {
                train.status = "failed"
                train.note = "exit status \(result.status): \(result.messageTail())"
            }
        } catch {
            train.status = "failed"
            train.note = "\(error)"
        }
        guard train.status == "measured" else {
            sample.note = "needs a model saved by `vae train`, which failed"
            return (train, sample)
        }
        guard let sampleName = sampleArgs.first, exists(sampleName) else {
            sample.note = "`vae \(sampleArgs.first ?? "sample")` does not exist in this build"
            return (train, sample)
        }
        var times: [Double] = []
        for _ in 0..<sampleRuns {
            do {
                let result = try runMeasured(executable: executable, arguments: sampleArgs, workingDirectory: folder,
                                             captureFolder: folder)
                guard result.status == 0 else {
                    sample.status = "failed"
                    sample.note = "exit status \(result.status): \(result.messageTail())"
                    return (train, sample)
                }
                times.append(result.wallSeconds * 1e3)
            } catch {
                sample.status = "failed"
                sample.note = "\(error)"
                return (train, sample)
            }
        }
        let medianTime = median(times)
        sample.status = "measured"
        sample.wallMilliseconds = times
        sample.medianMilliseconds = medianTime
        return (train, sample)
    }

    /// Splits an argument template at spaces and fills in `{data}`.
    func splitArguments(_ template: String, data: String) -> [String] {
        template.split(separator: " ", omittingEmptySubsequences: true).map {
            $0.replacingOccurrences(of: "{data}", with: data)
        }
    }

}
