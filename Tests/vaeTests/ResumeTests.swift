import Foundation
import Testing

@Suite("resume and determinism")
struct ResumeTests {
    /// metrics.jsonl lines without the timing fields.
    static func comparableMetrics(_ sandbox: Sandbox, _ run: String) throws -> [[String: Double]] {
        try metricsLines(try sandbox.text("\(run)/metrics.jsonl")).map { line in
            var numbers: [String: Double] = [:]
            for (key, value) in line where key != "images_per_second" && key != "seconds" {
                numbers[key] = (value as? NSNumber)?.doubleValue ?? .nan
            }
            return numbers
        }
    }

    @Test("4 epochs straight = 2 epochs + --resume 2 epochs, byte for byte", arguments: [2, 1])
    func exactResume(threads: Int) throws {
        try withSandbox { sandbox in
            let common = ["--limit", "256", "--threads", String(threads), "--seed", "7"]
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "4"] + common + ["--out", "A"])
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "2"] + common + ["--out", "B"])
            #expect(try sandbox.data("A/model.safetensors") != sandbox.data("B/model.safetensors"),
                    "after 2 of 4 epochs the models should still differ")
            let resumed = try sandbox.vaeSucceeds("train", "--resume", "B", "--epochs", "2")
            #expect(resumed.stdout.contains("resuming after epoch 2"), "\(resumed)")
            #expect(resumed.stdout.contains("epoch 3/4") && resumed.stdout.contains("epoch 4/4"), "\(resumed)")
            #expect(!sandbox.exists("runs"), "--resume B continues in B, not in a new runs/ folder")

            for file in ["model.safetensors", "trainer-state.safetensors", "config.json", "samples/epoch-004.png"] {
                let a = try sandbox.data("A/\(file)"), b = try sandbox.data("B/\(file)")
                #expect(a == b, "A/\(file) and B/\(file) differ (\(a.count) vs \(b.count) bytes) with --threads \(threads)")
            }
            let metricsA = try Self.comparableMetrics(sandbox, "A")
            let metricsB = try Self.comparableMetrics(sandbox, "B")
            #expect(metricsA.count == 4)
            #expect(metricsA == metricsB, "metrics differ:\nA \(metricsA)\nB \(metricsB)")
        }
    }

    @Test("two identical runs give identical files")
    func determinism() throws {
        try withSandbox { sandbox in
            let arguments = ["train", "--epochs", "2", "--limit", "256", "--threads", "2", "--seed", "11"]
            try sandbox.vaeSucceeds(arguments: arguments + ["--out", "one"])
            try sandbox.vaeSucceeds(arguments: arguments + ["--out", "two"])
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "2", "--limit", "256", "--threads", "2", "--seed", "12",
                                                "--out", "other"])
            for file in ["model.safetensors", "trainer-state.safetensors", "samples/epoch-002.png"] {
                #expect(try sandbox.data("one/\(file)") == sandbox.data("two/\(file)"), "\(file) differs between identical runs")
            }
            #expect(try Self.comparableMetrics(sandbox, "one") == Self.comparableMetrics(sandbox, "two"))
            #expect(try sandbox.data("one/model.safetensors") != sandbox.data("other/model.safetensors"),
                    "another seed should give another model")
        }
    }

    @Test("--resume with the run's model.safetensors path also works and keeps the settings")
    func resumeFromModelFile() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "48", "--latent", "6",
                                    "--beta", "0.5", "--out", "R", "--sample-every", "0")
            let result = try sandbox.vaeSucceeds("train", "--resume", "R/model.safetensors", "--epochs", "1")
            #expect(result.stdout.contains("784-48-6"), "the resumed run keeps its architecture\n\(result)")
            #expect(result.stdout.contains("beta 0.5"), "\(result)")
            let metrics = try Self.comparableMetrics(sandbox, "R")
            #expect(metrics.map { $0["epoch"] } == [1, 2])
        }
    }

    @Test("KL warm-up and free bits: shown, stored, and resumed exactly across the end of the warm-up")
    func warmupResume() throws {
        try withSandbox { sandbox in
            let common = ["--limit", "256", "--threads", "2", "--seed", "5", "--kl-warmup", "2", "--free-bits", "0.25",
                          "--sample-every", "0"]
            let straight = try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "3"] + common + ["--out", "A"])
            #expect(straight.stdout.contains("KL warm-up 2 epochs") && straight.stdout.contains("free bits 0.25 nats"),
                    "\(straight)")
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "1"] + common + ["--out", "B"])
            let resumed = try sandbox.vaeSucceeds("train", "--resume", "B", "--epochs", "2")
            #expect(resumed.stdout.contains("KL warm-up 2 epochs"), "the resumed run keeps its schedule\n\(resumed)")
            for file in ["model.safetensors", "trainer-state.safetensors"] {
                #expect(try sandbox.data("A/\(file)") == sandbox.data("B/\(file)"), "A/\(file) and B/\(file) differ")
            }
            let config = try JSONSerialization.jsonObject(with: try sandbox.data("A/config.json")) as? [String: Any]
            let schedule = (config?["training"] as? [String: Any])?["klSchedule"] as? [String: Any]
            #expect((schedule?["warmupEpochs"] as? NSNumber)?.intValue == 2, "config.json: \(String(describing: config))")
            // Without warm-up or free bits the same seed trains another model.
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "256", "--threads", "2", "--seed", "5",
                                    "--sample-every", "0", "--out", "C")
            #expect(try sandbox.data("B/model.safetensors") != sandbox.data("C/model.safetensors"))
        }
    }
}
