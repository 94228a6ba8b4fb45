import TensorCore

/// One flat buffer for all of a model's parameter values, and one for their gradients.
///
/// Layers take their weight and bias tensors as consecutive slices, so the optimizer, the gradient
/// sum of data-parallel workers and checkpoints can treat the whole model as a single vector.
/// A store made with `init(sharingValuesOf:)` reads the same values but has its own gradients.
public final class ParameterStore: @unchecked Sendable {
    /// Total number of scalars the store holds.
    public let capacity: Int
    /// The values, `capacity` floats.
    public let values: UnsafeMutablePointer<Float>
    /// The gradients, `capacity` floats.
    public let gradients: UnsafeMutablePointer<Float>
    /// How many scalars have been handed out as tensors.
    public private(set) var used = 0
    /// The tensors handed out, in order.
    public private(set) var tensors: [Tensor] = []
    private let ownsValues: Bool

    /// A zero-filled store of `capacity` scalars.
    public init(capacity: Int) {
        precondition(capacity >= 0, "ParameterStore: negative capacity")
        self.capacity = capacity
        values = allocateAligned(floats: max(capacity, 1))
        values.initialize(repeating: 0, count: max(capacity, 1))
        gradients = allocateAligned(floats: max(capacity, 1))
        gradients.initialize(repeating: 0, count: max(capacity, 1))
        ownsValues = true
    }

    /// A store that shares `other`'s values and hands out tensors at the same offsets, with its own
    /// gradients (a data-parallel worker's view of the model).
    public init(sharingValuesOf other: ParameterStore) {
        capacity = other.capacity
        values = other.values
        gradients = allocateAligned(floats: max(capacity, 1))
        gradients.initialize(repeating: 0, count: max(capacity, 1))
        ownsValues = false
        for t in other.tensors { _ = makeTensor(shape: t.shape, name: t.name) }
    }

    deinit {
        if ownsValues { values.deallocate() }
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
