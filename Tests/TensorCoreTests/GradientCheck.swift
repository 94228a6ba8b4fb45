import SeededRandom
import TensorCore

/// Central-difference gradient check of one recorded operation.
///
/// The objective is L(y) = Σ wᵢ yᵢ with fixed random weights w (so every output element and every
/// sign of upstream gradient is exercised), evaluated in Double from the op's float32 outputs.
/// For each input element x: numeric = (L(x + h) − L(x − h)) / 2h with h = 2⁻⁷ (exactly representable,
/// so x ± h is exact for |x| < 2¹⁶); analytic = the tape's backward seeded with w.
///
/// Tolerance: a float32 forward rounds each yᵢ with relative error ≤ 6e-8; with |wᵢ| ≤ 1 and
/// Σ|yᵢ| ≲ 100 in these tests, L is off by ≲ 6e-6, which the division by 2h = 2⁻⁶ turns into ≲ 4e-4.
/// The truncation error of the central difference is h²/6 · |L'''| ≲ 3e-3 for these smooth ops at the
/// magnitudes used (inputs are kept at least 2h away from kinks such as relu at 0 and |·| at 0).
/// Hence |numeric − analytic| ≤ 5e-3 + 1e-2 · |analytic|.
struct GradientCheck {
    static let step: Float = 0x1p-7

    struct Mismatch: CustomStringConvertible {
        let input: Int, element: Int, numeric: Double, analytic: Double
        var description: String { "input \(input)[\(element)]: numeric \(numeric), analytic \(analytic)" }
    }

    /// Builds the op with `build` on a fresh tape from `inputs` (all requiring gradients) and returns
    /// the elements whose analytic and numeric gradients disagree (empty when the op is right), plus
    /// how many elements were checked.
    static func run(_ inputs: [Tensor], seed: UInt64 = 7, build: (Tape, [Tensor]) -> Tensor) -> (mismatches: [Mismatch], checked: Int) {
        let tape = Tape()
        let output = build(tape, inputs)
        var generator = SeededGenerator(seed: seed)
        var weights = [Float](repeating: 0, count: output.count)
        weights.withUnsafeMutableBufferPointer { generator.fillUniform($0, low: -1, high: 1) }
        func objective() -> Double {
            tape.forward()
            var total = 0.0
            for i in 0..<output.count { total += Double(weights[i]) * Double(output.data[i]) }
            return total
        }
        _ = objective()
        for x in inputs { x.zeroGrad() }
        weights.withUnsafeBufferPointer { tape.backward(from: output, seed: $0.baseAddress!) }
        var mismatches: [Mismatch] = []
        var checked = 0
        for (index, x) in inputs.enumerated() where x.requiresGrad {
            let analytic = x.gradient!
            for j in 0..<x.count {
                let original = x.data[j]
                x.data[j] = original + step
                let plus = objective()
                x.data[j] = original - step
                let minus = objective()
                x.data[j] = original
                let numeric = (plus - minus) / (2 * Double(step))
                let a = Double(analytic[j])
                checked += 1
                if abs(numeric - a) > 5e-3 + 1e-2 * abs(a) {
                    mismatches.append(Mismatch(input: index, element: j, numeric: numeric, analytic: a))
                }
            }
        }
        _ = objective()
        return (mismatches, checked)
    }

    /// A tensor of the given shape with uniform values in [low, high), kept at least `gap` away from
    /// each point in `avoid` (kinks of the function under test).
    static func tensor(_ shape: [Int], low: Float = -2, high: Float = 2, avoid: [Float] = [],
                       gap: Float = 0x1p-5, seed: UInt64, requiresGrad: Bool = true) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let t = Tensor(shape: shape, requiresGrad: requiresGrad)
        for i in 0..<t.count {
            var v: Float
            repeat { v = low + (high - low) * generator.nextUniformFloat() } while avoid.contains { abs(v - $0) < gap }
            t.data[i] = v
        }
        return t
    }
}
