import ArgumentParser
import Foundation
import MNISTData
import SeededRandom
import VAEModel
import VAERun

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Decode walks in latent space between test images (or random latent vectors).",
        discussion: """
            Each row walks in --steps steps from one test image's latent mean to another's (both ends included, \
            so the first and last decoded tiles are the two reconstructions), with the real images at both ends. \
            --from I --to J walks between test images I and J; by default --rows pairs of test images are drawn \
            with --seed; --random walks between z ~ N(0, I) drawn with --seed (no real images). The walk is a \
            straight line, or with --slerp the great-circle path that keeps |z| typical of N(0, I). A conditional \
            model decodes the first half of each row with the start's label and the rest with the end's.

            Example: vae interpolate --model runs/run-001 --from 0 --to 1 --steps 10 -o interpolate.png
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: ArgumentHelp("Index of the test image to start from (with --to).", valueName: "i"))
    var from: Int?
    @Option(help: ArgumentHelp("Index of the test image to end at (with --from).", valueName: "j"))
    var to: Int?
    @Flag(help: "Walk between random latent vectors instead of test images.")
    var random = false
    @Option(help: ArgumentHelp("Decoded tiles per row, both ends included.", valueName: "n"))
    var steps: Int = 10
    @Option(help: ArgumentHelp("Rows (pairs) without --from/--to.", valueName: "n"))
    var rows: Int = 8
    @Flag(help: "Spherical interpolation instead of a straight line.")
    var slerp = false
    @Option(help: ArgumentHelp("Random seed for the pairs or the random latent vectors.", valueName: "n"))
    var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "interpolate.png"

    func validate() throws {
        guard (2...50).contains(steps) else { throw ValidationError("--steps must be between 2 and 50 (got \(steps)).") }
        guard (1...50).contains(rows) else { throw ValidationError("--rows must be between 1 and 50 (got \(rows)).") }
        guard (from == nil) == (to == nil) else { throw ValidationError("--from and --to go together.") }
        if random && from != nil { throw ValidationError("--random walks between random z; it does not take --from/--to.") }
        if let from, from < 0 { throw ValidationError("--from must be 0 or more (got \(from)).") }
        if let to, to < 0 { throw ValidationError("--to must be 0 or more (got \(to)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let saved = try modelOptions.loadModel()
        try requireImageModel(saved, command: "interpolate")
        let model = saved.model, c = model.configuration
        try saved.requireMemory(examples: rows * (steps + 2), advice: "use fewer --rows or --steps")
        var generator = SeededGenerator(seed: seed)
        let picture: LatentGrid
        let what: String
        if random {
            var z = [Float](repeating: 0, count: 2 * rows * c.latent)
            z.withUnsafeMutableBufferPointer { generator.fillNormal($0) }
            let starts = (0..<rows).map { Array(z[(2 * $0) * c.latent..<(2 * $0 + 1) * c.latent]) }
            let ends = (0..<rows).map { Array(z[(2 * $0 + 1) * c.latent..<(2 * $0 + 2) * c.latent]) }
            let labels = c.isConditional ? (0..<rows).map { ($0 % c.classes, ($0 + 1) % c.classes) } : nil
            picture = LatentPictures.interpolation(model, starts: starts, ends: ends, labels: labels, steps: steps, spherical: slerp,
                                                   realStarts: nil, realEnds: nil, rowLabels: [],
                                                   title: "Walks between random z (\(slerp ? "slerp" : "linear"))")
            what = "\(rows) walks between random latent vectors"
        } else {
            let loaded = try RunData.load(for: saved, dataFolder: dataOptions.data, labels: .whenConditional)
            let examples = loaded.evaluationExamples
            let available = examples.data.count
            var pairs: [(Int, Int)]
            if let from, let to {
                guard from < available, to < available else {
                    throw CommandError("--from/--to: \(loaded.sourceName) has \(formatCount(available)) \(examples.split) images (0…\(available - 1)).")
                }
                pairs = [(from, to)]
            } else {
                guard available >= 2 else { throw CommandError("\(loaded.sourceName) has fewer than two \(examples.split) images.") }
                let order = generator.permutation(count: available)
                pairs = (0..<rows).map { (order[(2 * $0) % available], order[(2 * $0 + 1) % available]) }
            }
            let startRows = examples.rows(pairs.map(\.0)), endRows = examples.rows(pairs.map(\.1))
            let startLabels = try startRows.labels(for: c, source: loaded.sourceName)
            let endLabels = try endRows.labels(for: c, source: loaded.sourceName)
            let startMeans = model.encode(inputs: startRows.values, labels: startLabels)
            let endMeans = model.encode(inputs: endRows.values, labels: endLabels)
            let labels = startLabels.map { s in endLabels.map { e in Array(zip(s, e)) } ?? [] }
            picture = LatentPictures.interpolation(model, starts: pairs.indices.map(startMeans.meanRow), ends: pairs.indices.map(endMeans.meanRow),
                                                   labels: labels, steps: steps, spherical: slerp,
                                                   realStarts: startRows.values, realEnds: endRows.values,
                                                   rowLabels: pairs.map { "#\($0.0) → #\($0.1)" },
                                                   title: "Between \(examples.split) images' latent means (\(slerp ? "slerp" : "linear"))")
            what = "\(pairs.count) walks between \(examples.split) images of \(loaded.sourceName)"
        }
        try picture.picture.writePNG(to: url, gray: true)
        say("Wrote \(output): \(what), \(steps) steps, \(picture.picture.image.width)×\(picture.picture.image.height) pixels")
    }
}
