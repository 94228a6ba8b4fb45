import ArgumentParser
import Foundation
import ImageIO
import MNISTData
import VAEModel
import VAERun

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Show test images (top row) and the model's reconstructions (row below) in a PNG.",
        discussion: """
            Uses the first n images of the test split (the training split when the folder has no test files), \
            --nrow to a row, each row of images above its row of reconstructions. \
            Reconstructions decode the encoder's mean, so they are deterministic. With --all-labels (conditional \
            models), each image is encoded with its own label and decoded with every label: one row per image, \
            the image first, then one column per class ("same style, other class").

            Example: vae reconstruct --model runs/run-001 -n 16 -o reconstruction.png
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: ArgumentHelp("Number of images.", valueName: "n"))
    var n: Int = 8
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Images per row; more images wrap into further pairs of rows.", valueName: "n"))
    var nrow: Int = 8
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "reconstruction.png"
    @Flag(help: "Decode each image with every class label (conditional models only).")
    var allLabels = false

    func validate() throws {
        guard n > 0 else { throw ValidationError("-n/--n must be at least 1 (got \(n)).") }
        guard n <= 1000 else { throw ValidationError("-n/--n must be at most 1,000 (got \(n)).") }
        guard nrow > 0 else { throw ValidationError("--nrow must be at least 1 (got \(nrow)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let saved = try modelOptions.loadModel()
        let model = saved.model, c = model.configuration
        guard c.imageHeight != nil else {
            throw CommandError("\(displayPath(saved.url)) is not an image model; reconstruct shows images (use 'vae sample' for the Swiss roll).")
        }
        if allLabels && !c.isConditional {
            throw CommandError("--all-labels needs a conditional model (trained with --conditional); \(displayPath(saved.url)) is unconditional.")
        }
        try saved.requireMemory(examples: n * (allLabels ? c.classes + 1 : 2), advice: "use a smaller --n")
        let loaded = try RunData.load(for: saved, dataFolder: dataOptions.data, labels: .whenConditional)
        let examples = loaded.evaluationExamples
        if allLabels {
            let rows = examples.first(n)
            let labels = try rows.labels(for: c, source: loaded.sourceName) ?? []
            let grid = LatentPictures.allLabels(model, inputs: rows, labels: labels, classNames: loaded.classNames,
                                                title: "Each \(examples.split) image decoded with every class").picture
            try grid.writePNG(to: url, gray: true)
            say("Wrote \(output): \(rows.count) \(examples.split) images from \(loaded.sourceName), each decoded with "
                + "all \(c.classes) classes, \(grid.image.width)×\(grid.image.height) pixels")
            return
        }
        let grid = try ModelPictures.reconstructions(model, examples: examples, count: n, imagesPerRow: nrow,
                                                     source: loaded.sourceName)
        try grid.writePNG(to: url)
        say("Wrote \(output): \(min(n, examples.data.count)) \(examples.split) images from \(loaded.sourceName) "
            + "and their reconstructions, \(grid.width)×\(grid.height) pixels")
    }
}
