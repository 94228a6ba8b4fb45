// Elementwise operations, forward and backward side by side. All shapes: Y has the shape of the inputs.

extension Tape {
    /// Records a unary elementwise op whose local derivative is computed by `derivative(x, y)`.
    /// Backward: dX += dY ⊙ f'(x).
    @inline(__always)
    private func unary(_ x: Tensor, forward f: @escaping (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                       derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        let y = Tensor(shape: x.shape, requiresGrad: x.requiresGrad)
        let n = x.count
        record(output: y, forward: { f(x.data, y.data, n) }, backward: {
            let dY = y.gradData!
            x.writeGradient { dY[$0] * derivative(x.data[$0], y.data[$0]) }
        })
        return y
    }

    // MARK: add — Y = A + B;  dA += dY, dB += dY

    /// Elementwise sum of two tensors of one shape.
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        requireSameShape(a, b, "add")
        let y = Tensor(shape: a.shape, requiresGrad: a.requiresGrad || b.requiresGrad)
        let n = a.count
        record(output: y, forward: { for i in 0..<n { y.data[i] = a.data[i] + b.data[i] } }, backward: {
            a.accumulateGradient(y.gradData!)
            b.accumulateGradient(y.gradData!)
        })
        return y
    }

    // MARK: subtract — Y = A - B;  dA += dY, dB -= dY

    /// Elementwise difference of two tensors of one shape.
    public func subtract(_ a: Tensor, _ b: Tensor) -> Tensor {
        requireSameShape(a, b, "subtract")
        let y = Tensor(shape: a.shape, requiresGrad: a.requiresGrad || b.requiresGrad)
        let n = a.count
        record(output: y, forward: { for i in 0..<n { y.data[i] = a.data[i] - b.data[i] } }, backward: {
            a.accumulateGradient(y.gradData!)
            b.accumulateGradient(y.gradData!, scale: -1)
        })
        return y
    }

    // MARK: multiply — Y = A ⊙ B;  dA += dY ⊙ B, dB += dY ⊙ A

    /// Elementwise product of two tensors of one shape.
    public func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        requireSameShape(a, b, "multiply")
        let y = Tensor(shape: a.shape, requiresGrad: a.requiresGrad || b.requiresGrad)
        let n = a.count
        record(output: y, forward: { for i in 0..<n { y.data[i] = a.data[i] * b.data[i] } }, backward: {
            let dY = y.gradData!
            a.writeGradient { dY[$0] * b.data[$0] }
            b.writeGradient { dY[$0] * a.data[$0] }
        })
        return y
    }

    // MARK: scale — Y = s · A;  dA += s · dY

    /// Multiplies every element by the constant `factor`.
    public func scale(_ a: Tensor, by factor: Float) -> Tensor {
        let y = Tensor(shape: a.shape, requiresGrad: a.requiresGrad)
        let n = a.count
        record(output: y, forward: { for i in 0..<n { y.data[i] = factor * a.data[i] } }, backward: {
            a.accumulateGradient(y.gradData!, scale: factor)
        })
        return y
    }

    // MARK: exp — Y = e^X;  dX += dY ⊙ Y

    /// Elementwise exponential.
    public func exp(_ x: Tensor) -> Tensor {
        unary(x, forward: { VectorMath.exp($0, $1, $2) }, derivative: { _, y in y })
    }

    // MARK: log — Y = ln X;  dX += dY / X

    /// Elementwise natural logarithm (inputs must be positive).
    public func log(_ x: Tensor) -> Tensor {
        unary(x, forward: { VectorMath.log($0, $1, $2) }, derivative: { x, _ in 1 / x })
    }

    // MARK: activations — Y = f(X);  dX += dY ⊙ f'(X), read off Y (see `Activation`)

    /// Applies an activation elementwise (relu, leaky relu with slope 0.01, tanh, sigmoid, identity).
    public func activation(_ x: Tensor, _ f: Activation) -> Tensor {
        let y = Tensor(shape: x.shape, requiresGrad: x.requiresGrad)
        let n = x.count
        let scratch = x.requiresGrad ? Tensor(shape: x.shape) : nil
        record(output: y, forward: {
            y.data.update(from: x.data, count: n)
            f.apply(y.data, count: n)
        }, backward: {
            guard let scratch else { return }
            f.backward(output: y.data, upstream: y.gradData!, into: scratch.data, count: n)
            x.accumulateGradient(scratch.data)
        })
        return y
    }

    /// max(x, 0)
    public func relu(_ x: Tensor) -> Tensor { activation(x, .relu) }
    /// x > 0 ? x : 0.01 x
    public func leakyRelu(_ x: Tensor) -> Tensor { activation(x, .leakyRelu) }
    /// tanh x
    public func tanh(_ x: Tensor) -> Tensor { activation(x, .tanh) }
    /// 1 / (1 + e^-x)
    public func sigmoid(_ x: Tensor) -> Tensor { activation(x, .sigmoid) }

    // MARK: reparameterize — Z = μ + ε ⊙ exp(½ logσ²);  dμ += dZ, dlogσ² += dZ ⊙ ε ⊙ ½ exp(½ logσ²)

    /// The VAE reparameterization trick, fused: z = mu + eps * exp(0.5 * logvar).
    ///
    /// Shapes: `mean`, `logVariance` and `noise` are all [batch, latent]; the noise needs no gradient.
    public func reparameterize(mean: Tensor, logVariance: Tensor, noise: Tensor) -> Tensor {
        requireSameShape(mean, logVariance, "reparameterize"); requireSameShape(mean, noise, "reparameterize")
        let z = Tensor(shape: mean.shape, requiresGrad: mean.requiresGrad || logVariance.requiresGrad)
        let std = Tensor(shape: mean.shape)  // exp(½ logσ²), kept for backward
        let n = mean.count
        record(output: z, forward: {
            for i in 0..<n { std.data[i] = 0.5 * logVariance.data[i] }
            VectorMath.exp(std.data, std.data, n)
            for i in 0..<n { z.data[i] = mean.data[i] + noise.data[i] * std.data[i] }
        }, backward: {
            let dZ = z.gradData!
            mean.accumulateGradient(dZ)
            logVariance.writeGradient { dZ[$0] * noise.data[$0] * 0.5 * std.data[$0] }
        })
        return z
    }
}
