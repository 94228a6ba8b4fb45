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
        // Scratch, one value per logit: after forward it holds ln(1 + e^−|l|); backward overwrites it
        // with σ(l) (forward runs again before the next backward, so nothing needs the old contents).
        let tail = Tensor(shape: logits.shape)
        record(output: y, forward: {
            VectorMath.softplusOfNegativeAbs(logits.data, tail.data, n)
            var s = 0.0
            for i in 0..<n {
                let l = logits.data[i]
                s += Double(max(l, 0) - l * target.data[i] + tail.data[i])
            }
            y.data[0] = Float(s)
        }, backward: {
            guard logits.gradData != nil else { return }
            let g = y.gradData![0]
            let sigmoid = tail.data  // from here on: σ(l)
            VectorMath.sigmoid(logits.data, sigmoid, n)
            logits.writeGradient { g * (sigmoid[$0] - target.data[$0]) }
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
