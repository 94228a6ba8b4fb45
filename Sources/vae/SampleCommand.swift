import ArgumentParser
import Foundation
import ImageIO
import MNISTData
import SeededRandom
import TensorCore
import VAEModel
import VAERun

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw samples from a trained model into a PNG grid (or a scatter plot for the Swiss roll).",
        discussion: """
            Decodes z ~ N(0, I) and lays the images out like torchvision's make_grid (black padding). \
            A conditional model draws --label K, or by default one row per class.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: [.customShort("n"), .long],
            help: ArgumentHelp("Number of samples. (default: 64; 10 rows of --nrow for a conditional model; "
                               + "1,000 points for the Swiss roll)", valueName: "n"))
    var n: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "samples.png"
    @Option(parsing: .unconditional, help: ArgumentHelp("Images per row.", valueName: "n"))
    var nrow: Int = 8
    @Option(parsing: .unconditional, help: ArgumentHelp("Pixels of black padding between images.", valueName: "pixels"))
    var padding: Int = 2
    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed for z.", valueName: "n"))
    var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: ArgumentHelp("Class to draw (conditional models only).", valueName: "k"))
    var label: Int?

    /// The widest grid row, in images.
    static let maximumImagesPerRow = 1000

    func validate() throws {
        if let n, n <= 0 { throw ValidationError("-n/--n must be at least 1 (got \(n)).") }
        if let n, n > 100_000 { throw ValidationError("-n/--n must be at most 100,000 (got \(n)).") }
        guard (1...Self.maximumImagesPerRow).contains(nrow) else {
            throw ValidationError("--nrow must be between 1 and \(Self.maximumImagesPerRow) (got \(nrow)).")
        }
        guard (0...64).contains(padding) else { throw ValidationError("--padding must be between 0 and 64 (got \(padding)).") }
        if let label, label < 0 { throw ValidationError("--label must be 0 or more (got \(label)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let saved = try modelOptions.loadModel()
        let model = saved.model, c = model.configuration
        var generator = SeededGenerator(seed: seed)
        let url = try outputURL(output)

        if let label, !c.isConditional {
            throw CommandError("--label \(label) needs a conditional model; \(displayPath(saved.url)) is unconditional.")
        }
        if let label, label >= c.classes {
            throw CommandError("--label must be below \(c.classes) for this model (got \(label)).")
        }

        guard c.imageHeight != nil else {
            // Points, not images: the Swiss roll's scatter plot of training data and samples.
            guard c.inputSize == 2, saved.hasTrainingSettings, saved.settings.training.dataset == .swissRoll else {
                throw CommandError("\(displayPath(saved.url)) has no image size and is not a Swiss-roll model; cannot draw it.")
            }
            let count = n ?? 1000
            try saved.requireMemory(examples: count, advice: "use a smaller --n")
            let data = try RunData.load(saved.settings)
            let generated = model.sample(count: count, generator: &generator)
            try ModelPictures.swissRoll(training: data.points ?? [], generated: generated, title: "Swiss roll: data and samples")
                .writePNG(to: url)
            say("Wrote \(output): \(formatCount(count)) generated points over \(formatCount((data.points?.count ?? 0) / 2)) training points")
            return
        }

        var labels: [Int]?
        let count = n ?? (c.isConditional ? c.classes * nrow : 64)
        try saved.requireMemory(examples: count, advice: "use a smaller --n or --nrow")
        if c.isConditional {
            labels = (0..<count).map { label ?? (($0 / nrow) % c.classes) }
        }
        let images = model.sample(count: count, labels: labels, generator: &generator)
        let grid = ModelPictures.grid(images: images, configuration: c, imagesPerRow: nrow, padding: padding)
        try grid.writePNG(to: url)
        var what = "\(count) samples"
        if let label { what += " of class \(label)" } else if c.isConditional { what += ", one row per class" }
        say("Wrote \(output): \(what), \(grid.width)×\(grid.height) pixels")
    }
}
