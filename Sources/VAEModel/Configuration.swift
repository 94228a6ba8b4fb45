import TensorCore

/// The decoder's output activation.
public enum OutputActivation: String, Codable, Sendable, CaseIterable {
    /// Values in (0, 1); the default, required by the BCE loss.
    case sigmoid
    /// Values in (−1, 1), for data scaled to [−1, 1].
    case tanh
    /// Unbounded values, for real-valued data such as the Swiss roll.
    case linear

    /// The interval the data must be scaled to for this output to be able to reach it: the one rule
    /// behind pixel scaling (sigmoid → [0, 1], tanh → [−1, 1], linear → the data as it is).
    public var dataRange: DataRange {
        switch self {
        case .sigmoid: .unitInterval
        case .tanh: .symmetricInterval
        case .linear: .unbounded
        }
    }

    /// The tensor activation this output applies.
    public var activation: Activation {
        switch self {
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        case .linear: .identity
        }
    }
}

/// The values a model's data lies in, as its output activation requires.
public enum DataRange: Sendable, Equatable {
    /// [0, 1]: pixels as intensity / 255.
    case unitInterval
    /// [−1, 1]: pixels as intensity / 127.5 − 1.
    case symmetricInterval
    /// Any real values (points, standardised features).
    case unbounded
}

/// The reconstruction term of the loss, summed over the batch and every element.
public enum ReconstructionLoss: String, Codable, Sendable, CaseIterable {
    /// Binary cross-entropy from the logits (needs the sigmoid output).
    case bce
    /// Squared error, Σ (x̂ − x)².
    case mse
    /// Absolute error, Σ |x̂ − x|.
    case l1
}

/// Everything that defines a VAE's architecture and loss.
public struct VAEConfiguration: Codable, Equatable, Sendable {
    /// Features per example (784 for 28×28 images).
    public var inputSize: Int
    /// Hidden widths of the encoder, in order; the decoder uses them reversed. Default [400].
    public var hidden: [Int]
    /// Latent dimensions. Default 20.
    public var latent: Int
    /// Activation after every hidden layer. Default relu.
    public var activation: Activation
    /// The decoder's output activation. Default sigmoid.
    public var output: OutputActivation
    /// The reconstruction loss. Default bce.
    public var loss: ReconstructionLoss
    /// Weight of the KL term: loss = reconstruction + beta · KL. Default 1.
    public var beta: Float
    /// Number of classes of a conditional VAE (one-hot label appended to the encoder and decoder
    /// inputs), or 0 for an unconditional one.
    public var classes: Int
    /// Image height and width when the examples are images (for sample grids), else nil.
    public var imageHeight: Int?
    public var imageWidth: Int?

    /// The hidden layer widths of the default model (the PyTorch example's 784-400-20).
    public static let defaultHidden = [400]

    public init(inputSize: Int, hidden: [Int] = defaultHidden, latent: Int = 20, activation: Activation = .relu,
                output: OutputActivation = .sigmoid, loss: ReconstructionLoss = .bce, beta: Float = 1,
                classes: Int = 0, imageHeight: Int? = nil, imageWidth: Int? = nil) {
        self.inputSize = inputSize; self.hidden = hidden; self.latent = latent; self.activation = activation
        self.output = output; self.loss = loss; self.beta = beta; self.classes = classes
        self.imageHeight = imageHeight; self.imageWidth = imageWidth
    }

    /// Whether labels are fed to the encoder and decoder.
    public var isConditional: Bool { classes > 0 }

    /// Problems that make this configuration unusable, as sentences naming the flag that sets each value;
    /// empty when valid. The same rules check flags (`vae train`) and configurations read from files.
    public var problems: [String] {
        var result: [String] = []
        if inputSize < 1 { result.append("the input size must be at least 1 (got \(inputSize))") }
        if let problem = Self.hiddenProblem(hidden) { result.append(problem) }
        if let problem = Self.latentProblem(latent) { result.append(problem) }
        if let problem = Self.betaProblem(beta) { result.append(problem) }
        if let problem = Self.classesProblem(classes) { result.append(problem) }
        if let problem = Self.outputProblem(loss: loss, output: output) { result.append(problem) }
        if let problem = Self.imageProblem(height: imageHeight, width: imageWidth, inputSize: inputSize) { result.append(problem) }
        if result.isEmpty && checkedParameterCount == nil {
            result.append("the parameter count of a \(sizesText) model overflows a 64-bit integer")
        }
        return result
    }

    /// The most hidden layers a model may have.
    public static let maximumHiddenLayers = 64
    /// The most classes a conditional model may have (labels are IDX bytes).
    public static let maximumClasses = 256
    /// The longest image side, in pixels.
    public static let maximumImageSide = 8192

    /// Why `hidden` cannot be the hidden widths (`--hidden`), or nil.
    public static func hiddenProblem(_ hidden: [Int]) -> String? {
        if !(1...maximumHiddenLayers).contains(hidden.count) {
            return "--hidden must list 1 to \(maximumHiddenLayers) widths (got \(hidden.count))"
        }
        if hidden.contains(where: { $0 < 1 }) { return "--hidden widths must be at least 1 (got \(hidden))" }
        return nil
    }

    /// Why `latent` cannot be the latent size (`--latent`), or nil.
    public static func latentProblem(_ latent: Int) -> String? {
        latent >= 1 ? nil : "--latent must be at least 1 (got \(latent))"
    }

    /// Why `beta` cannot weight the KL term (`--beta`), or nil.
    public static func betaProblem(_ beta: Float) -> String? {
        beta >= 0 && beta.isFinite ? nil : "--beta must be a finite number ≥ 0 (got \(beta))"
    }

    /// Why `classes` cannot be the class count (`--conditional` gives 10), or nil.
    public static func classesProblem(_ classes: Int) -> String? {
        (0...maximumClasses).contains(classes) ? nil : "the class count must be between 0 and \(maximumClasses) (got \(classes))"
    }

    /// Why this loss cannot go with this output activation, or nil.
    public static func outputProblem(loss: ReconstructionLoss, output: OutputActivation) -> String? {
        loss == .bce && output != .sigmoid
            ? "the bce loss needs the sigmoid output (got \(output.rawValue)); use --output-activation sigmoid, or --loss mse or l1"
            : nil
    }

    /// Why an image size cannot go with an input size, or nil: both sides or neither, each between 1 and
    /// `maximumImageSide`, and height × width = the input size.
    public static func imageProblem(height: Int?, width: Int?, inputSize: Int) -> String? {
        switch (height, width) {
        case (nil, nil):
            return nil
        case let (height?, width?):
            for (name, side) in [("height", height), ("width", width)] where !(1...maximumImageSide).contains(side) {
                return "the image \(name) must be between 1 and \(maximumImageSide) pixels (got \(side))"
            }
            if height * width != inputSize {
                return "the image size \(height)×\(width) (\(height * width) values) differs from the input size \(inputSize)"
            }
            return nil
        default:
            return "the image height and width must be given together (got \(height.map(String.init) ?? "none") "
                + "and \(width.map(String.init) ?? "none"))"
        }
    }

    /// The layers in parameter order: `encoder.K`, `mu`, `logvar`, `decoder.K`, `output`, each with
    /// weight [outputSize, inputSize] and bias [outputSize]. Encoder input = inputSize + classes;
    /// decoder input = latent + classes.
    public var layerShapes: [LayerShape] {
        var shapes: [LayerShape] = []
        var width = inputSize + classes
        for (k, h) in hidden.enumerated() {
            shapes.append(LayerShape(name: "encoder.\(k)", inputSize: width, outputSize: h))
            width = h
        }
        shapes.append(LayerShape(name: "mu", inputSize: width, outputSize: latent))
        shapes.append(LayerShape(name: "logvar", inputSize: width, outputSize: latent))
        width = latent + classes
        for (k, h) in hidden.reversed().enumerated() {
            shapes.append(LayerShape(name: "decoder.\(k)", inputSize: width, outputSize: h))
            width = h
        }
        shapes.append(LayerShape(name: "output", inputSize: width, outputSize: inputSize))
        return shapes
    }

    /// Scalars in all parameters, Σ (in + 1) · out over `layerShapes`, or nil when a size is negative
    /// or the count overflows `Int` (computed without trapping, whatever the sizes).
    public var checkedParameterCount: Int? {
        guard inputSize >= 0, latent >= 0, classes >= 0, hidden.allSatisfy({ $0 >= 0 }) else { return nil }
        func layer(_ inputs: Int?, _ outputs: Int) -> Int? {
            guard let inputs, let widened = checkedSum([inputs, 1]) else { return nil }
            return checkedProduct([widened, outputs])
        }
        var counts: [Int?] = []
        var width = checkedSum([inputSize, classes])
        for h in hidden { counts.append(layer(width, h)); width = h }
        counts.append(layer(width, latent))
        counts.append(layer(width, latent))
        width = checkedSum([latent, classes])
        for h in hidden.reversed() { counts.append(layer(width, h)); width = h }
        counts.append(layer(width, inputSize))
        guard counts.allSatisfy({ $0 != nil }) else { return nil }
        return checkedSum(counts.compactMap { $0 })
    }

    /// The layer sizes, e.g. "784-400-20".
    public var sizesText: String { ([inputSize] + hidden + [latent]).map(String.init).joined(separator: "-") }
}

/// One linear layer of a VAE: its parameter name prefix (`encoder.0`, `mu`, …) and sizes; the weight
/// is [outputSize, inputSize] and the bias [outputSize].
public struct LayerShape: Equatable, Sendable {
    public let name: String
    public let inputSize: Int
    public let outputSize: Int
}

/// Σ values, or nil when it overflows `Int`.
public func checkedSum(_ values: [Int]) -> Int? {
    var total = 0
    for value in values {
        let (sum, overflow) = total.addingReportingOverflow(value)
        if overflow { return nil }
        total = sum
    }
    return total
}

/// Π values, or nil when it overflows `Int`.
public func checkedProduct(_ values: [Int]) -> Int? {
    var total = 1
    for value in values {
        let (product, overflow) = total.multipliedReportingOverflow(by: value)
        if overflow { return nil }
        total = product
    }
    return total
}
