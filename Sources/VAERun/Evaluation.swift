import Batches
import Foundation
import MNISTData
import SeededRandom
import VAEModel

extension DataSplit: Codable {}

/// How `vae evaluate` and `vae score` estimate: which examples, how many samples, which seed.
public struct EvaluationSettings: Codable, Equatable, Sendable {
    /// Importance samples k per example (default 1,000).
    public var samples: Int
    /// Binarize the images once, from `SeedStreams.evaluationBinarization` (the literature's convention).
    public var binarize: Bool
    /// Evaluate the first N examples only (nil: all).
    public var limit: Int?
    /// Seeds every example's draws (with its index).
    public var seed: UInt64
    /// Worker threads (the results do not depend on it).
    public var threads: Int
    /// Which split of the data folder.
    public var split: DataSplit

    public init(samples: Int = 1000, binarize: Bool = false, limit: Int? = nil, seed: UInt64 = 1, threads: Int = 1,
                split: DataSplit = .test) {
        self.samples = samples; self.binarize = binarize; self.limit = limit; self.seed = seed
        self.threads = threads; self.split = split
    }
}

/// The examples an evaluation runs on, as the floats the model reads.
public struct EvaluationInputs {
    /// [count, D] row-major.
    public let values: [Float]
    /// One class per example, when the data has labels.
    public let labels: [Int]?
    public let count: Int
    /// "test" or "training".
    public let split: String
    /// The data, for the user ("bundled MNIST subset: 4,000 train / 1,000 test images, …").
    public let dataDescription: String
    /// The data's name alone ("bundled MNIST subset", "data folder …").
    public let dataName: String
    /// Class names for the known data sets (MNIST digits, Fashion-MNIST items), else nil.
    public let classNames: [String]?

    /// Loads `settings.split` of `data` (its first `settings.limit` examples), scaled for evaluation,
    /// or binarized once when asked.
    public static func load(_ data: RunData, settings: EvaluationSettings) throws -> EvaluationInputs {
        let examples = try data.examples(of: settings.split)
        let count = min(settings.limit ?? examples.data.count, examples.data.count)
        var source = examples.data
        if settings.binarize {
            guard let images = source as? ImageSet else { throw EvaluationError.binarizePoints(data: data.sourceName) }
            source = images.withScaling(.binarized)
        }
        var generator = SeedStreams.evaluationBinarization
        let rows = EvaluationExamples(data: source, split: examples.split).rows(Array(0..<count), generator: &generator)
        return EvaluationInputs(values: rows.values, labels: rows.labels, count: count,
                                split: examples.split, dataDescription: data.description, dataName: data.sourceName,
                                classNames: data.classNames.isEmpty ? nil : data.classNames)
    }
}

/// Problems specific to evaluation.
public enum EvaluationError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case binarizePoints(data: String)
    case missingLabels(data: String)

    public var description: String {
        switch self {
        case let .binarizePoints(data):
            return "\(data) holds points, not images: --binarize applies to images only; drop it."
        case let .missingLabels(data):
            return "\(data) has no labels, and a conditional model is evaluated given each example's label; pass --data with labels."
        }
    }

    public var errorDescription: String? { description }
}

/// The likelihood p(x|z) a model's loss stands for, in words, with the note that goes with it.
public struct LikelihoodDescription: Codable, Equatable, Sendable {
    public var name: String
    public var formula: String
    /// A warning when the numbers are not a normalised density's, else nil.
    public var note: String?

    public static func of(_ loss: ReconstructionLoss, binarized: Bool) -> LikelihoodDescription {
        switch loss {
        case .bce:
            return LikelihoodDescription(
                name: "Bernoulli", formula: "−log p(x|z) = Σ BCE(x, sigmoid(logits))",
                note: binarized ? nil : "the pixels are grey levels, not 0/1, so this Bernoulli likelihood is not a normalised "
                    + "density: compare it only with numbers computed the same way; --binarize gives the literature's convention")
        case .mse:
            return LikelihoodDescription(name: "Gaussian, variance 1/2", formula: "−log p(x|z) = Σ (x − x̂)² + (D/2)·ln π", note: nil)
        case .l1:
            return LikelihoodDescription(name: "Laplace, scale 1", formula: "−log p(x|z) = Σ |x − x̂| + D·ln 2", note: nil)
        }
    }
}

/// ELBO and NLL of one class.
public struct ClassEvaluation: Codable, Equatable, Sendable {
    public var label: Int
    public var name: String
    public var count: Int
    public var elbo: Double
    public var negativeLogLikelihood: Double
}

/// What `vae evaluate` reports (and writes as JSON), per example averaged over the set, in nats.
public struct EvaluationReport: Codable, Equatable, Sendable {
    public var model: String
    public var data: String
    public var split: String
    public var images: Int
    public var settings: EvaluationSettings
    public var likelihood: LikelihoodDescription
    /// E_q[log p(x|z)] − KL, with the k samples and the closed-form KL.
    public var elbo: Double
    /// −E_q[log p(x|z)].
    public var reconstruction: Double
    /// KL(q(z|x) ‖ N(0, I)).
    public var kl: Double
    /// −log (1/k Σ_i p(x|z_i) p(z_i) / q(z_i|x)), the importance-weighted NLL.
    public var negativeLogLikelihood: Double
    /// −ELBO − NLL ≥ 0 (in expectation): how much the bound tightened.
    public var gap: Double
    /// NLL / (D · ln 2).
    public var bitsPerDimension: Double
    /// Dimensions whose Var_x(E_q[z|x]) exceeds the threshold.
    public var activeUnits: Int
    public var activeUnitThreshold: Double
    /// Var_x(E_q[z_u|x]) per latent dimension.
    public var meanVariances: [Double]
    /// KL per latent dimension, averaged over the examples.
    public var klPerDimension: [Double]
    /// Per class, when the data has labels.
    public var perClass: [ClassEvaluation]?
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Per-example estimates together with what they were computed on.
public struct ScoredExamples {
    public let inputs: EvaluationInputs
    public let estimates: LikelihoodEstimates
    public let seconds: Double
}

/// Runs the importance-weighted estimator over a data set for `vae evaluate` and `vae score`.
public enum Evaluation {
    /// Estimates every example of `inputs` with `settings.samples` samples.
    /// - Parameter progress: examples finished so far (called from worker threads, one call at a time).
    public static func score(model: SavedModel, inputs: EvaluationInputs, settings: EvaluationSettings,
                             progress: ((Int) -> Void)? = nil) throws -> ScoredExamples {
        let c = model.model.configuration
        if c.isConditional && inputs.labels == nil { throw EvaluationError.missingLabels(data: inputs.dataDescription) }
        let estimator = LikelihoodEstimator(model: model.model, samples: settings.samples, threads: settings.threads,
                                            seed: settings.seed)
        let start = DispatchTime.now().uptimeNanoseconds
        let estimates = estimator.estimate(inputs: inputs.values, labels: c.isConditional ? inputs.labels : nil,
                                           progress: progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return ScoredExamples(inputs: inputs, estimates: estimates, seconds: seconds)
    }

    /// The averages, active units, per-dimension KL and per-class figures of scored examples.
    public static func report(_ scored: ScoredExamples, model: SavedModel, settings: EvaluationSettings,
                              modelName: String) -> EvaluationReport {
        let c = model.model.configuration
        let estimates = scored.estimates
        let average = estimates.average
        var accumulator = ActiveUnitsAccumulator(latent: c.latent)
        accumulator.add(estimates)
        let active = accumulator.result()
        var perClass: [ClassEvaluation]?
        if let labels = scored.inputs.labels, !labels.isEmpty {
            let classes = (labels.max() ?? 0) + 1
            var sums = [(count: Int, elbo: Double, nll: Double)](repeating: (0, 0, 0), count: classes)
            for (image, label) in zip(estimates.images, labels) {
                sums[label].count += 1
                sums[label].elbo += image.elbo
                sums[label].nll += image.negativeLogLikelihood
            }
            perClass = sums.enumerated().compactMap { label, s in
                guard s.count > 0 else { return nil }
                let name = scored.inputs.classNames.flatMap { label < $0.count ? $0[label] : nil } ?? String(label)
                return ClassEvaluation(label: label, name: name, count: s.count, elbo: s.elbo / Double(s.count),
                                       negativeLogLikelihood: s.nll / Double(s.count))
            }
        }
        let nll = average.negativeLogLikelihood
        return EvaluationReport(
            model: modelName, data: scored.inputs.dataDescription, split: scored.inputs.split, images: estimates.count,
            settings: settings, likelihood: .of(c.loss, binarized: settings.binarize),
            elbo: average.elbo, reconstruction: average.reconstruction, kl: average.kl,
            negativeLogLikelihood: nll, gap: -average.elbo - nll,
            bitsPerDimension: nll / (Double(c.inputSize) * Foundation.log(2.0)),
            activeUnits: active.activeCount, activeUnitThreshold: active.threshold, meanVariances: active.variances,
            klPerDimension: estimates.averageKLPerDimension, perClass: perClass,
            seconds: scored.seconds, imagesPerSecond: Double(estimates.count) / max(scored.seconds, 1e-9))
    }
}
