/// The reverse-mode tape: records each operation's forward and backward functions in order.
///
/// Building a model's computation once on a tape allocates every intermediate tensor once. After that,
/// a training step writes new inputs into the input tensors and calls `forward()` (replays every
/// forward function into the same buffers) and `backward(from:)` (runs the backward functions in
/// reverse order). Gradients accumulate with `+=` into every tensor that requires one, as in
/// micrograd; a parameter's gradient is overwritten on the first contribution after `zeroGrad()`.
public final class Tape {
    private struct Node {
        let output: Tensor
        let forward: () -> Void
        let backward: (() -> Void)?
    }

    private var nodes: [Node] = []
    private var forwardProducts: [MatrixProduct] = []
    private var backwardProducts: [MatrixProduct] = []

    /// Whether linear layers over an input that needs no gradient (the data) skip the input's zeros
    /// (`SparseInputProducts`) when it is sparse enough; read when an op is recorded (default true).
    /// False runs every product through sgemm, the dense reference the sparse products are checked
    /// and benchmarked against.
    public var skipsZeroInputs: Bool

    /// The largest share of nonzero inputs for which a layer skips the zeros (0.35; see
    /// `SparseInputProducts.densityLimit` for the measurement behind it).
    public static let sparseInputDensityLimit = SparseInputProducts.densityLimit

    /// Whether linear layers leave their weight and bias gradients to the caller (default false): the
    /// backward pass then computes every other gradient and keeps what dW and db need in
    /// `weightGradients`, one per linear layer whose weight needs a gradient, in recording order.
    /// Read when an op is recorded.
    public var defersWeightGradients: Bool

    /// The linear layers' deferred parameter gradients (empty unless `defersWeightGradients`).
    public internal(set) var weightGradients: [LinearWeightGradient] = []

    public init(skipsZeroInputs: Bool = true, defersWeightGradients: Bool = false) {
        self.skipsZeroInputs = skipsZeroInputs
        self.defersWeightGradients = defersWeightGradients
    }

    /// The matrix products one `forward()` and one full `backward(from:)` run, as the ops declared them
    /// when they were recorded: the forward products in recording order, then the backward ones in
    /// recording order (backward runs them in reverse). Benchmarks time exactly these shapes.
    public var matrixProducts: [MatrixProduct] { forwardProducts + backwardProducts }

    /// Declares a matrix product that the op being recorded runs in its forward or backward function.
    public func declare(_ product: MatrixProduct) {
        if product.role == .forward { forwardProducts.append(product) } else { backwardProducts.append(product) }
    }

    /// The number of recorded operations.
    public var operationCount: Int { nodes.count }

    /// Records an operation and runs its forward function once.
    /// - Parameters:
    ///   - output: the tensor the operation writes.
    ///   - forward: recomputes `output` from the inputs' current values.
    ///   - backward: adds the operation's contribution to its inputs' gradients, reading
    ///     `output.gradData`; nil when no input requires a gradient.
    public func record(output: Tensor, forward: @escaping () -> Void, backward: (() -> Void)?) {
        forward()
        nodes.append(Node(output: output, forward: forward, backward: output.requiresGrad ? backward : nil))
    }

    /// Replays every recorded forward function, in order, on the inputs' current values.
    public func forward() {
        for node in nodes { node.forward() }
    }

    /// Back-propagates from a one-element `loss`: d loss / d loss = 1, then every recorded backward
    /// function in reverse order. Intermediate gradients are reset first; parameters keep adding
    /// until their `zeroGrad()`.
    public func backward(from loss: Tensor) {
        precondition(loss.count == 1, "backward(from:) needs a one-element loss, got shape \(loss.shape)")
        var one: Float = 1
        backward(from: loss, seed: &one)
    }

    /// Back-propagates from any recorded tensor `output`, seeding d objective / d output with the
    /// `output.count` values at `seed` (a vector-Jacobian product; gradient checks use it).
    public func backward(from output: Tensor, seed: UnsafePointer<Float>) {
        precondition(output.requiresGrad, "backward(from:): the output does not depend on any tensor that requires a gradient")
        for node in nodes { node.output.hasGradient = false }
        output.gradData!.update(from: seed, count: output.count)
        output.hasGradient = true
        for node in nodes.reversed() where node.output.hasGradient {
            node.backward?()
        }
    }
}
