import ArgumentParser
import Foundation
import MNISTData
import VAEModel
import VAERun

/// `--data`, `--split`, `-k`, `--binarize`, `--limit`, `--seed`, `--threads`: what `evaluate` and
/// `score` estimate on, and how.
struct EstimationOptions: ParsableArguments {
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Which split: test or train.")
    var split: DataSplit = .test
    @Flag(help: "Binarize the images once, with a fixed seed (the convention behind the literature's MNIST likelihoods).")
    var binarize = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Use the first N examples only.", valueName: "n"))
    var limit: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the importance samples.", valueName: "n"))
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads; results do not depend on it. (default: the number of cores, at most 4)",
                                                        valueName: "n"))
    var threads: Int?

    func validate(samples: Int) throws {
        guard (1...1_000_000).contains(samples) else { throw ValidationError("-k must be between 1 and 1,000,000 (got \(samples)).") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1 (got \(limit)).") }
        if let threads, let problem = TrainingSettings.threadsProblem(threads) { throw ValidationError(problem + ".") }
    }

    func settings(samples: Int) -> EvaluationSettings {
        EvaluationSettings(samples: samples, binarize: binarize, limit: limit, seed: seed,
                           threads: threads ?? TrainingPlan.defaultThreads, split: split)
    }

    /// The examples of `folder` (or the model's own data) for `settings`.
    func inputs(for model: SavedModel, folder: String?, settings: EvaluationSettings) throws -> EvaluationInputs {
        try EvaluationInputs.load(RunData.load(for: model, dataFolder: folder), settings: settings)
    }

    /// Estimates `inputs`, with a progress bar on a terminal.
    func score(_ model: SavedModel, _ inputs: EvaluationInputs, settings: EvaluationSettings,
               title: String) throws -> ScoredExamples {
        let bar = redrawsLines(on: STDERR_FILENO) && inputs.count > 0
            ? ProgressBar(title: title, total: inputs.count, unit: "images") : nil
        let start = Date()
        let scored = try Evaluation.score(model: model, inputs: inputs, settings: settings) { done in
            bar?.update(completed: done, loss: .nan, imagesPerSecond: Double(done) / max(Date().timeIntervalSince(start), 1e-9))
        }
        bar?.finish()
        return scored
    }
}

extension DataSplit: ExpressibleByArgument {}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Estimate a model's likelihood: ELBO, importance-weighted NLL, bits/dim, active units.",
        discussion: """
            Per test image, averaged, in nats: the ELBO (reconstruction + KL, with k samples), the \
            importance-weighted NLL of Burda et al. (2016), −log (1/k Σ p(x|z_i) p(z_i) / q(z_i|x)) with \
            z_i ~ q(z|x), which tightens as k grows, the gap between the two, bits per dimension \
            (NLL / (D ln 2)), active units (latent dimensions whose Cov_x(E_q[z|x]) exceeds 0.01), the KL of \
            each dimension, and per class. A conditional model is evaluated given each image's label.

            The likelihood p(x|z) follows the model's loss: bce → Bernoulli with the decoder's sigmoid as \
            its mean (on grey-level pixels not a normalised density; --binarize binarizes the images once, \
            with a fixed seed, as the literature does); mse → Gaussian with variance 1/2, −log p(x|z) = \
            Σ(x − x̂)² + (D/2)·ln π; l1 → Laplace with scale 1, −log p(x|z) = Σ|x − x̂| + D·ln 2.

            Writes evaluation.json beside the model (or --json FILE). Example:
              vae evaluate -k 5000 --binarize
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var estimation: EstimationOptions
    @Option(name: .customShort("k"), parsing: .unconditional,
            help: ArgumentHelp("Importance samples per image.", valueName: "k"))
    var samples: Int = 1000
    @Option(help: ArgumentHelp("JSON result file. (default: evaluation.json beside the model)", valueName: "file"))
    var json: String?

    func validate() throws {
        try estimation.validate(samples: samples)
        if let json, json.isEmpty { throw ValidationError("--json needs a file name.") }
    }

    func run() throws {
        let model = try modelOptions.loadModel()
        let settings = estimation.settings(samples: samples)
        let inputs = try estimation.inputs(for: model, folder: estimation.dataOptions.data, settings: settings)
        let jsonURL = try json.map(outputURL)
            ?? model.url.deletingLastPathComponent().appendingPathComponent("evaluation.json")
        try TextOutput.check(jsonURL)
        let scored = try estimation.score(model, inputs, settings: settings, title: "k = \(formatCount(samples))")
        let report = Evaluation.report(scored, model: model, settings: settings, modelName: displayPath(model.url))
        for line in EvaluationTable.lines(report, configuration: model.model.configuration) { say(line) }
        try TextOutput.write(encodeJSONPretty(report) + "\n", to: jsonURL)
        say("Wrote \(displayPath(jsonURL)) (\(formatFixed(report.seconds, decimals: 1)) s, "
            + "\(formatCount(Int(report.imagesPerSecond.rounded()))) images/s)")
    }
}

/// The printed form of an evaluation report.
enum EvaluationTable {
    static func lines(_ r: EvaluationReport, configuration c: VAEConfiguration) -> [String] {
        func f(_ v: Double, _ decimals: Int = 2) -> String { formatFixed(v, decimals: decimals) }
        let sizes = ([c.inputSize] + c.hidden + [c.latent]).map(String.init).joined(separator: "-")
        var lines = [
            "Model: \(r.model) (\(c.isConditional ? "conditional " : "")VAE \(sizes), \(c.loss.rawValue) loss, beta \(c.beta))",
            "Data: \(r.data); \(r.split) split, \(formatCount(r.images)) images",
            "Protocol: k = \(formatCount(r.settings.samples)) importance samples, seed \(r.settings.seed), "
                + (r.settings.binarize ? "binarized once (fixed seed)" : "pixels as they are (not binarized)")
                + "; likelihood \(r.likelihood.name): \(r.likelihood.formula)",
        ]
        if let note = r.likelihood.note { lines.append("Note: \(note)") }
        lines += [
            "",
            "per image, nats",
            "  ELBO                 \(f(r.elbo))  (reconstruction \(f(r.reconstruction)) + KL \(f(r.kl)))",
            "  NLL (k = \(formatCount(r.settings.samples)))".padding(toLength: 23, withPad: " ", startingAt: 0) + f(r.negativeLogLikelihood),
            "  gap −ELBO − NLL      \(f(r.gap))",
            "  bits per dimension   \(f(r.bitsPerDimension, 4))",
            "  active units         \(r.activeUnits) of \(c.latent) (Cov_x E[z|x] > \(r.activeUnitThreshold))",
            "  KL per dimension     " + r.klPerDimension.map { f($0) }.joined(separator: " "),
        ]
        if let classes = r.perClass, classes.count > 1 {
            lines.append("")
            let width = max(5, classes.map(\.name.count).max() ?? 5)
            lines.append("  " + "class".padding(toLength: width, withPad: " ", startingAt: 0) + "  images      ELBO       NLL")
            for k in classes {
                lines.append("  " + k.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + formatCount(k.count).leftPadded(8) + f(k.elbo).leftPadded(10) + f(k.negativeLogLikelihood).leftPadded(10))
            }
        }
        return lines
    }
}
