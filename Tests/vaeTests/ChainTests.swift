import Foundation
import ImageIO
import SafeTensors
import Testing

/// The used-by chain in an empty folder: train, sample, reconstruct.
@Suite("train → sample → reconstruct")
struct ChainTests {
    @Test("the whole chain works in an empty folder with default flags")
    func chainInEmptyFolder() throws {
        try withSandbox { sandbox in
            #expect(sandbox.allFiles().isEmpty)

            // 1. Train.
            let train = try sandbox.vaeSucceeds("train", "--epochs", "10", "--limit", "256")
            #expect(train.stdout.contains("bundled MNIST subset"), "train should say which data it used\n\(train)")
            #expect(train.stdout.contains("256 train"), "train should say the limit was applied\n\(train)")
            #expect(train.stdout.contains("runs/run-001"), "train should name its run folder\n\(train)")

            let run = "runs/run-001"
            for file in ["model.safetensors", "trainer-state.safetensors", "config.json", "metrics.jsonl"] {
                #expect(sandbox.exists("\(run)/\(file)"), "\(run)/\(file) is missing; files: \(sandbox.allFiles())")
            }

            // metrics.jsonl: 10 lines, numbered 1...10, finite losses that fall.
            let metrics = try metricsLines(try sandbox.text("\(run)/metrics.jsonl"))
            try #require(metrics.count == 10, "metrics.jsonl should have one line per epoch")
            for (index, line) in metrics.enumerated() {
                #expect(number(line, "epoch") == Double(index + 1))
                for key in ["train_loss", "test_loss", "train_reconstruction", "train_kl", "test_reconstruction", "test_kl",
                            "images_per_second", "seconds"] {
                    let value = number(line, key)
                    #expect(value?.isFinite == true, "epoch \(index + 1): \(key) should be a finite number, got \(String(describing: line[key]))")
                }
                if let loss = number(line, "train_loss"), let reconstruction = number(line, "train_reconstruction"),
                   let kl = number(line, "train_kl") {
                    #expect(abs(loss - (reconstruction + kl)) <= 1e-3 * max(loss, 1), "train_loss = reconstruction + KL (beta 1)")
                }
            }
            let firstLoss = try #require(number(metrics[0], "train_loss"))
            let lastLoss = try #require(number(metrics[9], "train_loss"))
            #expect(lastLoss < 0.8 * firstLoss, "training loss should fall clearly: first \(firstLoss), last \(lastLoss)")
            let firstTest = try #require(number(metrics[0], "test_loss"))
            let lastTest = try #require(number(metrics[9], "test_loss"))
            #expect(lastTest < firstTest, "test loss should fall: first \(firstTest), last \(lastTest)")

            // One sample grid per epoch, each a 242×242 grayscale PNG.
            for epoch in 1...10 {
                let name = String(format: "\(run)/samples/epoch-%03d.png", epoch)
                try expectGrayPNG(sandbox, name, width: 242, height: 242)
            }

            // config.json holds the configuration the checkpoint was trained with.
            let configObject = try JSONSerialization.jsonObject(with: try sandbox.data("\(run)/config.json"))
            let config = try #require(configObject as? [String: Any])
            let model = try #require(config["model"] as? [String: Any])
            let training = try #require(config["training"] as? [String: Any])
            #expect(number(model, "latent") == 20)
            #expect((model["hidden"] as? [Int]) == [400])
            #expect(number(model, "inputSize") == 784)
            #expect(number(training, "limit") == 256)

            // 2. Sample.
            let sample = try sandbox.vaeSucceeds("sample", "--n", "64", "-o", "grid.png")
            #expect(sample.output.contains("runs/run-001/model.safetensors"), "sample should say which model it used\n\(sample)")
            #expect(sample.stdout.contains("grid.png"))
            let grid = try expectGrayPNG(sandbox, "grid.png", width: 242, height: 242)
            // Samples are not blank: the 28×28 tiles have varied pixels, the padding is black.
            #expect(Set(grid.pixels).count > 16, "the sample grid should not be flat")
            #expect(grid[x: 0, y: 0] == 0 && grid[x: 241, y: 241] == 0, "make_grid pads with black")

            // 3. Reconstruct.
            let reconstruct = try sandbox.vaeSucceeds("reconstruct")
            #expect(reconstruct.output.contains("runs/run-001/model.safetensors"),
                    "reconstruct should say which model it used\n\(reconstruct)")
            #expect(reconstruct.stdout.contains("reconstruction.png"))
            #expect(reconstruct.stdout.contains("bundled MNIST subset"), "reconstruct should say which data it used\n\(reconstruct)")
            let comparison = try expectGrayPNG(sandbox, "reconstruction.png", width: 242, height: 62)
            #expect(Set(comparison.pixels).count > 16)

            // Nothing else was written next to the run folder.
            let topLevel = Set(sandbox.allFiles().map { $0.split(separator: "/").first.map(String.init) ?? $0 })
            #expect(topLevel == ["runs", "grid.png", "reconstruction.png"], "unexpected files: \(sandbox.allFiles())")
        }
    }

    @Test("a second train run goes to run-002 and becomes the default model")
    func secondRunIsTheDefault() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--sample-every", "0")
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--sample-every", "0")
            #expect(sandbox.exists("runs/run-001/model.safetensors"))
            #expect(sandbox.exists("runs/run-002/model.safetensors"))
            #expect(!sandbox.exists("runs/run-001/samples/epoch-001.png"), "--sample-every 0 writes no grids")
            let sample = try sandbox.vaeSucceeds("sample", "-o", "s.png")
            #expect(sample.output.contains("runs/run-002/model.safetensors"), "the newest run should be used\n\(sample)")
            try expectGrayPNG(sandbox, "s.png", width: 242, height: 242)
        }
    }

    @Test("sample with the same seed is reproducible; another seed differs")
    func sampleSeeds() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--out", "r")
            try sandbox.vaeSucceeds("sample", "--model", "r", "--n", "16", "--nrow", "4", "--seed", "5", "-o", "a.png")
            try sandbox.vaeSucceeds("sample", "--model", "r/model.safetensors", "--n", "16", "--nrow", "4", "--seed", "5", "-o", "b.png")
            try sandbox.vaeSucceeds("sample", "--model", "r", "--n", "16", "--nrow", "4", "--seed", "6", "-o", "c.png")
            let a = try expectGrayPNG(sandbox, "a.png", width: 122, height: 122)
            let b = try expectGrayPNG(sandbox, "b.png", width: 122, height: 122)
            let c = try expectGrayPNG(sandbox, "c.png", width: 122, height: 122)
            #expect(a == b, "same model and seed should give the same grid")
            #expect(a != c, "another seed should give other samples")
        }
    }
}
