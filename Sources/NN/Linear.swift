import SeededRandom
import TensorCore

/// A fully connected layer y = f(x · Wᵀ + b), with W in PyTorch's [out, in] layout or stored
/// transposed (`WeightLayout`).
///
/// Initialisation follows PyTorch's `nn.Linear` defaults: W and b uniform in ±1/√in
/// (kaiming_uniform with a = √5 reduces to exactly that bound for W), drawn in W's [out, in] order
/// whatever the layout, so a seed gives the same layer either way.
public final class Linear {
    /// The weight as stored: [outputSize, inputSize], or [inputSize, outputSize] for `.inputsByOutputs`.
    public let weight: Tensor
    /// How `weight` is stored.
    public let layout: WeightLayout
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
    ///   - layout: how the weight is stored (default PyTorch's [out, in]).
    public init(inputSize: Int, outputSize: Int, name: String, store: ParameterStore? = nil,
                layout: WeightLayout = .outputsByInputs, generator: inout SeededGenerator) {
        precondition(inputSize > 0 && outputSize > 0, "Linear \(name): sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.layout = layout
        let store = store ?? ParameterStore(capacity: Linear.parameterCount(inputSize: inputSize, outputSize: outputSize))
        weight = store.makeTensor(shape: layout.storedShape(inputs: inputSize, outputs: outputSize), name: name + ".weight")
        bias = store.makeTensor(shape: [outputSize], name: name + ".bias")
        retainedStore = store
        let bound = 1 / Float(inputSize).squareRoot()
        var drawn = [Float](repeating: 0, count: weight.count)
        drawn.withUnsafeMutableBufferPointer { generator.fillUniform($0, low: -bound, high: bound) }
        drawn.withUnsafeBufferPointer { copyWeight(reference: $0.baseAddress!, toStored: weight.data) }
        generator.fillUniform(bias.buffer, low: -bound, high: bound)
    }

    /// A layer over existing tensors (for example views that share another layer's values).
    public init(weight: Tensor, bias: Tensor, layout: WeightLayout = .outputsByInputs) {
        precondition(weight.shape.count == 2 && bias.count == layout.outputs(ofStoredShape: weight.shape),
                     "Linear: weight \(weight.shape) stored \(layout) and bias \(bias.shape) do not fit")
        self.weight = weight
        self.bias = bias
        self.layout = layout
        retainedStore = nil
        outputSize = layout.outputs(ofStoredShape: weight.shape)
        inputSize = layout.inputs(ofStoredShape: weight.shape)
    }

    /// The weight's shape in PyTorch's layout, [outputSize, inputSize] (checkpoints and names use it).
    public var referenceWeightShape: [Int] { [outputSize, inputSize] }

    /// Copies a weight-shaped buffer laid out as stored (the weight, its gradient, an optimizer moment)
    /// into `destination` in PyTorch's [out, in] layout.
    public func copyWeight(stored source: UnsafePointer<Float>, toReference destination: UnsafeMutablePointer<Float>) {
        switch layout {
        case .outputsByInputs: destination.update(from: source, count: weight.count)
        case .inputsByOutputs:
            transpose(rows: inputSize, columns: outputSize, a: source, lda: outputSize, b: destination, ldb: inputSize)
        }
    }

    /// Copies a buffer in PyTorch's [out, in] layout into `destination`, laid out as the weight is stored.
    public func copyWeight(reference source: UnsafePointer<Float>, toStored destination: UnsafeMutablePointer<Float>) {
        switch layout {
        case .outputsByInputs: destination.update(from: source, count: weight.count)
        case .inputsByOutputs:
            transpose(rows: outputSize, columns: inputSize, a: source, lda: inputSize, b: destination, ldb: outputSize)
        }
    }

    /// The layer's parameters, weight first.
    public var parameters: [Tensor] { [weight, bias] }

    /// The layer's parameters as PyTorch names, shapes and lays them out, weight first.
    public var referenceParameters: [ReferenceParameter] {
        [ReferenceParameter(tensor: weight, weightOf: self), ReferenceParameter(tensor: bias, weightOf: nil)]
    }

    /// Records y = f(x · Wᵀ + b) on `tape` (one fused op). Shapes: x [batch, in] → y [batch, out].
    public func callAsFunction(_ x: Tensor, on tape: Tape, activation: Activation = .identity) -> Tensor {
        tape.linear(x, weight: weight, bias: bias, layout: layout, activation: activation)
    }
}

/// A parameter as the reference (PyTorch) names, shapes and lays it out, over the tensor that stores
/// it: checkpoints and reference comparisons read and write parameters, their gradients and
/// optimizer moments through it.
public struct ReferenceParameter {
    /// The stored tensor.
    public let tensor: Tensor
    /// The layer whose weight this is (nil for a bias, always stored as the reference has it).
    let layer: Linear?

    init(tensor: Tensor, weightOf layer: Linear?) {
        self.tensor = tensor
        self.layer = layer
    }

    /// The parameter's name, e.g. `encoder.0.weight`.
    public var name: String { tensor.name }
    /// The shape in the reference's layout ([out, in] for a weight).
    public var shape: [Int] { layer?.referenceWeightShape ?? tensor.shape }
    /// Scalars in the parameter.
    public var count: Int { tensor.count }
    /// Whether the stored values are laid out as the reference's (so they can be read in place).
    public var isStoredAsReference: Bool { (layer?.layout ?? .outputsByInputs) == .outputsByInputs }

    /// `count` values laid out as the tensor is stored (its values, gradient or an optimizer moment of
    /// it), in the reference's layout.
    public func referenceValues(stored source: UnsafePointer<Float>) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            copy(stored: source, toReference: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Copies `count` values laid out as stored into `destination`, in the reference's layout.
    public func copy(stored source: UnsafePointer<Float>, toReference destination: UnsafeMutablePointer<Float>) {
        if let layer { layer.copyWeight(stored: source, toReference: destination) } else { destination.update(from: source, count: count) }
    }

    /// Copies `count` values in the reference's layout into `destination`, laid out as stored.
    public func copy(reference source: UnsafePointer<Float>, toStored destination: UnsafeMutablePointer<Float>) {
        if let layer { layer.copyWeight(reference: source, toStored: destination) } else { destination.update(from: source, count: count) }
    }

    /// The parameter's values in the reference's layout.
    public var referenceValues: [Float] { referenceValues(stored: tensor.data) }

    /// The parameter's gradient in the reference's layout (zeros when no backward pass reached it), nil if none is kept.
    public var referenceGradient: [Float]? {
        guard let g = tensor.gradData else { return nil }
        return tensor.hasGradient ? referenceValues(stored: g) : [Float](repeating: 0, count: count)
    }

    /// Sets the values from the reference's layout (`values.count` must equal `count`).
    public func setReferenceValues(_ values: [Float]) {
        precondition(values.count == count, "\(name) needs \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { copy(reference: $0.baseAddress!, toStored: tensor.data) }
    }
}
