import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// What the first signal prints at once, from its handler.
private let stoppingLine = "Stopping after the current batch (interrupt again to stop at once)."

/// Files whose name marks an unfinished write (a temporary file left behind).
private func temporaryFiles(_ sandbox: Sandbox) -> [String] {
    sandbox.allFiles().filter { $0.contains(".partial") }
}

@Suite("Ctrl-C and SIGTERM")
struct InterruptTests {
    static let small = ["--limit", "512", "--hidden", "32", "--latent", "4", "--threads", "2", "--seed", "9"]

    @Test("Ctrl-C after epoch 1: the last complete epoch is kept, the resume command is printed, and running it gives the straight run's model")
    func interruptKeepsLastEpochAndResumes() throws {
        try withSandbox { sandbox in
            let child = try sandbox.start(["train", "--epochs", "4", "--log-interval", "1"] + Self.small)
            let epochLine = child.waitForLine { $0.hasPrefix("epoch 1/4  train ") }
            try #require(epochLine != nil, "epoch 1 never ended\n\(child.wait(timeout: 1))")
            child.send(SIGINT)
            let result = child.wait()
            #expect(!result.crashed && result.status == 130, "Ctrl-C ends with 128 + SIGINT\n\(result)")
            #expect(!result.output.contains("Fatal error"), "\(result)")

            // The signal is acknowledged at once; then one line says what was kept and the exact command to continue.
            let lines = result.errorLines
            try #require(lines.count == 2 && lines[0] == stoppingLine, "\(result)")
            let pattern = #/^Interrupted in epoch (\d+) \(Ctrl-C\): kept epoch (\d+) in runs/run-001; continue with: vae (train --resume runs/run-001 --epochs (\d+))$/#
            let match = try #require(lines[1].wholeMatch(of: pattern), "\(result)")
            let stoppedIn = Int(match.1)!, kept = Int(match.2)!, remaining = Int(match.4)!
            #expect(kept >= 1 && stoppedIn == kept + 1, "\(result)")
            #expect(kept + remaining == 4, "the command trains the epochs still missing\n\(result)")
            #expect(!result.stdout.contains("epoch \(stoppedIn)/4  train "), "the interrupted epoch is not reported as done")

            // The folder holds the kept epoch, whole: checkpoint, state and metrics agree.
            for file in ["model.safetensors", "trainer-state.safetensors", "config.json", "metrics.jsonl"] {
                #expect(sandbox.exists("runs/run-001/\(file)"), "runs/run-001/\(file) is missing")
            }
            let metrics = try metricsLines(try sandbox.text("runs/run-001/metrics.jsonl"))
            #expect(metrics.compactMap { number($0, "epoch") } == (1...kept).map(Double.init))
            #expect(temporaryFiles(sandbox).isEmpty, "\(temporaryFiles(sandbox))")

            // The printed command continues the run to the end.
            let resumed = try sandbox.vaeSucceeds(arguments: String(match.3).split(separator: " ").map(String.init))
            #expect(resumed.stdout.contains("resuming after epoch \(kept)") && resumed.stdout.contains("epoch 4/4"), "\(resumed)")
            let all = try metricsLines(try sandbox.text("runs/run-001/metrics.jsonl"))
            #expect(all.compactMap { number($0, "epoch") } == [1, 2, 3, 4])

            // Nothing of the dropped epoch survived: the result is the uninterrupted run's, byte for byte.
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "4"] + Self.small + ["--out", "straight"])
            for file in ["model.safetensors", "trainer-state.safetensors"] {
                #expect(try sandbox.data("runs/run-001/\(file)") == sandbox.data("straight/\(file)"), "\(file) differs")
            }
        }
    }

    @Test("SIGTERM before the first epoch ends leaves no run folder (nor runs/) and says so")
    func terminateInFirstEpoch() throws {
        try withSandbox { sandbox in
            let child = try sandbox.start(["train", "--epochs", "3", "--log-interval", "1"] + Self.small)
            let batchLine = child.waitForLine { $0.hasPrefix("epoch 1/3  batch 1/") }
            try #require(batchLine != nil, "\(child.wait(timeout: 1))")
            child.send(SIGTERM)
            let result = child.wait()
            #expect(!result.crashed && result.status == 143, "SIGTERM ends with 128 + SIGTERM\n\(result)")
            #expect(result.errorLines == [stoppingLine, "Interrupted in epoch 1 (SIGTERM): no epoch was complete, so nothing "
                + "was kept and runs/run-001 was removed."], "\(result)")
            #expect(sandbox.allFiles().isEmpty && !sandbox.exists("runs"), "left behind: \(sandbox.allFiles())")
        }
    }

    @Test("in a folder given with --out that existed, only the files the run made are removed")
    func terminateInExistingFolder() throws {
        try withSandbox { sandbox in
            try sandbox.write(Data("mine\n".utf8), to: "mine/notes.txt")
            let child = try sandbox.start(["train", "--epochs", "3", "--log-interval", "1", "--out", "mine"] + Self.small)
            try #require(child.waitForLine { $0.hasPrefix("epoch 1/3  batch 1/") } != nil, "\(child.wait(timeout: 1))")
            child.send(SIGINT)
            let result = child.wait()
            #expect(result.status == 130, "\(result)")
            #expect(result.stderr.contains("the files it made in mine were removed"), "\(result)")
            #expect(sandbox.allFiles() == ["mine/notes.txt"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.url("mine").path) == ["notes.txt"])
        }
    }

    @Test("a second Ctrl-C ends the process at once, in the middle of a batch")
    func secondInterruptExitsAtOnce() throws {
        try withSandbox { sandbox in
            // Batches of seconds, so that the first Ctrl-C cannot be honoured before the second arrives.
            let child = try sandbox.start(["train", "--epochs", "1", "--limit", "1024", "--batch-size", "512", "--hidden", "1024",
                                           "--threads", "1", "--log-interval", "1", "--sample-every", "0"])
            try #require(child.waitForLine { $0.hasPrefix("epoch 1/1  batch 1/2") } != nil, "\(child.wait(timeout: 1))")
            // Let it get past the check before batch 2 (writing that line may have woken this process
            // before the child went on), so that the first Ctrl-C lands inside the batch.
            usleep(500_000)
            child.send(SIGINT)
            // Once the first has been taken (two signals sent before the process runs would count as one).
            #expect(child.waitForStderr(containing: stoppingLine))
            let second = Date()
            child.send(SIGINT)
            let result = child.wait()
            #expect(!result.crashed && result.status == 130, "\(result)")
            #expect(result.stderr.contains("Stopped at once (second interrupt)."), "\(result)")
            #expect(!result.stderr.contains("Interrupted in epoch"), "the second Ctrl-C does not wait for the batch\n\(result)")
            #expect(Date().timeIntervalSince(second) < 3, "\(result)")
            #expect(temporaryFiles(sandbox).isEmpty)
        }
    }

    @Test("Ctrl-C during evaluate and score leaves no output file, whole or partial", arguments: ["evaluate", "score"])
    func estimationWritesNothingWhenInterrupted(command: String) throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "256", "--hidden", "32", "--sample-every", "0")
            let before = try snapshot(sandbox)
            let child = try sandbox.start([command, "-k", "20000", "--threads", "1"])
            usleep(1_500_000)
            child.send(SIGINT)
            let result = child.wait(timeout: 60)
            #expect(!result.timedOut && result.status != 0, "\(result)")
            #expect(!result.output.contains("Fatal error"), "\(result)")
            let after = try snapshot(sandbox)
            #expect(after == before, "files changed: \(Set(after.keys).symmetricDifference(before.keys))\n\(result)")
        }
    }
}
