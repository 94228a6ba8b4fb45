import ArgumentParser
import Foundation
import MNISTData
import SeededRandom
import VAEModel
import VAERun

/// Which split `encode` reads.
enum SplitChoice: String, ExpressibleByArgument, CaseIterable {
    case test, train
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Write the encoder's mean and log-variance of every image to a CSV file.",
        discussion: """
            One line per image: index,label,mu_0,…,mu_{L-1},logvar_0,…,logvar_{L-1} (the label is empty when the \
            data has none). These are the parameters of q(z|x), not a random draw; --sample adds z_0,…,z_{L-1}, one \
            draw z = mu + eps·exp(logvar/2) per image with --seed. Numbers read back to the same 32-bit floats.

            Example: vae encode --model runs/run-001 --split test -o latents.csv
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Which split to encode (test falls back to the training split when the folder has no test files).")
    var split: SplitChoice = .test
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Encode only the first n images. (default: all)", valueName: "n"))
    var n: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("Output CSV file (- for standard output).", valueName: "file"))
    var output: String = "latents.csv"
    @Flag(help: "Also write one sample z per image.")
    var sample = false
    @Option(help: ArgumentHelp("Random seed for --sample.", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        if let n, n <= 0 { throw ValidationError("-n/--n must be at least 1 (got \(n)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let saved = try modelOptions.loadModel()
        let loaded = try RunData.load(for: saved, dataFolder: dataOptions.data)
        let examples = split == .train ? loaded.trainingExamples : loaded.evaluationExamples
        let count = min(n ?? examples.data.count, examples.data.count)
        let encoded = try LatentCodes.encode(saved.model, examples: examples, indices: Array(0..<count), source: loaded.sourceName)
        var generator = SeededGenerator(seed: seed)
        let samples = sample ? encoded.encoding.sample(generator: &generator) : nil
        try TextOutput.write(LatentCodes.csv(encoded, samples: samples), to: url)
        let latent = saved.model.configuration.latent
        say("Wrote \(output): \(formatCount(count)) \(examples.split) examples from \(loaded.sourceName), "
            + "\(latent) latent dimensions (mean and log-variance\(sample ? ", and one sample z" : ""))"
            + (encoded.labels == nil ? "; the data has no labels" : ""))
    }
}
