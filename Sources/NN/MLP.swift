import SeededRandom
import TensorCore

/// A stack of fully connected layers with one activation after every layer: y = f(…f(f(x W₀ᵀ + b₀) W₁ᵀ + b₁)…).
///
/// Layers are named `prefix.0`, `prefix.1`, … (PyTorch's `nn.Sequential` numbering of the linear layers).
public final class MLP {
    /// The layers, input side first.
    public let layers: [Linear]
    /// The activation after every layer (relu, leaky-relu, tanh, … by name: `Activation(rawValue:)`).
    public let activation: Activation

    /// Builds `widths.count` layers: inputSize → widths[0] → widths[1] → ….
    /// - Parameters:
    ///   - inputSize: features in.
    ///   - widths: each layer's output size (all positive).
    ///   - activation: applied after every layer.
    ///   - namePrefix: parameter names start with it, e.g. "encoder" gives `encoder.0.weight`.
    ///   - store: where the parameters live (default: each layer its own store).
    ///   - generator: draws PyTorch's default initialisation, layer by layer.
    public init(inputSize: Int, widths: [Int], activation: Activation, namePrefix: String,
                store: ParameterStore? = nil, generator: inout SeededGenerator) {
        var layers: [Linear] = []
        var width = inputSize
        for (index, size) in widths.enumerated() {
            layers.append(Linear(inputSize: width, outputSize: size, name: "\(namePrefix).\(index)", store: store,
                                 generator: &generator))
            width = size
        }
        self.layers = layers
        self.activation = activation
    }

    /// An MLP over existing layers.
    public init(layers: [Linear], activation: Activation) {
        for (previous, next) in zip(layers, layers.dropFirst()) {
            precondition(previous.outputSize == next.inputSize,
                         "MLP: \(previous.weight.name) gives \(previous.outputSize) features, \(next.weight.name) takes \(next.inputSize)")
        }
        self.layers = layers
        self.activation = activation
    }

    /// Features out of the last layer (the input size when there are no layers).
    public func outputSize(inputSize: Int) -> Int { layers.last?.outputSize ?? inputSize }

    /// The parameters, layer by layer, weight before bias.
    public var parameters: [Tensor] { layers.flatMap(\.parameters) }

    /// Records the stack on `tape`. Shapes: x [batch, in] → [batch, widths.last].
    public func callAsFunction(_ x: Tensor, on tape: Tape) -> Tensor {
        layers.reduce(x) { h, layer in layer(h, on: tape, activation: activation) }
    }
}
