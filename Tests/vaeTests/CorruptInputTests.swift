import Foundation
import SafeTensors
import Testing

/// The trained model file at `source` with keys of one metadata JSON entry set (`vae_config` or `vae_training`).
private func withSettings(_ sandbox: Sandbox, _ source: String, entry: String, _ changes: [String: Any]) throws -> Data {
    var file = try SafeTensorsFile(data: sandbox.data(source))
    let text = try #require(file.metadata[entry])
    var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    for (key, value) in changes { object[key] = value }
    file.metadata[entry] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    return file.encoded()
}

/// Expects a refusal: exit status 1...123 (not a signal, not a timeout), exactly one line on stderr that
/// names `file`, nothing claimed on stdout.
private func expectOneLineRefusal(_ result: CommandResult, naming file: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.crashed && !result.timedOut && (1...123).contains(result.status), "\(result)", sourceLocation: sourceLocation)
    #expect(result.errorLines.count == 1, "expected one line on stderr\n\(result)", sourceLocation: sourceLocation)
    #expect(result.errorLines.first?.contains(file) == true, "the line should name \(file)\n\(result)", sourceLocation: sourceLocation)
    #expect(!result.stdout.contains("Wrote ") && !result.stdout.contains("Saved "), "\(result)", sourceLocation: sourceLocation)
}

@Suite("corrupt inputs end to end")
struct CorruptInputTests {
    /// Trains the small model every test damages copies of.
    static func trainGood(_ sandbox: Sandbox) throws {
        try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--latent", "2", "--out", "good",
                                "--sample-every", "0")
    }

    @Test("sample refuses crafted checkpoints with exit 1–123, one stderr line naming the file, no output, bounded memory")
    func sampleRefusesCraftedCheckpoints() throws {
        try withSandbox { sandbox in
            try Self.trainGood(sandbox)
            let good = "good/model.safetensors", config = "vae_config"
            var cases: [String: Data] = [
                "height-3.safetensors": try withSettings(sandbox, good, entry: config, ["imageHeight": 3]),
                "width-0.safetensors": try withSettings(sandbox, good, entry: config, ["imageWidth": 0]),
                "width-1e6.safetensors": try withSettings(sandbox, good, entry: config, ["imageWidth": 1_000_000]),
                "latent-1e9.safetensors": try withSettings(sandbox, good, entry: config, ["latent": 1_000_000_000, "hidden": [400]]),
                "hidden-1e8.safetensors": try withSettings(sandbox, good, entry: config, ["hidden": [100_000_000]]),
                "classes-1e9.safetensors": try withSettings(sandbox, good, entry: config, ["classes": 1_000_000_000]),
                "image-1e6x1e6.safetensors": try withSettings(sandbox, good, entry: config,
                                                              ["imageHeight": 1_000_000, "imageWidth": 1_000_000, "inputSize": 1_000_000_000_000]),
            ]
            var huge = try sandbox.data(good)
            huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: (UInt64(1) << 63).littleEndian) { Data($0) })
            cases["header-2e63.safetensors"] = huge
            var file = try SafeTensorsFile(data: sandbox.data(good))
            let weight = try file.tensor(named: "mu.weight")
            var values = try file.floatValues(named: "mu.weight")
            values[0] = .nan
            file = SafeTensorsFile(tensors: file.tensors.map { $0.name == "mu.weight" ? NamedTensor(name: "mu.weight", shape: weight.shape, floats: values) : $0 },
                                   metadata: file.metadata)
            cases["nan-weight.safetensors"] = file.encoded()

            for (name, data) in cases.sorted(by: { $0.key < $1.key }) {
                try sandbox.write(data, to: name)
                let before = sandbox.allFiles()
                let measured = try sandbox.vaeMeasured(arguments: ["sample", "--model", name, "-o", "out.png"])
                expectOneLineRefusal(measured.result, naming: name)
                #expect(!sandbox.exists("out.png"), "\(name): an output file was created")
                #expect(sandbox.allFiles() == before, "\(name): files changed")
                #expect(measured.peakBytes < 200 << 20, "\(name): \(measured)")
            }
        }
    }

    @Test("every command that loads a model refuses an image size that does not match the input size")
    func everyCommandRefusesTheBadImageSize() throws {
        try withSandbox { sandbox in
            try Self.trainGood(sandbox)
            let bad = try withSettings(sandbox, "good/model.safetensors", entry: "vae_config", ["imageHeight": 3])
            try sandbox.write(bad, to: "bad.safetensors")
            // A run folder holding it, for --resume.
            try sandbox.write(bad, to: "badrun/model.safetensors")
            try sandbox.write(sandbox.data("good/trainer-state.safetensors"), to: "badrun/trainer-state.safetensors")
            let commands: [[String]] = [
                ["sample"], ["reconstruct"], ["evaluate", "-k", "2", "--limit", "4"], ["score", "-k", "2", "--limit", "4"], ["encode"],
                ["latents"], ["manifold"], ["interpolate"], ["traverse"], ["info"],
            ]
            for command in commands {
                let before = sandbox.allFiles()
                let result = try sandbox.vae(arguments: command + ["--model", "bad.safetensors"])
                expectOneLineRefusal(result, naming: "bad.safetensors")
                #expect(result.errorLines.first?.contains("3×28") == true, "\(result)")
                #expect(sandbox.allFiles() == before, "\(command[0]): files changed")
            }
            let before = sandbox.allFiles()
            let resumed = try sandbox.vae(arguments: ["train", "--resume", "badrun", "--epochs", "1"])
            expectOneLineRefusal(resumed, naming: "badrun/model.safetensors")
            #expect(sandbox.allFiles() == before)
        }
    }

    @Test("absurd flags are refused by validate() with the number and the limit, in little time and memory",
          arguments: [
              (["train", "--batch-size", "1000000000"], "--batch-size", true),
              (["train", "--hidden", "100000000"], "--hidden 100000000", true),
              (["train", "--hidden", "100000,100000"], "--hidden 100000,100000", true),
              (["train", "--latent", "1000000"], "--latent 1000000", true),
              (["train", "--resume", "nowhere", "--batch-size", "1000000000"], "--batch-size 1000000000", true),
              (["train", "--epochs", "1000000000000"], "--epochs", false),
              (["train", "--threads", "1000"], "--threads", false),
              (["train", "--hidden", Array(repeating: "1", count: 65).joined(separator: ",")], "--hidden must list 1 to 64", false),
              (["sample", "--nrow", "1000000000"], "--nrow", false),
              (["sample", "--n", "1000000000"], "--n", false),
          ] as [([String], String, Bool)])
    func absurdFlags(arguments: [String], fragment: String, memory: Bool) throws {
        try withSandbox { sandbox in
            // An 8 GB limit makes the memory refusals the same on every machine.
            let measured = try sandbox.vaeMeasured(arguments: arguments, environment: ["VAE_MEMORY_LIMIT": "8G"])
            let result = measured.result
            expectCleanFailure(result, mentioning: [fragment])
            #expect(result.status == 64, "\(result)")
            if memory {
                #expect(result.stderr.contains("of memory, more than the 8.00 GB allowed"), "\(result)")
            }
            #expect(measured.peakBytes < 200 << 20, "\(measured)")
            #expect(result.seconds < 20, "\(result)")
            #expect(sandbox.allFiles().isEmpty && !sandbox.exists("runs"))
        }
    }

    @Test("--resume validates the saved settings as flags are validated; the run is left as it was",
          arguments: [
              (["batchSize": 0], "--batch-size"), (["limit": -1], "--limit"), (["threads": 0], "--threads"),
              (["threads": 1000], "--threads"), (["learningRate": -1], "--lr"),
          ] as [([String: Int], String)])
    func resumeValidatesSavedSettings(changes: [String: Int], fragment: String) throws {
        try withSandbox { sandbox in
            try Self.trainGood(sandbox)
            try sandbox.write(try withSettings(sandbox, "good/model.safetensors", entry: "vae_training", changes),
                              to: "good/model.safetensors")
            let before = try snapshot(sandbox)
            let measured = try sandbox.vaeMeasured(arguments: ["train", "--resume", "good", "--epochs", "1"])
            expectOneLineRefusal(measured.result, naming: "good/model.safetensors")
            #expect(measured.result.stderr.contains(fragment), "\(measured)")
            #expect(try snapshot(sandbox) == before, "the refused resume changed files")
            #expect(measured.peakBytes < 200 << 20, "\(measured)")
        }
    }

    @Test("a 100-byte images file claiming 2.7 million images is refused as truncated, raw or gzip, in little memory",
          arguments: [false, true])
    func lyingImagesFile(gzip: Bool) throws {
        try withSandbox { sandbox in
            var header = Data([0, 0, 0x08, 3])
            for dimension in [2_700_000, 28, 28] { withUnsafeBytes(of: UInt32(dimension).bigEndian) { header.append(contentsOf: $0) } }
            let raw = header + Data(repeating: 7, count: 84)
            #expect(raw.count == 100)
            if gzip {
                // Compressed by the system's gzip: the reader must stream it, not trust the header.
                try sandbox.write(raw, to: "lying/train-images-idx3-ubyte")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "gzip -n \"$0\"", sandbox.url("lying/train-images-idx3-ubyte").path]
                try process.run()
                process.waitUntilExit()
                try #require(sandbox.exists("lying/train-images-idx3-ubyte.gz"))
            } else {
                try sandbox.write(raw, to: "lying/train-images-idx3-ubyte")
            }
            let measured = try sandbox.vaeMeasured(arguments: ["train", "--data", "lying", "--epochs", "1"])
            expectCleanFailure(measured.result, mentioning: ["train-images-idx3-ubyte", "is truncated"])
            #expect((1...123).contains(measured.result.status), "\(measured)")
            #expect(measured.peakBytes < 200 << 20, "\(measured)")
            #expect(measured.result.seconds < 20, "\(measured)")
            #expect(!sandbox.exists("runs"))
        }
    }
}
