import Batches
import Foundation
import ImageIO
import MNISTData
import SeededRandom
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
    /// A conditional model needs labels the data does not have.
    case labelsMissing(data: String)

    public var description: String {
        switch self {
        case let .sizeMismatch(data, dataShape, modelShape):
            return "\(data) holds \(dataShape) but the model was trained on \(modelShape); "
                + "pass --data with examples of that size."
        case let .noTestSplit(data):
            return "\(data) has no test split (t10k-images-idx3-ubyte); pass --split train, or a folder with test files."
        case let .labelsMissing(data):
            return "\(data) has no labels, but the model is conditional and encodes each image with its label; "
                + "pass --data with a labelled folder."
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
    /// The training split scaled for evaluation (what `encode --split train` reads).
    public let trainingExamples: EvaluationExamples
    /// A name per class ("0"…"9", or Fashion-MNIST's names; see `ClassNames`); empty without labels.
    public let classNames: [String]
    /// Why the data was not taken from where it usually is (see `DataLocation.note`), to tell the user; nil mostly.
    public var note: String? = nil
    /// How many training points scatter plots show.
    public static let plottedPoints = 4000

    /// Loads the data a run trains on.
    /// - Parameters:
    ///   - settings: the architecture (labels needed? output range) and the training settings
    ///     (dataset kind, folder, limit, scaling, Swiss-roll size and noise, seed).
    ///   - labels: whether labels are read when present (`.whenPresent`, the default: for pictures and
    ///     files coloured or keyed by class) or only when the model takes them (`.whenConditional`: an
    ///     unconditional model then reads no labels file, so damaged or foreign labels do not matter).
    public static func load(_ settings: RunSettings, labels: LabelUse = .whenPresent) throws -> RunData {
        let t = settings.training
        switch t.dataset {
        case .mnist, .fashionMNIST, .kmnist:
            let location = try DataLocation.resolve(explicitFolder: t.dataFolder, dataset: t.dataset.imageSet ?? .mnist)
            let conditional = settings.model.isConditional
            let dataset = try MNISTDataset(folder: location.folder,
                                           options: .init(requireLabels: conditional,
                                                          readLabels: conditional || labels == .whenPresent, trainLimit: t.limit))
            let evaluationScaling = PixelScaling.forEvaluation(output: settings.model.output)
            let test = dataset.test?.withScaling(evaluationScaling)
            let training = EvaluationExamples(data: dataset.train.withScaling(evaluationScaling), split: "training")
            let examples = test.map { EvaluationExamples(data: $0, split: "test") } ?? training
            let classCount = dataset.train.labels == nil ? 0 : dataset.train.classCount
            return RunData(train: dataset.train.withScaling(t.scaling), test: test, imageHeight: dataset.height,
                           imageWidth: dataset.width, description: "\(location.description): \(dataset.summary)",
                           sourceName: location.description, points: nil, evaluationExamples: examples,
                           trainingExamples: training,
                           classNames: ClassNames.names(folder: location.folder, classCount: classCount),
                           note: location.note)
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
                           trainingExamples: EvaluationExamples(data: roll.dataset, split: "training"), classNames: [])
        }
    }

    /// The data a saved model is shown or encoded with: the data it was trained on (all of it, without
    /// the training `--limit`), or `dataFolder` instead when given; checked to fit the model.
    /// - Parameter labels: which labels to read (see `load(_:labels:)`).
    public static func load(for saved: SavedModel, dataFolder: String?, labels: LabelUse = .whenPresent) throws -> RunData {
        var settings = saved.settings
        if let dataFolder {
            settings.training.dataFolder = dataFolder
            settings.training.dataset = .mnist
        }
        settings.training.limit = nil
        let data = try load(settings, labels: labels)
        try data.requireFits(saved.model.configuration)
        return data
    }

    /// The examples of `split`, scaled for evaluation.
    /// - Throws: `RunDataError.noTestSplit` when the test split is asked for and the folder has none.
    public func examples(of split: DataSplit) throws -> EvaluationExamples {
        switch split {
        case .train: return trainingExamples
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

/// When a command reads a data folder's labels.
public enum LabelUse: Sendable, Equatable {
    /// Whenever the folder has them (they colour, key or group the output).
    case whenPresent
    /// Only for a conditional model, whose input they are.
    case whenConditional
}

/// Examples to score or show, and which split they are.
public struct EvaluationExamples {
    public let data: TrainingData
    /// "test" or "training".
    public let split: String

    /// The examples at `indices` (each in 0..<data.count) as float rows, with their labels when the data has them.
    /// - Parameter generator: what a binarized scaling draws from (evaluation scaling draws nothing).
    public func rows(_ indices: [Int], generator: inout SeededGenerator) -> ExampleRows {
        var values = [Float](repeating: 0, count: indices.count * data.featureCount)
        values.withUnsafeMutableBufferPointer { buffer in
            data.fillBatch(indices: indices, into: buffer, generator: &generator)
        }
        let labels = data.labels.map { all in indices.map { Int(all[$0]) } }
        return ExampleRows(count: indices.count, values: values, labels: labels)
    }

    /// The examples at `indices` with the evaluation scaling, which draws nothing.
    public func rows(_ indices: [Int]) -> ExampleRows {
        var unused = SeededGenerator(seed: 0)
        return rows(indices, generator: &unused)
    }

    /// The first `count` examples (at most all of them).
    public func first(_ count: Int) -> ExampleRows { rows(Array(0..<min(count, data.count))) }
}

/// Examples as float rows ([count, featureCount] row-major) with their labels, if any.
public struct ExampleRows {
    public let count: Int
    public let values: [Float]
    public let labels: [Int]?

    /// The labels a model needs: the examples' own for a conditional model, none otherwise.
    /// - Throws: `RunDataError.labelsMissing` when a conditional model meets data without labels.
    public func labels(for model: VAEConfiguration, source: String) throws -> [Int]? {
        guard model.isConditional else { return nil }
        guard let labels else { throw RunDataError.labelsMissing(data: source) }
        return labels
    }
}
