/// One named tensor of a checkpoint: a shape and its flat row-major values.
public struct NamedTensor: Sendable, Equatable {
    /// The tensor's key in the checkpoint, e.g. `"encoder.fc1.weight"`.
    public let name: String
    /// Dimensions, outermost first; `[]` is a scalar (one element).
    public let shape: [Int]
    /// The elements in row-major order; `values.count` equals the product of `shape`.
    public let values: TensorValues

    /// The dtype the values are stored as.
    public var dtype: SafeTensorsDType { values.dtype }

    /// Number of elements (the product of `shape`).
    public var elementCount: Int { values.count }

    /// Creates a tensor from already-typed values.
    ///
    /// - Parameters:
    ///   - name: non-empty key, other than `"__metadata__"`.
    ///   - shape: non-negative dimensions whose product equals `values.count`.
    ///   - values: flat row-major elements.
    /// - Precondition: the name is valid and the shape matches the element count.
    public init(name: String, shape: [Int], values: TensorValues) {
        precondition(!name.isEmpty, "tensor names must not be empty")
        precondition(name != SafeTensorsFile.metadataKey, "'\(SafeTensorsFile.metadataKey)' is reserved and cannot name a tensor")
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor '\(name)': shape \(shape) has a negative dimension")
        precondition(shape.reduce(1, *) == values.count,
                     "tensor '\(name)': shape \(shape) needs \(shape.reduce(1, *)) elements but \(values.count) were given")
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// Creates an F32 tensor.
    /// - Parameters:
    ///   - name: non-empty key, other than `"__metadata__"`.
    ///   - shape: dimensions whose product equals `floats.count`.
    ///   - floats: flat row-major elements.
    public init(name: String, shape: [Int], floats: [Float]) {
        self.init(name: name, shape: shape, values: .float32(floats))
    }

    /// Creates an F64 tensor.
    /// - Parameters:
    ///   - name: non-empty key, other than `"__metadata__"`.
    ///   - shape: dimensions whose product equals `doubles.count`.
    ///   - doubles: flat row-major elements.
    public init(name: String, shape: [Int], doubles: [Double]) {
        self.init(name: name, shape: shape, values: .float64(doubles))
    }

    /// Creates an I64 tensor (e.g. an optimizer step count).
    /// - Parameters:
    ///   - name: non-empty key, other than `"__metadata__"`.
    ///   - shape: dimensions whose product equals `int64s.count`.
    ///   - int64s: flat row-major elements.
    public init(name: String, shape: [Int], int64s: [Int64]) {
        self.init(name: name, shape: shape, values: .int64(int64s))
    }

    /// Creates a U64 tensor (e.g. random-generator state words, stored exactly).
    /// - Parameters:
    ///   - name: non-empty key, other than `"__metadata__"`.
    ///   - shape: dimensions whose product equals `uint64s.count`.
    ///   - uint64s: flat row-major elements.
    public init(name: String, shape: [Int], uint64s: [UInt64]) {
        self.init(name: name, shape: shape, values: .uint64(uint64s))
    }
}
