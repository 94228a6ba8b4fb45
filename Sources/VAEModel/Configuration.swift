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

    public init(inputSize: Int, hidden: [Int] = [400], latent: Int = 20, activation: Activation = .relu,
                output: OutputActivation = .sigmoid, loss: ReconstructionLoss = .bce, beta: Float = 1,
                classes: Int = 0, imageHeight: Int? = nil, imageWidth: Int? = nil) {
        self.inputSize = inputSize; self.hidden = hidden; self.latent = latent; self.activation = activation
        self.output = output; self.loss = loss; self.beta = beta; self.classes = classes
        self.imageHeight = imageHeight; self.imageWidth = imageWidth
    }

    /// Whether labels are fed to the encoder and decoder.
    public var isConditional: Bool { classes > 0 }

    /// Problems that make this configuration unusable, as sentences; empty when valid.
    public var problems: [String] {
        var result: [String] = []
        if inputSize <= 0 { result.append("the input size must be positive (got \(inputSize))") }
        if hidden.isEmpty { result.append("at least one hidden layer is needed") }
        if hidden.contains(where: { $0 <= 0 }) { result.append("hidden widths must be positive (got \(hidden))") }
        if latent <= 0 { result.append("the latent size must be positive (got \(latent))") }
        if !(beta >= 0) || !beta.isFinite { result.append("beta must be a finite number ≥ 0 (got \(beta))") }
        if classes < 0 { result.append("the class count must be ≥ 0 (got \(classes))") }
        if loss == .bce && output != .sigmoid {
            result.append("the bce loss needs the sigmoid output (got \(output.rawValue)); use --loss mse or l1")
        }
        return result
    }
}
