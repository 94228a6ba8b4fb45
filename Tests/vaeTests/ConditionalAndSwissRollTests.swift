import Foundation
import ImageIO
import SafeTensors
import Testing

@Suite("conditional VAE")
struct ConditionalTests {
    @Test("train --conditional, then sample one row per class and sample --label 3")
    func conditionalChain() throws {
        try withSandbox { sandbox in
            let train = try sandbox.vaeSucceeds("train", "--conditional", "--epochs", "1", "--limit", "256")
            #expect(train.stdout.contains("conditional"), "\(train)")
            // The conditional sample grid during training: 10 rows of 8.
            try expectGrayPNG(sandbox, "runs/run-001/samples/epoch-001.png", width: 242, height: 302)
            let model = try SafeTensorsFile(contentsOf: sandbox.url("runs/run-001/model.safetensors"))
            #expect(try model.tensor(named: "encoder.0.weight").shape == [400, 794], "the one-hot label joins the encoder input")
            #expect(try model.tensor(named: "decoder.0.weight").shape == [400, 30], "the one-hot label joins the decoder input")

            let all = try sandbox.vaeSucceeds("sample")
            #expect(all.stdout.contains("samples.png"), "\(all)")
            try expectGrayPNG(sandbox, "samples.png", width: 242, height: 302)

            let three = try sandbox.vaeSucceeds("sample", "--label", "3", "--n", "16", "-o", "three.png")
            #expect(three.stdout.contains("class 3"), "\(three)")
            try expectGrayPNG(sandbox, "three.png", width: 242, height: 62)

            try expectFailureWritesNothing(sandbox, ["sample", "--label", "10", "-o", "ten.png"], mentioning: ["--label", "10"])

            let reconstruct = try sandbox.vaeSucceeds("reconstruct", "--n", "4")
            #expect(reconstruct.succeeded)
            try expectGrayPNG(sandbox, "reconstruction.png", width: 122, height: 62)
        }
    }

    @Test("--label on an unconditional model is refused")
    func labelOnUnconditionalModel() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--sample-every", "0")
            try expectFailureWritesNothing(sandbox, ["sample", "--label", "3", "-o", "three.png"],
                                           mentioning: ["--label", "conditional"])
            #expect(!sandbox.exists("three.png"))
        }
    }
}

@Suite("Swiss roll")
struct SwissRollTests {
    static func count(_ color: RGBColor, in image: RGBImage) -> Int {
        var n = 0
        for y in 0..<image.height {
            for x in 0..<image.width where image[x: x, y: y] == color { n += 1 }
        }
        return n
    }

    @Test("train --dataset swiss-roll, then sample writes an RGB scatter plot with both series")
    func swissRollChain() throws {
        try withSandbox { sandbox in
            let train = try sandbox.vaeSucceeds("train", "--dataset", "swiss-roll", "--epochs", "2")
            #expect(train.stdout.contains("Swiss roll"), "train should say which data it used\n\(train)")
            let metrics = try metricsLines(try sandbox.text("runs/run-001/metrics.jsonl"))
            #expect(metrics.count == 2)

            let sample = try sandbox.vaeSucceeds("sample", "-o", "roll.png")
            #expect(sample.stdout.contains("roll.png"), "\(sample)")
            for file in ["roll.png", "runs/run-001/samples/epoch-002.png"] {
                let data = try sandbox.data(file)
                #expect(pngColorType(data) == 2, "\(file) should be an RGB PNG")
                let image = try RGBImage.decodePNG(data)
                #expect(image.width == 640 && image.height == 640, "\(file) is \(image.width)×\(image.height)")
                let blue = Self.count(.lightBlue, in: image), orange = Self.count(.orange, in: image)
                #expect(blue > 1000, "\(file): training points (light blue) should be drawn, found \(blue) pixels")
                #expect(orange > 1000, "\(file): generated points (orange) should be drawn, found \(orange) pixels")
            }

            // Points are not images: reconstruct refuses cleanly.
            try expectFailureWritesNothing(sandbox, ["reconstruct"], mentioning: ["not an image model"])
        }
    }
}

@Suite("output when not on a terminal")
struct PipeOutputTests {
    @Test("piped training output is plain lines, with one summary line per epoch")
    func plainLines() throws {
        try withSandbox { sandbox in
            // 256 examples in batches of 32: 8 batches per epoch, a progress line every 3.
            let result = try sandbox.vaeSucceeds("train", "--epochs", "2", "--limit", "256", "--batch-size", "32",
                                                 "--log-interval", "3", "--hidden", "32", "--sample-every", "0")
            for (name, text) in [("stdout", result.stdout), ("stderr", result.stderr)] {
                #expect(!text.contains("\r"), "\(name) should have no carriage returns\n\(result)")
                #expect(!text.contains("\u{1B}"), "\(name) should have no ANSI escapes\n\(result)")
            }
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.last == "", "output should end with a newline")
            let summaries = lines.filter { $0.hasPrefix("epoch ") && $0.contains("train loss") }
            #expect(summaries.count == 2, "one summary line per epoch\n\(result)")
            #expect(summaries.first?.hasPrefix("epoch 1/2") == true && summaries.last?.hasPrefix("epoch 2/2") == true)
            for summary in summaries {
                #expect(summary.contains("test loss"), "the summary should report the test loss: \(summary)")
            }
            let progress = lines.filter { $0.hasPrefix("epoch ") && $0.contains(" batch ") }
            #expect(progress.map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
                        == ["epoch 1/2 batch 3/8", "epoch 1/2 batch 6/8", "epoch 2/2 batch 3/8", "epoch 2/2 batch 6/8"],
                    "progress every --log-interval batches\n\(result)")
            #expect(lines.contains { $0.hasPrefix("Saved ") }, "\(result)")
        }
    }
}
