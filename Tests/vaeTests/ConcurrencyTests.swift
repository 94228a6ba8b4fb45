import Foundation
import Testing

@Suite("concurrent runs")
struct ConcurrencyTests {
    @Test("three 'vae train' started together in one folder take three run folders and each reports its own")
    func concurrentTrainsTakeDistinctFolders() throws {
        try withSandbox { sandbox in
            let arguments = ["train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--latent", "2", "--threads", "1",
                             "--sample-every", "0"]
            let children = try (0..<3).map { _ in try sandbox.start(arguments) }
            let results = children.map { $0.wait() }
            var folders: [String] = []
            for result in results {
                try #require(result.succeeded, "\(result)")
                let run = try #require(result.stdout.firstMatch(of: #/Run: (runs/run-\d{3}) /#)?.1, "\(result)")
                #expect(result.stdout.contains("Saved \(run)/model.safetensors"), "each run reports the folder it wrote\n\(result)")
                folders.append(String(run))
            }
            #expect(folders.sorted() == ["runs/run-001", "runs/run-002", "runs/run-003"], "\(folders)")
            for folder in folders {
                #expect(sandbox.exists("\(folder)/model.safetensors") && sandbox.exists("\(folder)/trainer-state.safetensors"))
                let metrics = try metricsLines(try sandbox.text("\(folder)/metrics.jsonl"))
                #expect(metrics.count == 1, "\(folder) holds one run's metrics, not several runs' lines")
            }
        }
    }

    @Test("a second 'vae train' into the folder a running one writes is refused, and the first finishes")
    func sameOutFolderIsRefused() throws {
        try withSandbox { sandbox in
            let first = try sandbox.start(["train", "--epochs", "2", "--limit", "256", "--hidden", "32", "--log-interval", "1",
                                           "--out", "shared"])
            try #require(first.waitForLine { $0.hasPrefix("epoch 1/2  batch 1/") } != nil, "\(first.wait(timeout: 1))")
            let second = try sandbox.vae("train", "--epochs", "1", "--limit", "64", "--out", "shared")
            expectCleanFailure(second, mentioning: ["shared", "another 'vae train'"])
            #expect(second.status == 1)
            let resumed = try sandbox.vae("train", "--resume", "shared", "--epochs", "1")
            #expect(resumed.status != 0 && !resumed.crashed, "\(resumed)")
            let result = first.wait()
            #expect(result.succeeded, "\(result)")
            #expect(try metricsLines(try sandbox.text("shared/metrics.jsonl")).count == 2)
        }
    }
}
