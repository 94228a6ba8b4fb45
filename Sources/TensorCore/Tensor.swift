/// Room for `floats` floats starting on a 64-byte boundary (a cache line), so that vector loads of
/// rows whose length is a multiple of 16 never straddle two lines; uninitialised. Free it with
/// `deallocate()` like any other pointer.
public func allocateAligned(floats: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
        .bindMemory(to: Float.self, capacity: floats)
}

/// A float32 tensor: contiguous, row-major storage allocated once, plus an optional gradient buffer.
///
/// `Tensor` is a reference type on purpose: a training step reads and writes the same buffers every
/// time (no allocation, no copy-on-write), and the tape's recorded operations refer to tensors by
/// identity. Rank 0 (a scalar, one element), rank 1 and rank 2 are used; ops that need a matrix say so
/// in a precondition.
public final class Tensor: @unchecked Sendable {
    /// The dimensions, outermost first (`[rows, columns]` for a matrix, `[]` for a scalar).
    public let shape: [Int]
    /// The number of elements (product of `shape`, 1 for a scalar).
    public let count: Int
    /// The values, `count` floats, row-major.
    public let data: UnsafeMutablePointer<Float>
    /// Whether gradients flow into this tensor.
    public let requiresGrad: Bool
    /// The gradient buffer (`count` floats) when `requiresGrad`; its contents are meaningful only
    /// while `hasGradient` is true.
    public let gradData: UnsafeMutablePointer<Float>?
    /// True once a backward pass has written this tensor's gradient since the last `zeroGrad()`.
    public internal(set) var hasGradient = false
    /// An optional name, used in error messages and checkpoints.
    public var name: String

    private let ownsData: Bool
    private var ownsGradient = true

    /// A zero-filled tensor.
    /// - Parameters:
    ///   - shape: the dimensions; every entry must be non-negative.
    ///   - requiresGrad: whether to allocate a gradient (default false).
    ///   - name: a label for messages (default empty).
    public init(shape: [Int], requiresGrad: Bool = false, name: String = "") {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.requiresGrad = requiresGrad
        self.name = name
        self.ownsData = true
        data = Tensor.allocateZeros(count)
        gradData = requiresGrad ? Tensor.allocateZeros(count) : nil
    }

    /// A tensor holding `values` (row-major); `values.count` must equal the product of `shape`.
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false, name: String = "") {
        self.init(shape: shape, requiresGrad: requiresGrad, name: name)
        precondition(values.count == count,
                     "Tensor \(name.isEmpty ? "" : "'\(name)' ")of shape \(shape) needs \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor over memory owned by someone else (for example a slice of a flat parameter buffer).
    ///
    /// The caller keeps `data` (and `gradient`, when given) alive and large enough for the shape.
    public init(shape: [Int], viewing data: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>?,
                name: String = "") {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.name = name
        self.data = data
        self.requiresGrad = gradient != nil
        self.gradData = gradient
        ownsData = false
        ownsGradient = false
    }

    /// A zero-filled buffer of `count` floats (at least one, so a scalar or empty tensor has an address).
    private static func allocateZeros(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = allocateAligned(floats: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        return pointer
    }

    deinit {
        if ownsData { data.deallocate() }
        if ownsGradient { gradData?.deallocate() }
    }

    /// Rows of a matrix (rank 2), or 1 for rank 0 and rank 1.
    public var rows: Int { shape.count == 2 ? shape[0] : 1 }
    /// Columns of a matrix (rank 2), the length of a vector (rank 1), or 1 for a scalar.
    public var columns: Int { shape.count == 2 ? shape[1] : (shape.count == 1 ? shape[0] : 1) }

    /// The values as a buffer.
    @inline(__always)
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// A copy of the values as an array; setting it copies the array in (sizes must match).
    public var values: [Float] {
        get { Array(buffer) }
        set {
            precondition(newValue.count == count, "Tensor of shape \(shape) needs \(count) values, got \(newValue.count)")
            newValue.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
        }
    }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar needs a one-element tensor, shape is \(shape)")
        return data[0]
    }

    /// A copy of the gradient (zeros when no backward pass has reached this tensor), nil if none is kept.
    public var gradient: [Float]? {
        guard let g = gradData else { return nil }
        return hasGradient ? Array(UnsafeBufferPointer(start: g, count: count)) : [Float](repeating: 0, count: count)
    }

    /// Forgets the gradient: the next backward pass overwrites instead of adding.
    public func zeroGrad() { hasGradient = false }

    /// Copies `count` values from `source`.
    public func copyValues(from source: UnsafePointer<Float>) { data.update(from: source, count: count) }

    /// Sets every value to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Element `i` of the flat, row-major storage.
    public subscript(_ i: Int) -> Float {
        get { precondition(i >= 0 && i < count, "index \(i) out of range for \(count) elements"); return data[i] }
        set { precondition(i >= 0 && i < count, "index \(i) out of range for \(count) elements"); data[i] = newValue }
    }

    /// Element at `row`, `column` of a matrix.
    public subscript(_ row: Int, _ column: Int) -> Float {
        get { data[flatIndex(row, column)] }
        set { data[flatIndex(row, column)] = newValue }
    }

    private func flatIndex(_ row: Int, _ column: Int) -> Int {
        precondition(shape.count == 2, "two-index access needs a matrix, shape is \(shape)")
        precondition(row >= 0 && row < shape[0] && column >= 0 && column < shape[1],
                     "index (\(row), \(column)) out of range for shape \(shape)")
        return row * shape[1] + column
    }

    // MARK: Gradient writing, used by backward functions
    //
    // Every backward function writes a gradient in one of two ways:
    // - elementwise, through `writeGradient(_:)`: g[i] ← (g[i] if it already holds a contribution, else 0) + value(i);
    // - through a kernel that takes a "keep the old contents" factor (sgemm's beta, column sums): `gradientBeta()`.
    // Overwriting the first contribution after a reset saves zero-filling every gradient buffer each step.

    /// Marks this tensor's gradient as written and tells whether it already held a contribution.
    @inline(__always)
    private func beginGradientWrite() -> Bool {
        let accumulate = hasGradient
        hasGradient = true
        return accumulate
    }

    /// The factor a kernel should scale the gradient's old contents by before adding its contribution:
    /// 1 when the gradient already holds one, 0 for the first (the old contents are then ignored).
    @inline(__always)
    func gradientBeta() -> Float { beginGradientWrite() ? 1 : 0 }

    /// Adds `value(i)` to gradient element i for every i in 0..<count, or writes it when this is the
    /// first contribution since the last reset. Does nothing when the tensor needs no gradient.
    /// Inlined, so the closure becomes a plain (vectorisable) loop body.
    @inline(__always)
    func writeGradient(_ value: (Int) -> Float) {
        guard let g = gradData else { return }
        let n = count
        if beginGradientWrite() {
            for i in 0..<n { g[i] += value(i) }
        } else {
            for i in 0..<n { g[i] = value(i) }
        }
    }

    /// Adds `scale · values[i]` into the gradient (see `writeGradient(_:)`).
    @inline(__always)
    func accumulateGradient(_ values: UnsafePointer<Float>, scale: Float = 1) {
        if scale == 1 {
            writeGradient { values[$0] }
        } else {
            writeGradient { scale * values[$0] }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = buffer.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(name.isEmpty ? "" : " '\(name)'")\(shape)[\(preview)\(count > 8 ? ", …" : "")]"
    }
}

/// Checks that two tensors have the same shape, naming the operation when they do not.
@inline(__always)
func requireSameShape(_ a: Tensor, _ b: Tensor, _ op: StaticString) {
    precondition(a.shape == b.shape, "\(op): shapes \(a.shape) and \(b.shape) differ")
}

/// Checks that a tensor is a matrix, naming the operation when it is not.
@inline(__always)
func requireMatrix(_ a: Tensor, _ op: StaticString) {
    precondition(a.shape.count == 2, "\(op): needs a matrix, got shape \(a.shape)")
}
