import ArgumentParser
import Foundation
import ImageIO
import MNISTData
import TensorCore
import VAEModel

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
        let loaded = try modelOptions.loadModel()
        let modelURL = loaded.url, model = loaded.model
        let c = model.configuration
        guard let height = c.imageHeight, let width = c.imageWidth else {
            throw CommandError("\(displayPath(modelURL)) is not an image model; reconstruct shows images (use 'vae sample' for the Swiss roll).")
        }
        var settings = trainingSettings(of: modelURL) ?? TrainingSettings()
        if let data { settings.dataFolder = data }
        settings.limit = nil
        settings.scaling = c.output == .tanh ? PixelScaling.symmetric.rawValue : PixelScaling.unit.rawValue
        let location = try DataLocation.resolve(explicitFolder: settings.dataFolder)
        let dataset = try MNISTDataset(folder: location.folder, options: .init(requireLabels: c.isConditional))
        guard dataset.height == height && dataset.width == width else {
            throw CommandError("\(displayPath(location.folder)) holds \(dataset.width)×\(dataset.height) images but the model "
                + "was trained on \(width)×\(height); pass --data with images of that size.")
        }
        var images = dataset.test ?? dataset.train
        images.scaling = settings.pixelScaling
        let count = min(n, images.count)
        var originals = [Float](repeating: 0, count: count * height * width)
        var generator = SeededGenerator(seed: 0)
        originals.withUnsafeMutableBufferPointer { buffer in
            images.fillBatch(indices: 0..<count, into: buffer, generator: &generator)
        }
        let labels = c.isConditional ? images.labels.map { Array($0.prefix(count)).map(Int.init) } : nil
        let reconstructions = model.reconstruct(inputs: originals, labels: labels)
        let grid = makeComparisonGrid(originals: originals, reconstructions: reconstructions, count: count,
                                      imageHeight: height, imageWidth: width,
                                      normalization: c.output == .tanh ? .symmetricUnit : .none)
        try grid.writePNG(to: URL(fileURLWithPath: output))
        say("Wrote \(output): \(count) \(dataset.test == nil ? "training" : "test") images from \(location.description) "
            + "and their reconstructions, \(grid.width)×\(grid.height) pixels")
    }
}
