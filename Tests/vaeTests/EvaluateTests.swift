import Foundation
import ImageIO
import Testing

@Suite("evaluate and score")
struct EvaluateTests {
    static func json(_ sandbox: Sandbox, _ file: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: sandbox.data(file)) as? [String: Any])
    }

    @Test("evaluate on a freshly trained model: the table, the JSON fields, the bounds, and the same numbers twice")
    func evaluate() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "2", "--limit", "512", "--hidden", "64", "--latent", "8",
                                    "--sample-every", "0")
            let first = try sandbox.vaeSucceeds("evaluate", "-k", "50", "--limit", "100")
            for fragment in ["k = 50", "ELBO", "NLL (k = 50)", "bits per dimension", "active units", "not a normalised density",
                             "runs/run-001/evaluation.json"] {
                #expect(first.stdout.contains(fragment), "missing '\(fragment)'\n\(first)")
            }
            let report = try Self.json(sandbox, "runs/run-001/evaluation.json")
            for key in ["elbo", "reconstruction", "kl", "negativeLogLikelihood", "gap", "bitsPerDimension", "activeUnits",
                        "meanVariances", "klPerDimension", "perClass", "likelihood", "settings", "images"] {
                #expect(report[key] != nil, "evaluation.json lacks \(key)")
            }
            let elbo = try #require(number(report, "elbo")), nll = try #require(number(report, "negativeLogLikelihood"))
            #expect(elbo <= -nll, "the ELBO bounds log p(x) from below: ELBO \(elbo), NLL \(nll)")
            #expect(number(report, "images") == 100)
            #expect(abs(try #require(number(report, "bitsPerDimension")) - nll / (784 * log(2.0))) < 1e-9)
            #expect((report["perClass"] as? [Any])?.count == 10)

            try sandbox.vaeSucceeds("evaluate", "-k", "50", "--limit", "100", "--threads", "1", "--json", "again.json")
            var a = report, b = try Self.json(sandbox, "again.json")
            for key in ["seconds", "imagesPerSecond", "settings"] { a[key] = nil; b[key] = nil }
            #expect(NSDictionary(dictionary: a).isEqual(to: b), "the same seed gives the same numbers on 1 and 2 threads")

            // k = 1: the importance-weighted bound is the one-sample ELBO; more samples tighten it.
            try sandbox.vaeSucceeds("evaluate", "-k", "1", "--limit", "100", "--json", "k1.json")
            let nll1 = try #require(number(try Self.json(sandbox, "k1.json"), "negativeLogLikelihood"))
            #expect(nll1 > nll, "NLL at k = 1 (\(nll1)) should exceed NLL at k = 50 (\(nll))")
        }
    }

    @Test("score: the CSV's mean NLL equals evaluate's, an all-white image ranks least likely, and --reference gives an AUC")
    func score() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "2", "--limit", "512", "--hidden", "64", "--latent", "8",
                                    "--sample-every", "0")
            try sandbox.vaeSucceeds("evaluate", "-k", "20", "--limit", "40", "--json", "e.json")
            let scored = try sandbox.vaeSucceeds("score", "-k", "20", "--limit", "40", "--n", "8")
            #expect(scored.stdout.contains("scores.csv") && scored.stdout.contains("strange.png"), "\(scored)")
            let lines = try sandbox.text("scores.csv").split(separator: "\n").map(String.init)
            #expect(lines.first == "index,label,log_px,nll,elbo,reconstruction,kl")
            #expect(lines.count == 41)
            let nlls = lines.dropFirst().map { Double($0.split(separator: ",")[3])! }
            let expected = try #require(number(try Self.json(sandbox, "e.json"), "negativeLogLikelihood"))
            #expect(abs(nlls.reduce(0, +) / Double(nlls.count) - expected) < 1e-4)
            let grid = try RGBImage.decodePNG(try sandbox.data("strange.png"))
            #expect(pngColorType(try sandbox.data("strange.png")) == 2 && grid.width > 8 * 28 && grid.height > 28)

            // Nine dark images with a stroke and one all-white image (index 4).
            let pixels = 28 * 28
            try sandbox.write(idxFile(dimensions: [10, 28, 28]) { i in
                let image = i / pixels, p = i % pixels
                if image == 4 { return 255 }
                return (p / 28 == 14 && (p % 28) > 8 && (p % 28) < 20) ? 200 : 0
            }, to: "odd/t10k-images-idx3-ubyte")
            try sandbox.write(idxFile(dimensions: [10, 28, 28]) { _ in 0 }, to: "odd/train-images-idx3-ubyte")
            let odd = try sandbox.vaeSucceeds("score", "--data", "odd", "-k", "20", "--csv", "odd.csv", "--grid-out", "odd.png",
                                              "--reference", "odd")
            #expect(odd.stdout.contains("AUC"), "\(odd)")
            let rows = try sandbox.text("odd.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let least = try #require(rows.max { Double($0[3])! < Double($1[3])! })
            #expect(least[0] == "4", "the all-white image should be least likely: \(rows)")
            #expect(least[1] == "", "a folder without labels leaves the label empty")
        }
    }

    @Test("evaluate works for a conditional model and a Swiss-roll model; bad requests are refused")
    func otherModels() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "256", "--hidden", "32", "--conditional",
                                    "--sample-every", "0", "--out", "C")
            let conditional = try sandbox.vaeSucceeds("evaluate", "--model", "C", "-k", "10", "--limit", "30")
            #expect(conditional.stdout.contains("conditional VAE"), "\(conditional)")
            try sandbox.vaeSucceeds("train", "--dataset", "swiss-roll", "--epochs", "1", "--limit", "2000",
                                    "--sample-every", "0", "--out", "S")
            let roll = try sandbox.vaeSucceeds("evaluate", "--model", "S", "-k", "10")
            #expect(roll.stdout.contains("Gaussian, variance 1/2"), "\(roll)")
            let report = try Self.json(sandbox, "S/evaluation.json")
            #expect(number(report, "negativeLogLikelihood")?.isFinite == true)

            expectCleanFailure(try sandbox.vae("evaluate", "--model", "S", "--binarize"), mentioning: ["--binarize"])
            #expect(try !sandbox.vae("evaluate", "--model", "C", "-k", "0").succeeded)
            try sandbox.write(Data(), to: "folder-not-file/.keep")
            expectCleanFailure(try sandbox.vae("evaluate", "--model", "C", "--json", "folder-not-file", "-k", "2", "--limit", "2"),
                               mentioning: ["folder-not-file"])
        }
    }
}
