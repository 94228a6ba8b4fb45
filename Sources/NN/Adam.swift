import Foundation
import TensorCore

/// Adam with PyTorch's semantics (`torch.optim.Adam`, no weight decay, no amsgrad).
///
/// For step t with gradient g:
///   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;
///   θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// The moments of all parameters live in two flat buffers, in parameter order, so a trainer whose
/// parameters are one flat `ParameterStore` can update any index range in one fused loop.
public final class Adam: @unchecked Sendable {
    /// Hyperparameters; PyTorch's defaults.
    public struct Settings: Codable, Equatable, Sendable {
        public var learningRate: Float
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        /// - Parameters: learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8 by default.
        public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
            self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        }
    }

    /// The per-step constants of the update, computed once per step.
    public struct StepCoefficients: Sendable {
        /// lr / (1 − β1ᵗ)
        public let stepSize: Float
        /// 1 / √(1 − β2ᵗ)
        public let inverseRootCorrection2: Float
        public let beta1, beta2, epsilon: Float
    }

    public let parameters: [Tensor]
    public var settings: Settings
    /// Steps taken so far (t of the last update).
    public var step: Int = 0
    /// Total scalars over all parameters.
    public let count: Int
    /// First moments m, flat, in parameter order.
    public let firstMoments: UnsafeMutablePointer<Float>
    /// Second moments v, flat, in parameter order.
    public let secondMoments: UnsafeMutablePointer<Float>
    /// Where each parameter's moments start in the flat buffers.
    public let offsets: [Int]

    /// - Parameters:
    ///   - parameters: tensors with gradients, updated in place.
    ///   - settings: learning rate 1e-3, betas 0.9/0.999, eps 1e-8 by default.
    public init(parameters: [Tensor], settings: Settings = Settings()) {
        precondition(parameters.allSatisfy { $0.requiresGrad }, "Adam: every parameter must require a gradient")
        self.parameters = parameters
        self.settings = settings
        var offsets: [Int] = []
        var total = 0
        for p in parameters { offsets.append(total); total += p.count }
        self.offsets = offsets
        count = total
        firstMoments = allocateAligned(floats: max(total, 1))
        firstMoments.initialize(repeating: 0, count: max(total, 1))
        secondMoments = allocateAligned(floats: max(total, 1))
        secondMoments.initialize(repeating: 0, count: max(total, 1))
    }

    deinit {
        firstMoments.deallocate()
        secondMoments.deallocate()
    }

    /// Counts a new step and returns its constants (call once per step, before `update(range:…)`).
    public func beginStep() -> StepCoefficients {
        step += 1
        let t = Double(step)
        let correction1 = 1 - Foundation.pow(Double(settings.beta1), t)
        let correction2 = 1 - Foundation.pow(Double(settings.beta2), t)
        return StepCoefficients(stepSize: Float(Double(settings.learningRate) / correction1),
                                inverseRootCorrection2: Float(1 / correction2.squareRoot()),
                                beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon)
    }

    /// The fused update of the parameters at flat indices `range` (where their moments lie): θ and g
    /// point at the range's first value and its gradient, so the gradients may sit in a buffer of the
    /// range's own. Updates of ranges that together cover a vector give the same bytes as one update of it.
    public func update(range: Range<Int>, values theta: UnsafeMutablePointer<Float>,
                       gradients g: UnsafePointer<Float>, coefficients c: StepCoefficients) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "Adam.update: range \(range) outside 0..<\(count)")
        let lower = range.lowerBound
        Adam.kernel(theta, g, firstMoments + lower, secondMoments + lower, range.count, c)
    }

    /// One update of every parameter from its current gradient (a parameter without one is skipped,
    /// as PyTorch skips `grad is None`), through the same `update(range:…)` the trainer runs.
    public func update() {
        let c = beginStep()
        for (index, p) in parameters.enumerated() where p.hasGradient {
            update(range: offsets[index]..<(offsets[index] + p.count), values: p.data, gradients: p.gradData!,
                   coefficients: c)
        }
    }

    /// Forgets every parameter's gradient (the next backward pass overwrites).
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// The update over n contiguous scalars, eight lanes at a time, then the tail one by one.
    @inline(__always)
    static func kernel(_ theta: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                       _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                       _ n: Int, _ c: StepCoefficients) {
        typealias V = SIMD8<Float>
        let b1 = V(repeating: c.beta1), b2 = V(repeating: c.beta2)
        let oneMinusB1 = V(repeating: 1 - c.beta1), oneMinusB2 = V(repeating: 1 - c.beta2)
        let stepSize = V(repeating: c.stepSize), inverseRoot = V(repeating: c.inverseRootCorrection2)
        let eps = V(repeating: c.epsilon)
        var i = 0
        while i + 8 <= n {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
            let mi = b1 * UnsafeRawPointer(m + i).loadUnaligned(as: V.self) + oneMinusB1 * gi
            let vi = b2 * UnsafeRawPointer(v + i).loadUnaligned(as: V.self) + oneMinusB2 * gi * gi
            let ti = UnsafeRawPointer(theta + i).loadUnaligned(as: V.self) - stepSize * mi / (vi.squareRoot() * inverseRoot + eps)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: V.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: V.self)
            UnsafeMutableRawPointer(theta + i).storeBytes(of: ti, as: V.self)
            i += 8
        }
        while i < n {
            let gi = g[i]
            let mi = c.beta1 * m[i] + (1 - c.beta1) * gi
            let vi = c.beta2 * v[i] + (1 - c.beta2) * gi * gi
            m[i] = mi
            v[i] = vi
            theta[i] -= c.stepSize * mi / (vi.squareRoot() * c.inverseRootCorrection2 + c.epsilon)
            i += 1
        }
    }
}
