import NN
import SeededRandom
import TensorCore

/// A variational autoencoder with MLP encoder and decoder (Kingma & Welling, 2014).
///
/// Encoder: x (| one-hot label) → hidden layers (activation) → mean μ and log-variance logσ² heads.
/// z = μ + ε ⊙ exp(½ logσ²), ε ~ N(0, I). Decoder: z (| one-hot label) → hidden layers reversed →
/// output layer (sigmoid, tanh or linear). Loss = reconstruction (summed) + β · KL(N(μ, σ²) ‖ N(0, I)).
///
/// Parameter names follow the PyTorch reference: `encoder.K.weight/bias`, `mu.*`, `logvar.*`,
/// `decoder.K.*`, `output.*`; checkpoints hold every weight as PyTorch lays it out, [out, in].
public final class VAE: @unchecked Sendable {
    public let configuration: VAEConfiguration
    /// The encoder's hidden layers (`encoder.K`), each followed by the activation.
    public let encoder: MLP
    public let meanHead: Linear
    public let logVarianceHead: Linear
    /// The decoder's hidden layers (`decoder.K`), each followed by the activation.
    public let decoder: MLP
    public let outputLayer: Linear
    /// The flat buffer holding every parameter (and its gradient), in parameter order.
    public let store: ParameterStore

    /// Scalars in all parameters of a VAE with this configuration, Σ (in + 1) · out over its layers.
    /// - Precondition: the configuration is valid (`problems` is empty), so the count does not overflow.
    public static func parameterCount(_ c: VAEConfiguration) -> Int {
        c.layerShapes.reduce(0) { $0 + Linear.parameterCount(inputSize: $1.inputSize, outputSize: $1.outputSize) }
    }

    /// Creates a VAE with PyTorch's default initialisation, layer by layer in parameter order.
    public convenience init(configuration: VAEConfiguration, generator: inout SeededGenerator) {
        var g = generator
        self.init(configuration: configuration) { inputSize, outputSize, name, layout, store in
            Linear(inputSize: inputSize, outputSize: outputSize, name: name, store: store, layout: layout, generator: &g)
        }
        generator = g
    }

    /// Creates a VAE whose parameters are all zero, to be filled from a checkpoint.
    public convenience init(zeroedWith configuration: VAEConfiguration) {
        self.init(configuration: configuration) { inputSize, outputSize, name, layout, store in
            Linear(weight: store.makeTensor(shape: layout.storedShape(inputs: inputSize, outputs: outputSize),
                                            name: name + ".weight"),
                   bias: store.makeTensor(shape: [outputSize], name: name + ".bias"), layout: layout)
        }
    }

    private init(configuration: VAEConfiguration,
                 makeLayer: (_ inputSize: Int, _ outputSize: Int, _ name: String, _ layout: WeightLayout,
                             _ store: ParameterStore) -> Linear) {
        precondition(configuration.problems.isEmpty, "VAE: invalid configuration: \(configuration.problems.joined(separator: "; "))")
        self.configuration = configuration
        let c = configuration
        let store = ParameterStore(capacity: VAE.parameterCount(c))
        self.store = store
        // Layers in `layerShapes` order: hidden.count encoder layers, mu, logvar, the decoder's, output.
        // Every weight is stored [in, out] (`Self.weightLayout`).
        let layers = c.layerShapes.map { shape in
            makeLayer(shape.inputSize, shape.outputSize, shape.name, Self.weightLayout, store)
        }
        let depth = c.hidden.count
        encoder = MLP(layers: Array(layers[0..<depth]), activation: c.activation)
        meanHead = layers[depth]
        logVarianceHead = layers[depth + 1]
        decoder = MLP(layers: Array(layers[(depth + 2)..<(2 * depth + 2)]), activation: c.activation)
        outputLayer = layers[2 * depth + 2]
    }

    /// How every layer stores its weight: transposed, Wᵀ [in, out] (checkpoints and `referenceParameters`
    /// keep PyTorch's [out, in]). The first encoder layer reads the data and needs it so, to skip the
    /// data's zeros (`SparseInputProducts`); for the others the three products of a training step run
    /// faster so with OpenBLAS. Measured on the AMD EPYC Zen 3 development machine, one thread, batch 128:
    /// the 400 → 784 output layer's forward, weight-gradient and input-gradient products took 0.92–0.93
    /// of the time they take with W stored [out, in] (medians of 300 alternating passes, three runs), and
    /// training ran at 1.043× the images/s (median of 20 alternating pairs; two threads: 0.97–1.01× in
    /// three sets of 16–30 pairs).
    public static let weightLayout = WeightLayout.inputsByOutputs

    /// Every layer, in parameter order.
    public var layers: [Linear] { encoder.layers + [meanHead, logVarianceHead] + decoder.layers + [outputLayer] }

    /// Every parameter tensor as stored, in a fixed order (encoder, mu, logvar, decoder, output; weight
    /// before bias). Weights are stored [in, out] (see `referenceParameters`).
    public var parameters: [Tensor] { store.tensors }

    /// Every parameter as the PyTorch reference names, shapes and lays it out, in `parameters` order.
    public var referenceParameters: [ReferenceParameter] { layers.flatMap(\.referenceParameters) }

    /// The parameter with this name as the reference lays it out, if any.
    public func referenceParameter(named name: String) -> ReferenceParameter? {
        referenceParameters.first { $0.name == name }
    }

    /// The parameter with this name, if any.
    public func parameter(named name: String) -> Tensor? { parameters.first { $0.name == name } }

    /// The number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Multiply-adds of one forward pass per example (for FLOP accounting: a training step costs
    /// about 3 × 2 × this many floating-point operations per example).
    public var multiplyAddsPerExample: Int { layers.reduce(0) { $0 + $1.inputSize * $1.outputSize } }
}

/// The tensors of one recorded forward pass. All are [batch, ·] matrices except the scalar losses.
public struct VAEOutput {
    /// The decoder's pre-activation output, [batch, input].
    public let logits: Tensor
    /// The decoder's output after its activation, [batch, input]; nil when the graph skips it
    /// (BCE training computes its loss straight from the logits).
    public let reconstruction: Tensor?
    /// μ, [batch, latent].
    public let mean: Tensor
    /// logσ², [batch, latent].
    public let logVariance: Tensor
    /// z = μ + ε ⊙ exp(½ logσ²), [batch, latent].
    public let latent: Tensor
    /// The summed reconstruction loss (scalar).
    public let reconstructionLoss: Tensor
    /// The KL divergence of each latent dimension, summed over the batch, [latent].
    public let klPerDimension: Tensor
    /// The summed KL divergence (scalar).
    public let kl: Tensor
    /// The KL term of the objective, w · Σ_j max(f, KL_j), with w and f from `VAEGraph.klControl`
    /// (β and no floor by default: β · kl) (scalar).
    public let klPenalty: Tensor
    /// reconstructionLoss + klPenalty: the objective training minimises (scalar).
    public let loss: Tensor
}

/// A VAE's training computation recorded once for a fixed batch size, replayed every step.
///
/// Write a batch into `input` (and `labels`, `noise`), call `forward()` then `backward()`; the
/// parameters' gradients are then in `model.parameters[i].gradData`. Nothing is allocated per step.
public final class VAEGraph: @unchecked Sendable {
    public let model: VAE
    public let batchSize: Int
    /// The examples, [batch, inputSize].
    public let input: Tensor
    /// ε, [batch, latent].
    public let noise: Tensor
    /// One-hot labels, [batch, classes], for a conditional model.
    public let labels: Tensor?
    public let output: VAEOutput
    /// The KL term's weight w and floor f (KL warm-up and free bits), read at every pass; by default
    /// w = β and no floor, so the objective is the reference's reconstruction + β · KL.
    public let klControl: FlooredSumControl
    private let tape: Tape

    /// Records the forward pass.
    /// - Parameters:
    ///   - model: the VAE (or a worker's view of it).
    ///   - batchSize: rows per step (positive).
    ///   - keepReconstruction: also compute the output activation for BCE models (default false:
    ///     training does not need it).
    ///   - skipsZeroInputs: the first layer skips the input's zeros when a batch is sparse enough
    ///     (`Tape.skipsZeroInputs`; default true); false runs every product through sgemm.
    ///   - defersWeightGradients: `backward()` leaves the parameters' gradients to the caller, who
    ///     computes them from `weightGradients` (`Tape.defersWeightGradients`; default false).
    public init(model: VAE, batchSize: Int, keepReconstruction: Bool = false, skipsZeroInputs: Bool = true,
                defersWeightGradients: Bool = false) {
        precondition(batchSize > 0, "VAEGraph: batch size must be positive")
        self.model = model
        self.batchSize = batchSize
        let c = model.configuration
        let tape = Tape(skipsZeroInputs: skipsZeroInputs, defersWeightGradients: defersWeightGradients)
        self.tape = tape
        let input = Tensor(shape: [batchSize, c.inputSize], name: "x")
        let noise = Tensor(shape: [batchSize, c.latent], name: "eps")
        let labels = c.isConditional ? Tensor(shape: [batchSize, c.classes], name: "labels") : nil
        self.input = input
        self.noise = noise
        self.labels = labels

        var h = labels.map { tape.concatColumns(input, $0) } ?? input
        h = model.encoder(h, on: tape)
        let mean = model.meanHead(h, on: tape)
        let logVariance = model.logVarianceHead(h, on: tape)
        let z = tape.reparameterize(mean: mean, logVariance: logVariance, noise: noise)
        var d = labels.map { tape.concatColumns(z, $0) } ?? z
        d = model.decoder(d, on: tape)

        let logits: Tensor
        let reconstruction: Tensor?
        let reconstructionLoss: Tensor
        switch c.loss {
        case .bce:
            logits = model.outputLayer(d, on: tape)
            reconstructionLoss = tape.binaryCrossEntropyWithLogits(logits, target: input)
            reconstruction = keepReconstruction ? tape.activation(logits, c.output.activation) : nil
        case .mse, .l1:
            logits = model.outputLayer(d, on: tape, activation: c.output.activation)
            reconstruction = logits
            reconstructionLoss = c.loss == .mse ? tape.squaredErrorSum(logits, target: input)
                                                : tape.absoluteErrorSum(logits, target: input)
        }
        let klControl = FlooredSumControl(weight: c.beta)
        self.klControl = klControl
        let klPerDimension = tape.gaussianKLPerDimension(mean: mean, logVariance: logVariance)
        let kl = tape.sum(klPerDimension)
        let klPenalty = tape.flooredSum(klPerDimension, control: klControl)
        let loss = tape.add(reconstructionLoss, klPenalty)
        output = VAEOutput(logits: logits, reconstruction: reconstruction, mean: mean, logVariance: logVariance,
                           latent: z, reconstructionLoss: reconstructionLoss, klPerDimension: klPerDimension, kl: kl,
                           klPenalty: klPenalty, loss: loss)
    }

    /// The matrix products one forward and backward pass runs (see `Tape.matrixProducts`).
    public var matrixProducts: [MatrixProduct] { tape.matrixProducts }

    /// Recomputes every tensor from the current input, noise, labels and parameters.
    public func forward() { tape.forward() }

    /// Back-propagates the loss into every parameter's gradient (or, when the graph defers them, up to
    /// what `weightGradients` needs).
    public func backward() { tape.backward(from: output.loss) }

    /// One per layer, in parameter order, when the graph defers its weight gradients (else empty).
    public var weightGradients: [LinearWeightGradient] { tape.weightGradients }
}
