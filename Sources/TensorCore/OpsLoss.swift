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
        let tail = Tensor(shape: logits.shape)  // ln(1 + e^−|l|), scratch
        record(output: y, forward: {
            VectorMath.softplusOfNegativeAbs(logits.data, tail.data, n)
            var s = 0.0
            for i in 0..<n {
                let l = logits.data[i]
                s += Double(max(l, 0) - l * target.data[i] + tail.data[i])
            }
            y.data[0] = Float(s)
        }, backward: {
            guard let dL = logits.gradData else { return }
            let g = y.gradData![0]
            let accumulate = logits.beginGradientWrite()
            VectorMath.sigmoid(logits.data, tail.data, n)
            for i in 0..<n {
                let v = g * (tail.data[i] - target.data[i])
                dL[i] = accumulate ? dL[i] + v : v
            }
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
            guard let dP = prediction.gradData else { return }
            let g = 2 * y.gradData![0]
            let accumulate = prediction.beginGradientWrite()
            for i in 0..<n {
                let v = g * (prediction.data[i] - target.data[i])
                dP[i] = accumulate ? dP[i] + v : v
            }
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
            guard let dP = prediction.gradData else { return }
            let g = y.gradData![0]
            let accumulate = prediction.beginGradientWrite()
            for i in 0..<n {
                let d = prediction.data[i] - target.data[i]
                let v: Float = d > 0 ? g : (d < 0 ? -g : 0)
                dP[i] = accumulate ? dP[i] + v : v
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
            if let dM = mean.gradData {
                let accumulate = mean.beginGradientWrite()
                for i in 0..<n { let v = g * mean.data[i]; dM[i] = accumulate ? dM[i] + v : v }
            }
            if let dLV = logVariance.gradData {
                let accumulate = logVariance.beginGradientWrite()
                for i in 0..<n { let v = g * 0.5 * (variance.data[i] - 1); dLV[i] = accumulate ? dLV[i] + v : v }
            }
        })
        return y
    }
}
