import Foundation
import TensorCore

/// Adam with PyTorch's semantics (`torch.optim.Adam`, no weight decay, no amsgrad).
///
/// For step t with gradient g:
///   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;
///   θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
public final class Adam {
    /// Hyperparameters; PyTorch's defaults.
    public struct Settings: Codable, Equatable, Sendable {
        public var learningRate: Float = 1e-3
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
            self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        }
    }

    public let parameters: [Tensor]
    public var settings: Settings
    /// Steps taken so far (t of the last update).
    public var step: Int = 0
    /// First moments, one tensor per parameter, same shapes.
    public let firstMoments: [Tensor]
    /// Second moments, one tensor per parameter, same shapes.
    public let secondMoments: [Tensor]

    /// - Parameters:
    ///   - parameters: tensors with gradients, updated in place.
    ///   - settings: learning rate 1e-3, betas 0.9/0.999, eps 1e-8 by default.
    public init(parameters: [Tensor], settings: Settings = Settings()) {
        precondition(parameters.allSatisfy { $0.requiresGrad }, "Adam: every parameter must require a gradient")
        self.parameters = parameters
        self.settings = settings
        firstMoments = parameters.map { Tensor(shape: $0.shape, name: $0.name) }
        secondMoments = parameters.map { Tensor(shape: $0.shape, name: $0.name) }
    }

    /// One update of every parameter from its current gradient (a parameter without one is skipped,
    /// as PyTorch skips `grad is None`). One fused loop per tensor.
    public func update() {
        step += 1
        let s = settings
        let t = Double(step)
        let biasCorrection1 = 1 - Foundation.pow(Double(s.beta1), t)
        let biasCorrection2 = 1 - Foundation.pow(Double(s.beta2), t)
        let stepSize = Float(Double(s.learningRate) / biasCorrection1)
        let inverseRootCorrection2 = Float(1 / biasCorrection2.squareRoot())
        let b1 = s.beta1, b2 = s.beta2, eps = s.epsilon
        let oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2
        for (index, p) in parameters.enumerated() {
            guard p.hasGradient, let g = p.gradData else { continue }
            let m = firstMoments[index].data, v = secondMoments[index].data, theta = p.data
            for i in 0..<p.count {
                let gi = g[i]
                let mi = b1 * m[i] + oneMinusB1 * gi
                let vi = b2 * v[i] + oneMinusB2 * gi * gi
                m[i] = mi
                v[i] = vi
                theta[i] -= stepSize * mi / (vi.squareRoot() * inverseRootCorrection2 + eps)
            }
        }
    }

    /// Forgets every parameter's gradient (the next backward pass overwrites).
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}
