import Foundation
import Testing

/// Rough edges the end-to-end tests once found, kept as regression tests.
@Suite("CLI regressions")
struct CLIRegressionTests {
    @Test("a negative number after a space is parsed as a value, not as a missing value")
    func negativeNumbers() throws {
        try withSandbox { sandbox in
            for (arguments, wanted) in [(["train", "--beta", "-1"], "≥ 0"), (["train", "--epochs", "-3"], "(got -3)"),
                                        (["sample", "--label", "-1"], "0 or more")] {
                let result = try sandbox.vae(arguments: arguments)
                expectCleanFailure(result, mentioning: [])
                #expect(result.stderr.contains(wanted), "\(result)")
            }
            #expect(sandbox.allFiles().isEmpty)
        }
    }

    @Test("a damaged checkpoint's error names the file once, as the user gave it")
    func corruptCheckpointMessage() throws {
        try withSandbox { sandbox in
            try sandbox.write(Data(repeating: 0xAB, count: 64), to: "random.safetensors")
            let result = try sandbox.vae("sample", "--model", "random.safetensors", "-o", "out.png")
            expectCleanFailure(result, mentioning: ["random.safetensors"])
            let line = result.errorLines.first { $0.hasPrefix("Error:") } ?? ""
            #expect(line.components(separatedBy: "random.safetensors").count - 1 == 1, "\(line)")
            #expect(!line.contains(sandbox.directory.path), "\(line)")
        }
    }

    @Test("errors found while running a subcommand show no usage, or the subcommand's own")
    func runtimeErrorsUsage() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--sample-every", "0")
            let result = try sandbox.vae("sample", "--label", "3", "-o", "three.png")
            expectCleanFailure(result, mentioning: ["--label"])
            #expect(!result.stderr.contains("Usage: vae <subcommand>"), "\(result)")
            #expect(result.status == 1, "\(result)")
        }
    }

    @Test("train --out into an existing run folder does not silently mix two runs")
    func trainIntoExistingRun() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "2", "--limit", "64", "--hidden", "16", "--out", "X")
            let firstModel = try sandbox.data("X/model.safetensors")
            let second = try sandbox.vae("train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--latent", "3", "--out", "X")
            #expect(!second.crashed)
            // Refused, naming the folder and the way to continue it, and the old run is left alone.
            expectCleanFailure(second, mentioning: ["X", "--resume"])
            #expect(try sandbox.data("X/model.safetensors") == firstModel, "a refused run must leave X's model alone")
            #expect(sandbox.exists("X/samples/epoch-002.png"))
        }
    }

    @Test("--resume refuses a trainer state from another epoch than the model (e.g. after a kill between the two writes)")
    func resumeWithStaleTrainerState() throws {
        try withSandbox { sandbox in
            let flags = ["--limit", "64", "--hidden", "16", "--sample-every", "0"]
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "1", "--out", "ONE"] + flags)
            try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "2", "--out", "TWO"] + flags)
            // TWO's model is from epoch 2, its trainer state from epoch 1.
            try sandbox.write(try sandbox.data("ONE/trainer-state.safetensors"), to: "TWO/trainer-state.safetensors")
            let result = try sandbox.vae("train", "--resume", "TWO", "--epochs", "1")
            #expect(!result.crashed)
            expectCleanFailure(result, mentioning: ["TWO", "epoch 1", "epoch 2"])
        }
    }
}

@Suite("diverging training")
struct DivergenceTests {
    @Test("a learning rate that makes the loss NaN stops with a message, exit 1, and leaves no run behind")
    func divergence() throws {
        try withSandbox { sandbox in
            let result = try sandbox.vae("train", "--epochs", "1", "--lr", "50", "--limit", "512")
            expectCleanFailure(result, mentioning: ["diverged", "--lr"])
            #expect(result.status == 1)
            #expect(!sandbox.exists("runs/run-001"), "no half-made run folder: \(sandbox.allFiles())")
        }
    }
}
