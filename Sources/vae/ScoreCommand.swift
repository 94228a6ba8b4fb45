import ArgumentParser
import Foundation
import MNISTData
import VAEModel
import VAERun

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every image by its likelihood under a model, for anomaly detection.",
        discussion: """
            For each image of --data (default: the model's own data): the importance-weighted log p(x) \
            with k samples, its negative (NLL), the ELBO, and its reconstruction and KL parts, in nats, \
            written as CSV (index, label, log_px, nll, elbo, reconstruction, kl). A PNG grid shows the \
            least likely images (--most-likely: the most likely), each row labelled with its NLLs. With \
            --reference DIR, the reference data (the model's own kind of images) is scored too and the area \
            under the ROC curve of the NLL as a detector of --data among the reference images is printed \
            (1: every --data image is less likely than every reference image; 0.5: no separation). Example:
              vae score --data /usr/share/datasets/fashion-mnist --reference data/mnist -k 100
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var estimation: EstimationOptions
    @Option(name: .customShort("k"), parsing: .unconditional,
            help: ArgumentHelp("Importance samples per image.", valueName: "k"))
    var samples: Int = 100
    @Option(help: ArgumentHelp("CSV of the scores.", valueName: "file"))
    var csv: String = "scores.csv"
    @Option(help: ArgumentHelp("PNG grid of the least (or most) likely images.", valueName: "file"))
    var gridOut: String = "strange.png"
    @Flag(help: "Show the most likely images instead of the least likely.")
    var mostLikely = false
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: ArgumentHelp("Images in the grid.", valueName: "n"))
    var n: Int = 32
    @Option(help: ArgumentHelp("Data to compare against (the AUC of the NLL); the same split is used.", valueName: "dir"))
    var reference: String?

    func validate() throws {
        try estimation.validate(samples: samples)
        guard !csv.isEmpty else { throw ValidationError("--csv needs a file name.") }
        guard !gridOut.isEmpty else { throw ValidationError("--grid-out needs a file name.") }
        guard (1...1024).contains(n) else { throw ValidationError("-n/--n must be between 1 and 1,024 (got \(n)).") }
    }

    func run() throws {
        let model = try modelOptions.loadModel()
        let c = model.model.configuration
        let settings = estimation.settings(samples: samples)
        let csvURL = try outputURL(csv)
        let gridURL = c.imageHeight != nil ? try outputURL(gridOut) : URL(fileURLWithPath: gridOut)
        let inputs = try estimation.inputs(for: model, folder: estimation.dataOptions.data, settings: settings)
        let referenceInputs = try reference.map { try estimation.inputs(for: model, folder: $0, settings: settings) }

        let scored = try estimation.score(model, inputs, settings: settings, title: "score k = \(formatCount(samples))")
        let average = scored.estimates.average
        say("Scored \(formatCount(scored.estimates.count)) \(inputs.split) images of \(inputs.dataName) "
            + "with k = \(formatCount(samples)): mean NLL \(formatFixed(average.negativeLogLikelihood, decimals: 2)) nats, "
            + "mean ELBO \(formatFixed(average.elbo, decimals: 2))")
        try TextOutput.write(Scoring.csv(scored), to: csvURL)
        say("Wrote \(csv): one line per image")

        let order = Scoring.leastLikelyFirst(scored.estimates)
        let shown = Array((mostLikely ? order.reversed() : order).prefix(n))
        let title = mostLikely ? "most likely images (lowest NLL)" : "least likely images (highest NLL)"
        if let grid = Scoring.grid(of: shown, scored: scored, configuration: c, title: title) {
            try grid.writePNG(to: gridURL, gray: false)
            say("Wrote \(gridOut): the \(shown.count) \(mostLikely ? "most" : "least") likely images, "
                + "\(grid.image.width)×\(grid.image.height) pixels")
        }

        if let referenceInputs {
            let referenceScored = try estimation.score(model, referenceInputs, settings: settings, title: "reference")
            let auc = Scoring.areaUnderROC(positives: scored.estimates.images.map(\.negativeLogLikelihood),
                                           negatives: referenceScored.estimates.images.map(\.negativeLogLikelihood))
            say("Reference: \(formatCount(referenceScored.estimates.count)) \(referenceInputs.split) images of "
                + "\(referenceInputs.dataName): mean NLL "
                + formatFixed(referenceScored.estimates.average.negativeLogLikelihood, decimals: 2) + " nats")
            say("AUC of the NLL as a detector of --data among the reference images: \(formatFixed(auc, decimals: 4))")
        }
    }
}
