import Foundation

// Fused, numerically stable losses, each summed over every element into a scalar.
// Sums accumulate in Double; backward writes the local derivative times the upstream scalar.

extension Tape {
    // MARK: BCE from logits — y = Σ max(l, 0) − l·t + ln(1 + e^−|l|);  dl += dy · (σ(l) − t)

    /// Binary cross-entropy between `target` t and sigmoid(`logits`) l, summed, computed from the logits.
    ///
    /// Shapes: `logits` and `target` alike; result is a scalar. The target needs no gradient.
    public func binaryCrossEntropyWithLogits(_ logits: Tensor, target: Tensor) -> Tensor {
        requireSameShape(logits, target, "binaryCrossEntropyWithLogits")
        let y = Tensor(shape: [], requiresGrad: logits.requiresGrad)
        let n = logits.count
        // Scratch, one value per logit: forward leaves σ(l) − t in it (one pass computes the loss and
        // this), and backward scales it by the loss's gradient.
        let difference = Tensor(shape: logits.shape)
        record(output: y, forward: {
            y.data[0] = Float(VectorMath.binaryCrossEntropyWithLogits(logits.data, target: target.data,
                                                                      gradient: difference.data, n))
        }, backward: {
            guard logits.gradData != nil else { return }
            let g = y.gradData![0]
            let d = difference.data
            logits.writeGradient { g * d[$0] }
        })
        return y
    }

    // MARK: squared error — y = Σ (p − t)²;  dp += dy · 2 (p − t)

    /// Squared error between `prediction` and `target`, summed (PyTorch `mse_loss(reduction: "sum")`).
    public func squaredErrorSum(_ prediction: Tensor, target: Tensor) -> Tensor {
        requireSameShape(prediction, target, "squaredErrorSum")
        let y = Tensor(shape: [], requiresGrad: prediction.requiresGrad)
        let n = prediction.count
        record(output: y, forward: {
            var s = 0.0
            for i in 0..<n { let d = prediction.data[i] - target.data[i]; s += Double(d * d) }
            y.data[0] = Float(s)
        }, backward: {
            let g = 2 * y.gradData![0]
            prediction.writeGradient { g * (prediction.data[$0] - target.data[$0]) }
        })
        return y
    }

    // MARK: absolute error — y = Σ |p − t|;  dp += dy · sign(p − t)  (sign 0 at 0, as PyTorch)

    /// Absolute error between `prediction` and `target`, summed (PyTorch `l1_loss(reduction: "sum")`).
    public func absoluteErrorSum(_ prediction: Tensor, target: Tensor) -> Tensor {
        requireSameShape(prediction, target, "absoluteErrorSum")
        let y = Tensor(shape: [], requiresGrad: prediction.requiresGrad)
        let n = prediction.count
        record(output: y, forward: {
            var s = 0.0
            for i in 0..<n { s += Double(abs(prediction.data[i] - target.data[i])) }
            y.data[0] = Float(s)
        }, backward: {
            let g = y.gradData![0]
            prediction.writeGradient { i in
                let d = prediction.data[i] - target.data[i]
                return d > 0 ? g : (d < 0 ? -g : 0)
            }
        })
        return y
    }

    // MARK: Gaussian KL — y = −½ Σ (1 + lv − μ² − e^lv);  dμ += dy · μ, dlv += dy · ½ (e^lv − 1)

    /// KL divergence from N(μ, e^lv) to N(0, I), summed over the batch and latent dimensions.
    ///
    /// Shapes: `mean` and `logVariance` are [batch, latent]; result is a scalar.
    public func gaussianKL(mean: Tensor, logVariance: Tensor) -> Tensor {
        requireSameShape(mean, logVariance, "gaussianKL")
        let y = Tensor(shape: [], requiresGrad: mean.requiresGrad || logVariance.requiresGrad)
        let n = mean.count
        let variance = Tensor(shape: mean.shape)  // e^lv, scratch
        record(output: y, forward: {
            VectorMath.exp(logVariance.data, variance.data, n)
            var s = 0.0
            for i in 0..<n {
                let mu = mean.data[i]
                s += Double(1 + logVariance.data[i] - mu * mu - variance.data[i])
            }
            y.data[0] = Float(-0.5 * s)
        }, backward: {
            let g = y.gradData![0]
            mean.writeGradient { g * mean.data[$0] }
            logVariance.writeGradient { g * 0.5 * (variance.data[$0] - 1) }
        })
        return y
    }
}

extension Tape {
    // MARK: Gaussian KL per dimension — y[j] = −½ Σ_rows (1 + lv − μ² − e^lv);  dμ += dy[j] · μ, dlv += dy[j] · ½ (e^lv − 1)

    /// KL divergence from N(μ, e^lv) to N(0, I) per latent dimension, summed over the batch rows.
    ///
    /// Shapes: `mean` and `logVariance` are [batch, latent]; the result is [latent]. Its sum is
    /// `gaussianKL(mean:logVariance:)`.
    public func gaussianKLPerDimension(mean: Tensor, logVariance: Tensor) -> Tensor {
        requireSameShape(mean, logVariance, "gaussianKLPerDimension"); requireMatrix(mean, "gaussianKLPerDimension")
        let rows = mean.shape[0], columns = mean.shape[1]
        let y = Tensor(shape: [columns], requiresGrad: mean.requiresGrad || logVariance.requiresGrad)
        let n = mean.count
        let variance = Tensor(shape: mean.shape)  // e^lv, scratch
        let scratch = DoubleScratch(count: columns)  // per-dimension sums, freed with the tape
        record(output: y, forward: {
            let sums = scratch.values
            VectorMath.exp(logVariance.data, variance.data, n)
            sums.update(repeating: 0, count: columns)
            for r in 0..<rows {
                for j in 0..<columns {
                    let i = r * columns + j, mu = mean.data[i]
                    sums[j] += Double(1 + logVariance.data[i] - mu * mu - variance.data[i])
                }
            }
            for j in 0..<columns { y.data[j] = Float(-0.5 * sums[j]) }
        }, backward: {
            let g = y.gradData!
            mean.writeGradient { g[$0 % columns] * mean.data[$0] }
            logVariance.writeGradient { g[$0 % columns] * 0.5 * (variance.data[$0] - 1) }
        })
        return y
    }

    // MARK: floored sum — y = w · Σ_j max(f, x_j);  dx_j += dy · w · [x_j counts]

    /// The weighted sum of a vector whose elements count as at least a floor: y = w · Σ_j max(f, x_j)
    /// (the free-bits KL penalty of Kingma et al. 2016, with x_j the KL of latent dimension j summed
    /// over the batch and f = λ · batch rows). An element counts (passes its gradient) when x_j > f;
    /// a data-parallel caller can decide that from the whole batch instead (`FlooredSumControl.counts`)
    /// between forward and backward. With f = −∞ this is w · Σ x_j.
    ///
    /// Shapes: `x` is any shape, the result a scalar. `control` is read at every forward and backward,
    /// so its weight and floor can change between steps without recording again.
    public func flooredSum(_ x: Tensor, control: FlooredSumControl) -> Tensor {
        let y = Tensor(shape: [], requiresGrad: x.requiresGrad)
        let n = x.count
        record(output: y, forward: {
            let f = control.floor
            var s = 0.0
            for j in 0..<n { s += Double(Swift.max(f, x.data[j])) }
            y.data[0] = Float(Double(control.weight) * s)
        }, backward: {
            let g = y.gradData![0] * control.weight, f = control.floor
            if let counts = control.counts {
                precondition(counts.count == n, "flooredSum: \(counts.count) decisions for \(n) elements")
                x.writeGradient { counts[$0] ? g : 0 }
            } else {
                x.writeGradient { x.data[$0] > f ? g : 0 }
            }
        })
        return y
    }
}

/// The settings of a `flooredSum`, read at every pass: the weight w, the floor f and, optionally,
/// which elements count (decided by the caller from a larger batch than this graph's).
public final class FlooredSumControl: @unchecked Sendable {
    /// w (default 1).
    public var weight: Float
    /// f (default −∞: no floor).
    public var floor: Float
    /// When set, the backward pass uses these decisions instead of x_j > f (one per element).
    public var counts: [Bool]?

    public init(weight: Float = 1, floor: Float = -.infinity) {
        self.weight = weight
        self.floor = floor
    }
}

/// A Double buffer that lives as long as the closures that capture it (an op's scratch).
private final class DoubleScratch {
    let values: UnsafeMutablePointer<Double>
    init(count: Int) { values = .allocate(capacity: Swift.max(count, 1)) }
    deinit { values.deallocate() }
}
