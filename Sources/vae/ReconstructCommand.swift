import ArgumentParser
import Foundation
import ImageIO
import MNISTData
import SeededRandom
import TensorCore
import VAEModel
import VAERun

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show test images (top row) and the model's reconstructions (row below) in a PNG.",
        discussion: """
            Uses the first n images of the test split (the training split when the folder has no test files). \
            Reconstructions decode the encoder's mean, so they are deterministic.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: ArgumentHelp("Data folder (default: the data the model was trained on).", valueName: "dir"))
    var data: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Number of images.", valueName: "n"))
    var n: Int = 8
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file.", valueName: "file"))
    var output: String = "reconstruction.png"

    func validate() throws {
        guard n > 0 else { throw ValidationError("--n must be at least 1 (got \(n)).") }
        guard n <= 1000 else { throw ValidationError("--n must be at most 1,000 (got \(n)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let saved = try modelOptions.loadModel()
        let model = saved.model, c = model.configuration
        guard c.imageHeight != nil else {
            throw CommandError("\(displayPath(saved.url)) is not an image model; reconstruct shows images (use 'vae sample' for the Swiss roll).")
        }
        var settings = saved.settings
        if let data { settings.training.dataFolder = data }
        settings.training.limit = nil
        let loaded = try RunData.load(settings)
        try loaded.requireFits(c)
        let examples = loaded.evaluationExamples
        let count = min(n, examples.data.count)
        var originals = [Float](repeating: 0, count: count * c.inputSize)
        var generator = SeededGenerator(seed: 0)  // unused: evaluation scaling draws nothing
        originals.withUnsafeMutableBufferPointer { buffer in
            examples.data.fillBatch(indices: 0..<count, into: buffer, generator: &generator)
        }
        let labels = c.isConditional ? examples.data.labels.map { Array($0.prefix(count)).map(Int.init) } : nil
        let reconstructions = model.reconstruct(inputs: originals, labels: labels)
        let grid = makeComparisonGrid(originals: originals, reconstructions: reconstructions, count: count,
                                      imageHeight: c.imageHeight!, imageWidth: c.imageWidth!,
                                      normalization: .forOutput(c.output))
        try grid.writePNG(to: URL(fileURLWithPath: output))
        say("Wrote \(output): \(count) \(examples.split) images from \(loaded.sourceName) "
            + "and their reconstructions, \(grid.width)×\(grid.height) pixels")
    }
}
