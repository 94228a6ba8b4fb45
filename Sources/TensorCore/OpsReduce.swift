// Reductions and concatenation, forward and backward side by side.

extension Tape {
    // MARK: sum — y = Σ X (scalar);  dX += dy

    /// The sum of all elements, a scalar (accumulated in Double).
    public func sum(_ x: Tensor) -> Tensor {
        let y = Tensor(shape: [], requiresGrad: x.requiresGrad)
        let n = x.count
        record(output: y, forward: {
            var s = 0.0
            for i in 0..<n { s += Double(x.data[i]) }
            y.data[0] = Float(s)
        }, backward: { let g = y.gradData![0]; x.writeGradient { _ in g } })
        return y
    }

    // MARK: mean — y = Σ X / n (scalar);  dX += dy / n

    /// The mean of all elements, a scalar.
    public func mean(_ x: Tensor) -> Tensor {
        precondition(x.count > 0, "mean: empty tensor")
        let y = Tensor(shape: [], requiresGrad: x.requiresGrad)
        let n = x.count
        record(output: y, forward: {
            var s = 0.0
            for i in 0..<n { s += Double(x.data[i]) }
            y.data[0] = Float(s / Double(n))
        }, backward: { let g = y.gradData![0] / Float(n); x.writeGradient { _ in g } })
        return y
    }

    // MARK: sumRows — y[m] = Σ_j X[m, j];  dX[i, j] += dy[i]

    /// The sum of each row of a matrix [m, n], a vector [m].
    public func sumRows(_ x: Tensor) -> Tensor { rowReduction(x, divisor: 1) }

    // MARK: meanRows — y[m] = Σ_j X[m, j] / n;  dX[i, j] += dy[i] / n

    /// The mean of each row of a matrix [m, n], a vector [m].
    public func meanRows(_ x: Tensor) -> Tensor {
        requireMatrix(x, "meanRows")
        precondition(x.shape[1] > 0, "meanRows: no columns")
        return rowReduction(x, divisor: Float(x.shape[1]))
    }

    private func rowReduction(_ x: Tensor, divisor: Float) -> Tensor {
        requireMatrix(x, "sumRows")
        let m = x.shape[0], n = x.shape[1]
        let y = Tensor(shape: [m], requiresGrad: x.requiresGrad)
        record(output: y, forward: {
            for r in 0..<m {
                var s = 0.0
                for j in 0..<n { s += Double(x.data[r * n + j]) }
                y.data[r] = Float(s / Double(divisor))
            }
        }, backward: {
            let dY = y.gradData!
            x.writeGradient { dY[$0 / n] / divisor }
        })
        return y
    }

    // MARK: concatColumns — Y[m, p+q] = [A[m, p] | B[m, q]];  dA += dY[:, :p], dB += dY[:, p:]

    /// Joins two matrices with the same row count side by side (the conditional VAE's [x | one-hot]).
    public func concatColumns(_ a: Tensor, _ b: Tensor) -> Tensor {
        requireMatrix(a, "concatColumns"); requireMatrix(b, "concatColumns")
        precondition(a.shape[0] == b.shape[0], "concatColumns: row counts differ, \(a.shape) and \(b.shape)")
        let m = a.shape[0], p = a.shape[1], q = b.shape[1], w = p + q
        let y = Tensor(shape: [m, w], requiresGrad: a.requiresGrad || b.requiresGrad)
        record(output: y, forward: {
            for r in 0..<m {
                (y.data + r * w).update(from: a.data + r * p, count: p)
                (y.data + r * w + p).update(from: b.data + r * q, count: q)
            }
        }, backward: {
            let dY = y.gradData!
            a.writeGradient { i in dY[(i / p) * w + i % p] }
            b.writeGradient { i in dY[(i / q) * w + p + i % q] }
        })
        return y
    }
}
