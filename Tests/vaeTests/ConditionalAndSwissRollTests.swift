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
            // The conditional sample grid during training: 10 rows of 8 (242×302), each row labelled with its
            // class at the left (a 3 + 5 + 2 pixel column) and a 3-pixel margin right and below.
            let grid = try expectGrayPNG(sandbox, "runs/run-001/samples/epoch-001.png", width: 255, height: 305)
            #expect((0..<302).contains { grid[x: 3, y: $0] == 0 } && grid[x: 0, y: 0] == 255, "row labels in black on white")
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
            let ordinary = try expectGrayPNG(sandbox, "reconstruction.png", width: 122, height: 62)

            // The analogy picture: each image decoded with every class; on the "diagonal" (its own class) it is
            // the ordinary reconstruction, and the first column is the image itself.
            try sandbox.vaeSucceeds("encode", "--n", "4", "-o", "z.csv")
            let labels = try sandbox.text("z.csv").split(separator: "\n").dropFirst()
                .map { Int($0.split(separator: ",", omittingEmptySubsequences: false)[1]) ?? -1 }
            try sandbox.vaeSucceeds("reconstruct", "--all-labels", "--n", "4", "-o", "analogy.png")
            let analogy = try GrayImage.decodePNG(try sandbox.data("analogy.png"))
            let origin = try #require(gridOrigin(analogy, columns: 11))
            for (row, label) in labels.enumerated() {
                let input = tile(analogy, x: origin.x + 2, y: origin.y + row * 30 + 2)
                #expect(input == tile(ordinary, x: 2 + 30 * row, y: 2), "row \(row) starts with the test image")
                let own = tile(analogy, x: origin.x + (1 + label) * 30 + 2, y: origin.y + row * 30 + 2)
                #expect(largestDifference(own, tile(ordinary, x: 2 + 30 * row, y: 32)) <= 1,
                        "row \(row), class \(label): the ordinary reconstruction")
                let other = tile(analogy, x: origin.x + (1 + (label + 5) % 10) * 30 + 2, y: origin.y + row * 30 + 2)
                #expect(largestDifference(own, other) > 0, "another class decodes another image")
            }
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
                // 820 wide: the legend stands right of a square plot, off the data.
                #expect(image.width == 820 && image.height == 640, "\(file) is \(image.width)×\(image.height)")
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
            let summaries = lines.filter { $0.hasPrefix("epoch ") && $0.contains("  train ") }
            #expect(summaries.count == 2, "one summary line per epoch\n\(result)")
            #expect(summaries.first?.hasPrefix("epoch 1/2") == true && summaries.last?.hasPrefix("epoch 2/2") == true)
            for summary in summaries {
                #expect(summary.contains("  test "), "the summary should report the test loss: \(summary)")
            }
            let progress = lines.filter { $0.hasPrefix("epoch ") && $0.contains(" batch ") }
            #expect(progress.map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
                        == ["epoch 1/2 batch 3/8", "epoch 1/2 batch 6/8", "epoch 2/2 batch 3/8", "epoch 2/2 batch 6/8"],
                    "progress every --log-interval batches\n\(result)")
            #expect(lines.contains { $0.hasPrefix("Saved ") }, "\(result)")
        }
    }
}
