import SeededRandom
import TensorCore

/// A fully connected layer y = f(x · Wᵀ + b) with weights in PyTorch's [out, in] layout.
///
/// Initialisation follows PyTorch's `nn.Linear` defaults: W and b uniform in ±1/√in
/// (kaiming_uniform with a = √5 reduces to exactly that bound for W).
public final class Linear {
    /// The weight, [outputSize, inputSize].
    public let weight: Tensor
    /// The bias, [outputSize].
    public let bias: Tensor
    public let inputSize: Int
    public let outputSize: Int
    private let retainedStore: ParameterStore?

    /// Scalars in a layer's weight and bias.
    public static func parameterCount(inputSize: Int, outputSize: Int) -> Int { (inputSize + 1) * outputSize }

    /// Creates a layer with PyTorch's default initialisation drawn from `generator`.
    /// - Parameters:
    ///   - inputSize: features in (must be positive).
    ///   - outputSize: features out (must be positive).
    ///   - name: parameter name prefix, e.g. `encoder.0` gives `encoder.0.weight` and `encoder.0.bias`.
    ///   - generator: the seeded source of the initial values.
    ///   - store: where the tensors live (default: a store of their own).
    public init(inputSize: Int, outputSize: Int, name: String, store: ParameterStore? = nil,
                generator: inout SeededGenerator) {
        precondition(inputSize > 0 && outputSize > 0, "Linear \(name): sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let store = store ?? ParameterStore(capacity: Linear.parameterCount(inputSize: inputSize, outputSize: outputSize))
        weight = store.makeTensor(shape: [outputSize, inputSize], name: name + ".weight")
        bias = store.makeTensor(shape: [outputSize], name: name + ".bias")
        retainedStore = store
        let bound = 1 / Float(inputSize).squareRoot()
        generator.fillUniform(weight.buffer, low: -bound, high: bound)
        generator.fillUniform(bias.buffer, low: -bound, high: bound)
    }

    /// A layer over existing tensors (for example views that share another layer's values).
    public init(weight: Tensor, bias: Tensor) {
        precondition(weight.shape.count == 2 && bias.count == weight.shape[0],
                     "Linear: weight \(weight.shape) and bias \(bias.shape) do not fit")
        self.weight = weight
        self.bias = bias
        retainedStore = nil
        outputSize = weight.shape[0]
        inputSize = weight.shape[1]
    }

    /// The layer's parameters, weight first.
    public var parameters: [Tensor] { [weight, bias] }

    /// Records y = f(x · Wᵀ + b) on `tape` (one fused op). Shapes: x [batch, in] → y [batch, out].
    public func callAsFunction(_ x: Tensor, on tape: Tape, activation: Activation = .identity) -> Tensor {
        tape.linear(x, weight: weight, bias: bias, activation: activation)
    }
}
