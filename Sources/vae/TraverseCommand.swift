import ArgumentParser
import Foundation
import MNISTData
import VAEModel
import VAERun

struct Traverse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traverse",
        abstract: "Vary one latent dimension at a time around a test image's mean (which units are alive).",
        discussion: """
            One row per latent dimension k: z = the mean of test image --index, with z_k moved by --steps offsets \
            evenly spaced in [-range, +range]. Rows are ordered by the dimension's KL on the first 2,000 test \
            images, largest first, and labelled with it: dimensions with KL near 0 are unused and their rows do \
            not change. By default the 10 dimensions with the largest KL; --all shows every one, --dim K one.

            Example: vae traverse --model runs/run-001 --index 0 --range 3 --steps 11 -o traverse.png
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: ArgumentHelp("The one latent dimension to vary.", valueName: "k"))
    var dim: Int?
    @Flag(help: "Vary every latent dimension (one row each).")
    var all = false
    @Option(help: ArgumentHelp("Largest offset from the mean.", valueName: "r"))
    var range: Float = 3
    @Option(help: ArgumentHelp("Tiles per row.", valueName: "n"))
    var steps: Int = 11
    @Option(help: ArgumentHelp("Index of the test image whose mean is the centre.", valueName: "i"))
    var index: Int = 0
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "traverse.png"

    /// Rows shown when neither --dim nor --all is given.
    static let defaultRows = 10

    func validate() throws {
        if dim != nil && all { throw ValidationError("--dim and --all exclude each other.") }
        if let dim, dim < 0 { throw ValidationError("--dim must be 0 or more (got \(dim)).") }
        guard range > 0, range.isFinite, range <= 100 else { throw ValidationError("--range must be above 0 and at most 100 (got \(range)).") }
        guard (2...50).contains(steps) else { throw ValidationError("--steps must be between 2 and 50 (got \(steps)).") }
        guard index >= 0 else { throw ValidationError("--index must be 0 or more (got \(index)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let saved = try modelOptions.loadModel()
        try requireImageModel(saved, command: "traverse")
        let model = saved.model, c = model.configuration
        if let dim, dim >= c.latent {
            throw CommandError("--dim \(dim): this model's latent dimensions are 0…\(c.latent - 1).")
        }
        let rowCount = dim != nil ? 1 : (all ? c.latent : min(c.latent, Self.defaultRows))
        try saved.requireMemory(examples: rowCount * steps, advice: all ? "drop --all or use fewer --steps" : "use fewer --steps")
        let loaded = try RunData.load(for: saved, dataFolder: dataOptions.data, labels: .whenConditional)
        let examples = loaded.evaluationExamples
        guard index < examples.data.count else {
            throw CommandError("--index \(index): \(loaded.sourceName) has \(formatCount(examples.data.count)) \(examples.split) images (0…\(examples.data.count - 1)).")
        }
        let usage = try LatentUsage.measure(model, data: loaded)
        let dimensions = dim.map { [$0] } ?? (all ? usage.order : Array(usage.order.prefix(Self.defaultRows)))
        let row = examples.rows([index])
        let label = try row.labels(for: c, source: loaded.sourceName)
        let base = model.encode(inputs: row.values, labels: label).mean
        let grid = LatentPictures.traversal(model, base: base, label: label?.first, dimensions: dimensions, kl: usage.kl,
                                            range: range, steps: steps,
                                            title: "\(examples.split.capitalized) image #\(index): one dimension moved at a time (KL in nats)").picture
        try grid.writePNG(to: url, gray: true)
        say("Wrote \(output): \(dimensions.count) of \(c.latent) dimensions by KL around \(examples.split) image \(index), "
            + "offsets ±\(range) in \(steps) steps, \(grid.image.width)×\(grid.image.height) pixels")
        let active = usage.kl.filter { $0 > 0.01 }.count
        say("KL per dimension on \(formatCount(usage.examples)) \(usage.split) images: \(active) of \(c.latent) above 0.01 nats; largest "
            + usage.order.prefix(5).map { "z[\($0)] \(formatFixed(usage.kl[$0], decimals: 2))" }.joined(separator: ", "))
    }
}
