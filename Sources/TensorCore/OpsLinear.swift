// Matrix products and the fused linear layer, forward and backward side by side.

extension Tape {
    // MARK: matmul — C[m, n] = op(A)[m, k] · op(B)[k, n]

    /// The matrix product `op(a) · op(b)`, where `op` transposes when asked.
    ///
    /// Shapes: `a` is [m, k] (or [k, m] transposed), `b` is [k, n] (or [n, k] transposed); result [m, n].
    /// Backward: dA += dC · op(B)ᵀ, dB += op(A)ᵀ · dC (written back in each operand's stored layout).
    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        requireMatrix(a, "matmul"); requireMatrix(b, "matmul")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kB = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == kB, "matmul: inner sizes differ, \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let c = Tensor(shape: [m, n], requiresGrad: a.requiresGrad || b.requiresGrad)
        let tA: Transpose = transposeA ? .transposed : .none
        let tB: Transpose = transposeB ? .transposed : .none
        let name = b.name.isEmpty ? "matmul" : b.name
        declare(MatrixProduct(name: name, role: .forward, m: m, n: n, k: k,
                              transposeA: transposeA, transposeB: transposeB, beta: 0))
        if a.requiresGrad {
            declare(transposeA
                ? MatrixProduct(name: name, role: .inputGradient, m: k, n: m, k: n, transposeA: transposeB, transposeB: true, beta: 0)
                : MatrixProduct(name: name, role: .inputGradient, m: m, n: k, k: n, transposeA: false, transposeB: !transposeB, beta: 0))
        }
        if b.requiresGrad {
            declare(transposeB
                ? MatrixProduct(name: name, role: .weightGradient, m: n, n: k, k: m, transposeA: true, transposeB: transposeA, beta: 0)
                : MatrixProduct(name: name, role: .weightGradient, m: k, n: n, k: m, transposeA: !transposeA, transposeB: false, beta: 0))
        }
        record(output: c, forward: {
            gemm(transposeA: tA, transposeB: tB, m: m, n: n, k: k,
                 a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1], c: c.data, ldc: n)
        }, backward: {
            let dC = c.gradData!
            if let dA = a.gradData {
                let beta = a.gradientBeta()
                if transposeA {  // A stored [k, m]: dA = op(B) · dCᵀ
                    gemm(transposeA: tB, transposeB: .transposed, m: k, n: m, k: n,
                         a: b.data, lda: b.shape[1], b: dC, ldb: n, beta: beta, c: dA, ldc: m)
                } else {         // A stored [m, k]: dA = dC · op(B)ᵀ
                    gemm(transposeA: .none, transposeB: transposeB ? .none : .transposed, m: m, n: k, k: n,
                         a: dC, lda: n, b: b.data, ldb: b.shape[1], beta: beta, c: dA, ldc: k)
                }
            }
            if let dB = b.gradData {
                let beta = b.gradientBeta()
                if transposeB {  // B stored [n, k]: dB = dCᵀ · op(A)
                    gemm(transposeA: .transposed, transposeB: tA, m: n, n: k, k: m,
                         a: dC, lda: n, b: a.data, ldb: a.shape[1], beta: beta, c: dB, ldc: k)
                } else {         // B stored [k, n]: dB = op(A)ᵀ · dC
                    gemm(transposeA: transposeA ? .none : .transposed, transposeB: .none, m: k, n: n, k: m,
                         a: a.data, lda: a.shape[1], b: dC, ldb: n, beta: beta, c: dB, ldc: n)
                }
            }
        })
        return c
    }

    // MARK: addRowBroadcast — Y[m, n] = A[m, n] + b[n] (every row)

    /// Adds the vector `bias` ([n] or [1, n]) to every row of `a` ([m, n]).
    ///
    /// Backward: dA += dY; db += Σ_rows dY.
    public func addRowBroadcast(_ a: Tensor, _ bias: Tensor) -> Tensor {
        requireMatrix(a, "addRowBroadcast")
        let m = a.shape[0], n = a.shape[1]
        precondition(bias.count == n, "addRowBroadcast: bias of shape \(bias.shape) does not match \(n) columns")
        let y = Tensor(shape: [m, n], requiresGrad: a.requiresGrad || bias.requiresGrad)
        record(output: y, forward: {
            for r in 0..<m {
                let src = a.data + r * n, dst = y.data + r * n
                for j in 0..<n { dst[j] = src[j] + bias.data[j] }
            }
        }, backward: {
            let dY = y.gradData!
            a.accumulateGradient(dY)
            if bias.gradData != nil { columnSums(dY, rows: m, columns: n, into: bias) }
        })
        return y
    }

    // MARK: linear — Y[m, out] = f(X[m, in] · W[out, in]ᵀ + b[out])

    /// A fused linear layer with activation: `f(x · Wᵀ + b)`, with W stored in `layout`.
    ///
    /// Forward: every row of Y starts as b, then one sgemm adds X · Wᵀ (beta = 1), then f runs in place.
    /// Backward, with dZ = dY ⊙ f'(Y) (read off the output):
    /// dW += dZᵀ · X (stored [in, out]: dWᵀ += Xᵀ · dZ), db += Σ_rows dZ (`LinearWeightGradient`),
    /// dX += dZ · W (skipped when X needs no gradient, like the data). On a tape that
    /// `defersWeightGradients`, backward leaves dW and db to the caller, who computes them from
    /// `weightGradients` (for several workers' rows at once).
    /// When X needs no gradient, W is stored [in, out] and the tape `skipsZeroInputs`, a pass whose X has
    /// at most 35 % nonzero entries computes X · Wᵀ and Xᵀ · dZ over those entries alone
    /// (`SparseInputProducts`).
    /// - Parameters:
    ///   - x: input [m, in].
    ///   - weight: [out, in] (`.outputsByInputs`, the default) or [in, out] (`.inputsByOutputs`).
    ///   - bias: [out].
    ///   - layout: how `weight` is stored.
    ///   - activation: f (default identity).
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor, layout: WeightLayout = .outputsByInputs,
                       activation: Activation = .identity) -> Tensor {
        requireMatrix(x, "linear"); requireMatrix(weight, "linear")
        let m = x.shape[0], inSize = x.shape[1], outSize = layout.outputs(ofStoredShape: weight.shape)
        let byInputs = layout == .inputsByOutputs
        precondition(weight.shape == layout.storedShape(inputs: inSize, outputs: outSize),
                     "linear: input has \(inSize) features, weight \(weight.name) is \(weight.shape) stored \(layout)")
        precondition(bias.count == outSize, "linear: bias \(bias.name) of shape \(bias.shape) does not match \(outSize) outputs")
        let y = Tensor(shape: [m, outSize], requiresGrad: x.requiresGrad || weight.requiresGrad || bias.requiresGrad)
        let name = weight.name.hasSuffix(".weight") ? String(weight.name.dropLast(7)) : weight.name
        let ldw = weight.shape[1]
        declare(MatrixProduct(name: name, role: .forward, m: m, n: outSize, k: inSize, transposeA: false,
                              transposeB: !byInputs, beta: 1))
        if weight.requiresGrad {  // the stored weight's rows: dW[out, in] = dZᵀ · X, or dWᵀ[in, out] = Xᵀ · dZ
            declare(MatrixProduct(name: name, role: .weightGradient, m: weight.shape[0], n: weight.shape[1], k: m,
                                  transposeA: true, transposeB: false, beta: 0))
        }
        if x.requiresGrad {
            declare(MatrixProduct(name: name, role: .inputGradient, m: m, n: inSize, k: outSize,
                                  transposeA: false, transposeB: byInputs, beta: 0))
        }
        // Scratch for dZ, allocated once with the graph; identity needs none.
        let scratch = (activation == .identity || !y.requiresGrad) ? nil : Tensor(shape: [m, outSize])
        // The zero-skipping products, when X is data and W is stored [in, out].
        let sparse = (skipsZeroInputs && !x.requiresGrad && byInputs) ? SparseInputProducts(rows: m, inputs: inSize) : nil
        let dZ = UnsafePointer(scratch?.data ?? y.gradData ?? y.data)
        let parameterGradient = LinearWeightGradient(weight: weight, bias: bias, layout: layout, input: x,
                                                     upstream: dZ, sparse: sparse)
        let onePart = [parameterGradient]
        let deferred = defersWeightGradients && weight.gradData != nil
        if deferred { weightGradients.append(parameterGradient) }
        record(output: y, forward: {
            parameterGradient.sparsePass = sparse?.entries.gatherRows(x.data) ?? false
            if let sparse, parameterGradient.sparsePass {
                sparse.forward(weight: weight.data, bias: bias.data, outputs: outSize, y: y.data)
            } else {
                for r in 0..<m { (y.data + r * outSize).update(from: bias.data, count: outSize) }
                gemm(transposeA: .none, transposeB: layout.forwardTranspose, m: m, n: outSize, k: inSize,
                     a: x.data, lda: inSize, b: weight.data, ldb: ldw, beta: 1, c: y.data, ldc: outSize)
            }
            activation.apply(y.data, count: m * outSize)
        }, backward: {
            if let scratch {
                activation.backward(output: y.data, upstream: y.gradData!, into: scratch.data, count: m * outSize)
            }
            if parameterGradient.sparsePass && weight.gradData != nil { sparse!.entries.sortByColumn() }
            if !deferred, let dW = weight.gradData {
                let beta = weight.gradientBeta()
                LinearWeightGradient.compute(onePart, rows: 0..<weight.shape[0], beta: beta, scratch: sparse?.scratch,
                                             weightGradient: dW)
            }
            if !deferred && bias.gradData != nil { columnSums(dZ, rows: m, columns: outSize, into: bias) }
            if let dX = x.gradData {
                let beta = x.gradientBeta()
                gemm(transposeA: .none, transposeB: byInputs ? .transposed : .none, m: m, n: inSize, k: outSize,
                     a: dZ, lda: outSize, b: weight.data, ldb: ldw, beta: beta, c: dX, ldc: inSize)
            }
        })
        return y
    }
}

// MARK: WeightLayout — W[out, in] or Wᵀ[in, out]

/// How a linear layer's weight matrix is stored.
///
/// Checkpoints, names and shapes outside the model always use PyTorch's [out, in]; a layer may keep
/// the transpose in memory when its products run faster that way.
public enum WeightLayout: String, Sendable, Equatable {
    /// W [out, in], PyTorch's `nn.Linear` layout (the default).
    case outputsByInputs
    /// Wᵀ [in, out]: row j holds input j's weights to every output. A layer over sparse data uses it, so
    /// that each nonzero input adds one contiguous row (`SparseInputProducts`).
    case inputsByOutputs

    /// The stored shape of the weight of an `inputs` → `outputs` layer.
    public func storedShape(inputs: Int, outputs: Int) -> [Int] {
        self == .outputsByInputs ? [outputs, inputs] : [inputs, outputs]
    }

    /// The layer's outputs, read off a stored [rows, columns] weight shape.
    public func outputs(ofStoredShape shape: [Int]) -> Int { self == .outputsByInputs ? shape[0] : shape[1] }

    /// The layer's inputs, read off a stored [rows, columns] weight shape.
    public func inputs(ofStoredShape shape: [Int]) -> Int { self == .outputsByInputs ? shape[1] : shape[0] }

    /// How the stored weight enters the forward product X · Wᵀ as sgemm's B (with ldb its stored row
    /// length): transposed when stored [out, in], as it is when stored [in, out]. The input gradient
    /// dZ · W takes the other one.
    public var forwardTranspose: Transpose { self == .outputsByInputs ? .transposed : .none }
}

// MARK: LinearWeightGradient — dW[out, in] = Σ_p dZ_pᵀ · X_p, db[out] = Σ_p Σ_rows dZ_p

/// The parameter gradients of one linear layer over one block of rows: what its backward pass leaves
/// for them (X, dZ, and the zero-skipping listing of X when the last pass used it).
///
/// A data-parallel trainer cuts each batch into row blocks, one per worker, and records the same
/// layer on every worker's tape. With `Tape.defersWeightGradients`, the workers' backward passes stop
/// short of dW and db; `compute` then sums every block's contribution for a range of the stored
/// weight's rows in one place, so that each thread can take a share of every layer's rows and update
/// them at once, and no thread sums another's whole gradient.
public final class LinearWeightGradient: @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor
    /// How `weight` (and so its gradient) is stored.
    public let layout: WeightLayout
    let input: Tensor
    /// dZ [m, out], as the backward pass leaves it.
    let upstream: UnsafePointer<Float>
    let sparse: SparseInputProducts?
    /// Whether the last forward pass skipped X's zeros (then `sparse` holds its listing).
    var sparsePass = false

    /// Whether the layer has zero-skipping products (its input is data on a tape that skips zeros);
    /// a pass uses them when the input is sparse enough.
    public var skipsZeroInputs: Bool { sparse != nil }
    /// Rows of this block.
    public var rows: Int { input.shape[0] }
    /// The layer's outputs.
    public var outputs: Int { bias.count }
    /// The layer's inputs.
    public var inputs: Int { input.shape[1] }

    init(weight: Tensor, bias: Tensor, layout: WeightLayout, input: Tensor, upstream: UnsafePointer<Float>,
         sparse: SparseInputProducts?) {
        self.weight = weight; self.bias = bias; self.layout = layout; self.input = input
        self.upstream = upstream; self.sparse = sparse
    }

    /// Rows `range` of the stored weight's gradient, Σ_p dZ_pᵀ · X_p over `parts` (one layer's blocks, in
    /// row order): rows are outputs for W [out, in] and inputs for Wᵀ [in, out]. Written (beta 0) or added
    /// (beta 1) into `weightGradient`, which holds those rows alone, laid out as the weight's (the first
    /// row of the range at index 0: the whole gradient for 0..<rows, or a buffer of the range's own).
    /// Blocks whose pass skipped zeros are summed first, together, then the others through sgemm, each in
    /// part order, so a range's result does not depend on the thread that computes it.
    /// - Parameters:
    ///   - scratch: the executing thread's panel for the zero-skipping products (made for Σ rows); may be
    ///     nil when no part skipped zeros.
    public static func compute(_ parts: [LinearWeightGradient], rows range: Range<Int>, beta: Float = 0,
                               scratch: SparseScratch?, weightGradient dW: UnsafeMutablePointer<Float>) {
        guard let first = parts.first, !range.isEmpty else { return }
        let outSize = first.outputs, inSize = first.inputs
        var beta = beta
        if parts.contains(where: \.sparsePass) {
            SparseInputProducts.weightGradient(parts: parts, range: range, beta: beta, scratch: scratch!, dW: dW)
            beta = 1
        }
        for part in parts where !part.sparsePass {
            switch first.layout {
            case .outputsByInputs:  // dW[range, :] = dZ[:, range]ᵀ · X
                gemm(transposeA: .transposed, transposeB: .none, m: range.count, n: inSize, k: part.rows,
                     a: part.upstream + range.lowerBound, lda: outSize, b: part.input.data, ldb: inSize,
                     beta: beta, c: dW, ldc: inSize)
            case .inputsByOutputs:  // dWᵀ[range, :] = X[:, range]ᵀ · dZ
                gemm(transposeA: .transposed, transposeB: .none, m: range.count, n: outSize, k: part.rows,
                     a: part.input.data + range.lowerBound, lda: inSize, b: part.upstream, ldb: outSize,
                     beta: beta, c: dW, ldc: outSize)
            }
            beta = 1
        }
    }

    /// Entries `range` of db = Σ_p Σ_r dZ_p[r, :] over `parts`, in part order, written into
    /// `biasGradient`, which holds those entries alone (entry range.lowerBound at index 0).
    public static func computeBias(_ parts: [LinearWeightGradient], outputs range: Range<Int>,
                                   biasGradient db: UnsafeMutablePointer<Float>) {
        guard let first = parts.first, !range.isEmpty else { return }
        db.update(repeating: 0, count: range.count)
        for part in parts {
            addColumnSums(part.upstream + range.lowerBound, rows: part.rows, rowStride: first.outputs,
                          columns: range.count, into: db)
        }
    }
}

/// Adds (or writes, if first) the column sums of `values` [rows, columns] into `target`'s gradient.
@inline(__always)
func columnSums(_ values: UnsafePointer<Float>, rows: Int, columns: Int, into target: Tensor) {
    guard let g = target.gradData else { return }
    if target.gradientBeta() == 0 { g.update(repeating: 0, count: columns) }
    addColumnSums(values, rows: rows, rowStride: columns, columns: columns, into: g)
}

/// g[j] += Σ_r values[r · rowStride + j] for j in 0..<columns, adding the rows in order.
@inline(__always)
func addColumnSums(_ values: UnsafePointer<Float>, rows: Int, rowStride: Int, columns: Int,
                   into g: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = values + r * rowStride
        for j in 0..<columns { g[j] += row[j] }
    }
}
