import Batches
import Foundation
import ImageIO
import MNISTData
import VAEModel

extension PixelScaling {
    /// The one pixel-scaling rule. Training images: dynamic binarization when asked, else the range the
    /// model's output activation reaches (`OutputActivation.dataRange`).
    public static func forTraining(output: OutputActivation, binarize: Bool) -> PixelScaling {
        binarize ? .binarized : forEvaluation(output: output)
    }

    /// Images that are scored or shown (test loss, reconstructions): always deterministic, so binarized
    /// training data is evaluated on its intensities as probabilities.
    public static func forEvaluation(output: OutputActivation) -> PixelScaling {
        output.dataRange == .symmetricInterval ? .symmetric : .unit
    }
}

extension PixelNormalization {
    /// How a model's outputs map to grey levels: [−1, 1] for tanh outputs, else [0, 1] as they are.
    public static func forOutput(_ output: OutputActivation) -> PixelNormalization {
        output.dataRange == .symmetricInterval ? .symmetricUnit : .none
    }
}

/// Problems with the data a run or a command is given.
public enum RunDataError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The examples do not have the size the model was trained on.
    case sizeMismatch(data: String, dataShape: String, modelShape: String)
    /// The test split was asked for and the data has none.
    case noTestSplit(data: String)

    public var description: String {
        switch self {
        case let .sizeMismatch(data, dataShape, modelShape):
            return "\(data) holds \(dataShape) but the model was trained on \(modelShape); "
                + "pass --data with examples of that size."
        case let .noTestSplit(data):
            return "\(data) has no test split (t10k-images-idx3-ubyte); pass --split train, or a folder with test files."
        }
    }

    public var errorDescription: String? { description }
}

/// The data of a run, loaded once as its settings say: training and test examples with their scaling.
public struct RunData {
    public let train: TrainingData
    /// The test split (images scaled by `PixelScaling.forEvaluation`), or nil when the folder has none.
    public let test: TrainingData?
    /// Image height and width for image data, nil for points.
    public let imageHeight: Int?
    public let imageWidth: Int?
    /// What was loaded, for the user ("bundled MNIST subset: 4,000 train / 1,000 test images, …").
    public let description: String
    /// The data folder's name as the user knows it (for errors).
    public let sourceName: String
    /// The first `plottedPoints` 2-D training points of a Swiss roll (for scatter plots), else nil.
    public let points: [Float]?
    /// Examples that are scored or shown rather than trained on: the test split, or the training split
    /// (scaled for evaluation) when there is none.
    public let evaluationExamples: EvaluationExamples
    /// The training split scaled for evaluation (deterministic, never dynamically binarized).
    public let evaluationTrain: TrainingData
    /// How many training points scatter plots show.
    public static let plottedPoints = 4000

    /// Loads the data a run trains on.
    /// - Parameter settings: the architecture (labels needed? output range) and the training settings
    ///   (dataset kind, folder, limit, scaling, Swiss-roll size and noise, seed).
    public static func load(_ settings: RunSettings) throws -> RunData {
        let t = settings.training
        switch t.dataset {
        case .mnist:
            let location = try DataLocation.resolve(explicitFolder: t.dataFolder)
            let dataset = try MNISTDataset(folder: location.folder,
                                           options: .init(requireLabels: settings.model.isConditional, trainLimit: t.limit))
            let evaluationScaling = PixelScaling.forEvaluation(output: settings.model.output)
            let test = dataset.test?.withScaling(evaluationScaling)
            let examples = test.map { EvaluationExamples(data: $0, split: "test") }
                ?? EvaluationExamples(data: dataset.train.withScaling(evaluationScaling), split: "training")
            return RunData(train: dataset.train.withScaling(t.scaling), test: test, imageHeight: dataset.height,
                           imageWidth: dataset.width, description: "\(location.description): \(dataset.summary)",
                           sourceName: location.description, points: nil, evaluationExamples: examples,
                           evaluationTrain: dataset.train.withScaling(evaluationScaling))
        case .swissRoll:
            var generator = t.streams.swissRollData
            let count = t.limit.map { min($0, t.swissRollCount) } ?? t.swissRollCount
            let roll = SwissRoll(count: count, noise: t.swissRollNoise, generator: &generator)
            let test = SwissRoll(count: max(count / 4, 1), noise: t.swissRollNoise, generator: &generator)
            // Standardise the test set with the training set's statistics.
            var testPoints = test.points
            for i in 0..<testPoints.count {
                let d = i % 2
                let raw = testPoints[i] * test.standardDeviations[d] + test.means[d]
                testPoints[i] = (raw - roll.means[d]) / roll.standardDeviations[d]
            }
            let testSet = FloatDataset(rows: testPoints, featureCount: 2)
            return RunData(train: roll.dataset, test: testSet, imageHeight: nil, imageWidth: nil,
                           description: "Swiss roll: \(formatCount(count)) training and \(formatCount(test.count)) test points, noise \(t.swissRollNoise)",
                           sourceName: "Swiss roll", points: Array(roll.points.prefix(2 * plottedPoints)),
                           evaluationExamples: EvaluationExamples(data: testSet, split: "test"),
                           evaluationTrain: roll.dataset)
        }
    }


    /// The examples of `split`, scaled for evaluation.
    /// - Throws: `RunDataError.noTestSplit` when the test split is asked for and the folder has none.
    public func examples(of split: DataSplit) throws -> EvaluationExamples {
        switch split {
        case .train: return EvaluationExamples(data: evaluationTrain, split: "training")
        case .test:
            guard let test else { throw RunDataError.noTestSplit(data: sourceName) }
            return EvaluationExamples(data: test, split: "test")
        }
    }

    /// Checks that the examples have the size `model` was trained on.
    public func requireFits(_ model: VAEConfiguration) throws {
        if let height = imageHeight, let width = imageWidth, let modelHeight = model.imageHeight, let modelWidth = model.imageWidth,
           height != modelHeight || width != modelWidth {
            throw RunDataError.sizeMismatch(data: sourceName, dataShape: "\(width)×\(height) images (\(width * height) values each)",
                                            modelShape: "\(modelWidth)×\(modelHeight) (\(model.inputSize) values)")
        }
        if train.featureCount != model.inputSize {
            throw RunDataError.sizeMismatch(data: sourceName, dataShape: "\(train.featureCount) values per example",
                                            modelShape: "\(model.inputSize) values per example")
        }
    }
}

/// Examples to score or show, and which split they are.
public struct EvaluationExamples {
    public let data: TrainingData
    /// "test" or "training".
    public let split: String
}
