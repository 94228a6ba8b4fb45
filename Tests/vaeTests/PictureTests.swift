import Foundation
import ImageIO
import Testing

/// The pictures of what a model learned, decoded back and checked against an independent forward pass
/// of the saved model (`ReferenceVAE`).
@Suite("pictures of the latent space")
struct PictureTests {
    /// A small model with a 3-d latent on the bundled data.
    static func train(_ sandbox: Sandbox, _ extra: String...) throws {
        try sandbox.vaeSucceeds(arguments: ["train", "--epochs", "2", "--limit", "512", "--hidden", "64", "--latent", "3"] + extra)
    }

    /// Pixels in [0, 1] of a 28×28 tile.
    static func intensities(_ bytes: [UInt8]) -> [Double] { bytes.map { Double(Float($0) / 255) } }

    @Test("manifold corners, interpolation ends and the traversal's centre equal the decoder's output for their z")
    func decodedTiles() throws {
        try withSandbox { sandbox in
            try Self.train(sandbox)
            #expect(sandbox.exists("runs/run-001/curves.png"), "training draws curves.png")
            try expectGrayPNG(sandbox, "runs/run-001/samples/recon-epoch-002.png", width: 242, height: 62)
            let curves = try RGBImage.decodePNG(try sandbox.data("runs/run-001/curves.png"))
            #expect(curves.width == 800 && curves.height == 500)
            let reference = try ReferenceVAE(sandbox.url("runs/run-001/model.safetensors"))

            // Manifold over dims 0 and 2 in 5 steps: Φ⁻¹(0.1) … Φ⁻¹(0.9), dim 2 largest in the top row.
            try sandbox.vaeSucceeds("manifold", "--dims", "0,2", "--steps", "5", "-o", "m.png")
            let manifold = try GrayImage.decodePNG(try sandbox.data("m.png"))
            let grid = try #require(gridOrigin(manifold, columns: 5))
            let q = 1.2815515655446004  // Φ⁻¹(0.9)
            let corners: [(row: Int, column: Int, z: [Double])] = [(0, 0, [-q, 0, q]), (0, 4, [q, 0, q]),
                                                                   (4, 0, [-q, 0, -q]), (4, 4, [q, 0, -q])]
            var cornerTiles: [[UInt8]] = []
            for corner in corners {
                let pixels = tile(manifold, x: grid.x + corner.column * 30 + 2, y: grid.y + corner.row * 30 + 2)
                cornerTiles.append(pixels)
                #expect(largestDifference(pixels, reference.decodeBytes(corner.z)) <= 1,
                        "manifold tile (\(corner.row), \(corner.column)) should decode z = \(corner.z)")
            }
            #expect(largestDifference(cornerTiles[0], cornerTiles[3]) > 8, "opposite corners should differ (the check can fail)")

            // Interpolation from test image 0 to 1: real images at the ends, their reconstructions next to them.
            try sandbox.vaeSucceeds("reconstruct", "--n", "2", "-o", "r.png")
            let comparison = try expectGrayPNG(sandbox, "r.png", width: 62, height: 62)
            let originals = [tile(comparison, x: 2, y: 2), tile(comparison, x: 32, y: 2)]
            let reconstructions = [tile(comparison, x: 2, y: 32), tile(comparison, x: 32, y: 32)]
            try sandbox.vaeSucceeds("interpolate", "--from", "0", "--to", "1", "--steps", "4", "-o", "i.png")
            let walk = try GrayImage.decodePNG(try sandbox.data("i.png"))
            let origin = try #require(gridOrigin(walk, columns: 6))
            let tiles = (0..<6).map { tile(walk, x: origin.x + $0 * 30 + 2, y: origin.y + 2) }
            #expect(tiles[0] == originals[0] && tiles[5] == originals[1], "the real images stand at both ends")
            #expect(largestDifference(tiles[1], reconstructions[0]) <= 1 && largestDifference(tiles[4], reconstructions[1]) <= 1,
                    "the first and last decoded tiles are the two reconstructions")
            for (index, image) in [(1, 0), (4, 1)] {
                let mean = reference.encodeMean(Self.intensities(originals[image]))
                #expect(largestDifference(tiles[index], reference.decodeBytes(mean)) <= 1, "tile \(index) decodes μ(image \(image))")
            }
            #expect(largestDifference(tiles[1], tiles[4]) > 8, "the walk's ends should differ (the check can fail)")

            // Traversal of dimension 1 by ±2 in 3 steps around test image 0: the middle tile is its reconstruction.
            try sandbox.vaeSucceeds("traverse", "--dim", "1", "--range", "2", "--steps", "3", "-o", "t.png")
            let traversal = try GrayImage.decodePNG(try sandbox.data("t.png"))
            let row = try #require(gridOrigin(traversal, columns: 3))
            let mean = reference.encodeMean(Self.intensities(originals[0]))
            for (column, offset) in [(0, -2.0), (1, 0.0), (2, 2.0)] {
                var z = mean
                z[1] += offset
                #expect(largestDifference(tile(traversal, x: row.x + column * 30 + 2, y: row.y + 2), reference.decodeBytes(z)) <= 1,
                        "traversal tile \(column) decodes μ with z[1] moved by \(offset)")
            }
        }
    }

    @Test("encode's CSV round-trips: one line per test image, labels, and means equal to the encoder's")
    func encodeCSV() throws {
        try withSandbox { sandbox in
            try Self.train(sandbox)
            try sandbox.vaeSucceeds("reconstruct", "--n", "2", "-o", "r.png")
            let comparison = try GrayImage.decodePNG(try sandbox.data("r.png"))
            let reference = try ReferenceVAE(sandbox.url("runs/run-001/model.safetensors"))

            let result = try sandbox.vaeSucceeds("encode", "-o", "z.csv")
            #expect(result.stdout.contains("1,000 test examples"), "\(result)")
            let lines = try sandbox.text("z.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(lines[0].joined(separator: ",") == "index,label,mu_0,mu_1,mu_2,logvar_0,logvar_1,logvar_2")
            #expect(lines.count == 1001)
            #expect(lines.dropFirst().enumerated().allSatisfy { $0.element.count == 8 && Int($0.element[0]) == $0.offset })
            #expect(lines.dropFirst().allSatisfy { Int($0[1]).map { (0..<10).contains($0) } ?? false }, "every bundled image has a label")
            for image in 0..<2 {
                let expected = reference.encodeMean(Self.intensities(tile(comparison, x: 2 + 30 * image, y: 2)))
                let written = lines[1 + image][2..<5].compactMap { Double(String($0)) }
                #expect(written.count == 3)
                for (a, b) in zip(written, expected) {
                    #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "image \(image): μ \(written) vs reference \(expected)")
                }
            }
            // --sample adds z columns, the same for the same seed, other values for another.
            try sandbox.vaeSucceeds("encode", "--sample", "--seed", "3", "-o", "a.csv")
            try sandbox.vaeSucceeds("encode", "--sample", "--seed", "3", "-o", "b.csv")
            try sandbox.vaeSucceeds("encode", "--sample", "--seed", "4", "-o", "c.csv")
            #expect(try sandbox.data("a.csv") == sandbox.data("b.csv"))
            #expect(try sandbox.data("a.csv") != sandbox.data("c.csv"))
            #expect(try sandbox.text("a.csv").hasPrefix("index,label,mu_0,mu_1,mu_2,logvar_0,logvar_1,logvar_2,z_0,z_1,z_2\n"))

            // Not over a folder; a device is written through (OutputTests).
            try FileManager.default.createDirectory(at: sandbox.url("folder.csv"), withIntermediateDirectories: true)
            try expectFailureWritesNothing(sandbox, ["encode", "-o", "folder.csv"], mentioning: ["folder.csv", "folder"])
        }
    }

    @Test("latents: a 2-d model is drawn on z[0], z[1] with one colour per digit and a legend; more dimensions on PCs")
    func latentScatter() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "256", "--hidden", "32", "--latent", "2", "--out", "two")
            let result = try sandbox.vaeSucceeds("latents", "--model", "two", "-o", "l.png")
            #expect(!result.stdout.contains("principal"), "\(result)")
            let image = try RGBImage.decodePNG(try sandbox.data("l.png"))
            #expect(image.width == 640 + 60 + 10 && image.height == 640, "a square plot and a legend of one-character names (10 pixels at text scale 2)")
            // Every class colour is drawn (1,000 test images, ten digits).
            for k in 0..<10 {
                let color = RGBColor.categorical(k)
                #expect(image.pixels.indices.lazy.filter { $0 % 3 == 0 }.contains {
                    image.pixels[$0] == color.red && image.pixels[$0 + 1] == color.green && image.pixels[$0 + 2] == color.blue
                }, "digit \(k)'s colour is missing")
            }
            try Self.train(sandbox, "--out", "three")
            let projected = try sandbox.vaeSucceeds("latents", "--model", "three", "--n", "300", "-o", "p.png")
            #expect(projected.stdout.contains("principal components") && projected.stdout.contains("300 test"), "\(projected)")
        }
    }

    @Test("errors: dimensions out of range, --all-labels without labels in the model, plot of a file that is not metrics")
    func refusals() throws {
        try withSandbox { sandbox in
            try Self.train(sandbox)
            try expectFailureWritesNothing(sandbox, ["manifold", "--dims", "1,40"], mentioning: ["--dims", "0…2"])
            try expectFailureWritesNothing(sandbox, ["traverse", "--dim", "3"], mentioning: ["--dim", "0…2"])
            try expectFailureWritesNothing(sandbox, ["reconstruct", "--all-labels"], mentioning: ["--all-labels", "conditional"])
            try expectFailureWritesNothing(sandbox, ["manifold", "--label", "2"], mentioning: ["--label", "conditional"])
            try expectFailureWritesNothing(sandbox, ["interpolate", "--from", "0", "--to", "5000"], mentioning: ["--from", "1,000"])
            try sandbox.write(Data("not metrics\n".utf8), to: "notes.jsonl")
            try expectFailureWritesNothing(sandbox, ["plot", "notes.jsonl"], mentioning: ["notes.jsonl", "not a metrics file"])
            try sandbox.write(Data([0x89, 0x50, 0x4E, 0x47]), to: "picture.png")
            try expectFailureWritesNothing(sandbox, ["plot", "picture.png"], mentioning: ["picture.png", "not a metrics file"])

            let plot = try sandbox.vaeSucceeds("plot", "runs/run-001", "runs/run-001/metrics.jsonl", "-o", "two.png")
            #expect(plot.stdout.contains("run-001 (2 epochs)"), "\(plot)")
            let chart = try RGBImage.decodePNG(try sandbox.data("two.png"))
            #expect(chart.width == 800 && chart.height == 500)

            let info = try sandbox.vaeSucceeds("info", "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
            #expect(number(object, "epochsCompleted") == 2 && number(object, "parameters") != nil)
            let lastEpoch = try #require(object["lastEpoch"] as? [String: Any])
            let metrics = try metricsLines(try sandbox.text("runs/run-001/metrics.jsonl"))
            #expect(number(lastEpoch, "test_loss") == number(metrics[1], "test_loss"), "info reports the last epoch's test loss")
            let text = try sandbox.vaeSucceeds("info", "runs/run-001")
            #expect(text.stdout.contains("VAE 784-64-3") && text.stdout.contains("Epochs: 2"), "\(text)")
        }
    }
}
