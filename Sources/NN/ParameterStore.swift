import TensorCore

/// One flat buffer for all of a model's parameter values, and one for their gradients.
///
/// Layers take their weight and bias tensors as consecutive slices, so the optimizer and checkpoints can
/// treat the whole model as a single vector.
public final class ParameterStore: @unchecked Sendable {
    /// Total number of scalars the store holds.
    public let capacity: Int
    /// The values, `capacity` floats.
    public let values: UnsafeMutablePointer<Float>
    /// The gradients, `capacity` floats. Not zero-filled: a tensor's gradient counts only once a backward
    /// pass has written it (`Tensor.hasGradient`; the first contribution overwrites), so a model that is
    /// only run forward (sampling, evaluation) never touches these pages.
    public let gradients: UnsafeMutablePointer<Float>
    /// How many scalars have been handed out as tensors.
    public private(set) var used = 0
    /// The tensors handed out, in order.
    public private(set) var tensors: [Tensor] = []

    /// A store of `capacity` scalars whose values are zero.
    public init(capacity: Int) {
        precondition(capacity >= 0, "ParameterStore: negative capacity")
        self.capacity = capacity
        values = allocateAligned(floats: max(capacity, 1))
        values.initialize(repeating: 0, count: max(capacity, 1))
        gradients = allocateAligned(floats: max(capacity, 1))
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
    }

    /// Hands out the next `shape`-sized slice as a tensor with a gradient.
    public func makeTensor(shape: [Int], name: String) -> Tensor {
        let count = shape.reduce(1, *)
        precondition(used + count <= capacity, "ParameterStore: \(name) \(shape) does not fit (\(used) of \(capacity) used)")
        let t = Tensor(shape: shape, viewing: values + used, gradient: gradients + used, name: name)
        used += count
        tensors.append(t)
        return t
    }

    /// The tensor named `name`, if any.
    public func tensor(named name: String) -> Tensor? { tensors.first { $0.name == name } }

    /// Marks every gradient as empty (the next backward pass overwrites it).
    public func zeroGrad() { for t in tensors { t.zeroGrad() } }
}
