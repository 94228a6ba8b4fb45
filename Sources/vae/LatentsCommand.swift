import ArgumentParser
import Foundation
import MNISTData
import SeededRandom
import VAEModel
import VAERun

struct Latents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latents",
        abstract: "Plot the encoder's means of test images, coloured by class.",
        discussion: """
            A latent of 2 dimensions is plotted as it is (z[0] across, z[1] up); a larger one is projected on the \
            first two principal components of the means, and the axes say so with the share of variance each \
            holds. Classes are named for Fashion-MNIST (a data folder whose path contains "fashion") and \
            numbered otherwise; data without labels is drawn in one colour. When the split holds more than n \
            examples, n of them are chosen at random with --seed.

            Example: vae latents --model runs/run-001 -n 5000 -o latents.png
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Number of test examples to plot.", valueName: "n"))
    var n: Int = 5000
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "latents.png"
    @Option(help: ArgumentHelp("Random seed choosing the examples when there are more than n.", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        guard n > 0 else { throw ValidationError("-n/--n must be at least 1 (got \(n)).") }
        guard n <= 100_000 else { throw ValidationError("-n/--n must be at most 100,000 (got \(n)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let saved = try modelOptions.loadModel()
        let loaded = try RunData.load(for: saved, dataFolder: dataOptions.data)
        let examples = loaded.evaluationExamples
        let available = examples.data.count
        var indices = Array(0..<available)
        if n < available {
            var generator = SeededGenerator(seed: seed)
            indices = Array(generator.permutation(count: available).prefix(n)).sorted()
        }
        let encoded = try LatentCodes.encode(saved.model, examples: examples, indices: indices, source: loaded.sourceName)
        let scatter = LatentScatter(encoded, classNames: loaded.classNames,
                                    title: "Latent means of \(formatCount(indices.count)) \(examples.split) examples")
        if !scatter.isColouredByClass {
            printError("Note: \(loaded.sourceName) has no labels, so the points are drawn in one colour.")
        }
        try scatter.chart.writePNG(to: url)
        say("Wrote \(output): \(formatCount(indices.count)) \(examples.split) examples from \(loaded.sourceName)"
            + (scatter.isProjected ? ", projected on the first two principal components of the \(saved.model.configuration.latent)-d means" : "")
            + ", \(scatter.chart.image.width)×\(scatter.chart.image.height) pixels")
    }
}
