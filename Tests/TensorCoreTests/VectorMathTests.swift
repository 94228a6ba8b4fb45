import Foundation
import Testing
import SeededRandom
import TensorCore

/// Accuracy and edge cases of the SIMD kernels in `VectorMath`, against Double-precision libm.
@Suite("VectorMath")
struct VectorMathTests {
    typealias Kernel = @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

    /// Worst error of `kernel` over `inputs` against `reference` (evaluated in Double):
    /// relative error where the exact value is a normal float, absolute error where it is
    /// below the normal range (subnormal results cannot be relatively accurate).
    struct Sweep {
        var maxRelative = 0.0, worstRelativeInput: Float = 0
        var maxSubnormalAbsolute = 0.0
        var mismatchedNonFinite: [Float] = []
    }

    static func sweep(_ kernel: Kernel, _ inputs: [Float], _ reference: (Double) -> Double) -> Sweep {
        var out = [Float](repeating: .nan, count: inputs.count)
        inputs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in kernel(x.baseAddress!, y.baseAddress!, inputs.count) }
        }
        var s = Sweep()
        for (x, y) in zip(inputs, out) {
            let exact = reference(Double(x))
            if !exact.isFinite || abs(exact) > Double(Float.greatestFiniteMagnitude) {
                // The float result must be the same infinity (or NaN).
                let expected = Float(exact)
                if !(y == expected || (y.isNaN && expected.isNaN)) { s.mismatchedNonFinite.append(x) }
            } else if abs(exact) >= Double(Float.leastNormalMagnitude) {
                let e = abs(Double(y) - exact) / abs(exact)
                if !(e <= s.maxRelative) { s.maxRelative = e; s.worstRelativeInput = x }
            } else {
                let e = abs(Double(y) - exact)
                if !(e <= s.maxSubnormalAbsolute) { s.maxSubnormalAbsolute = e }
            }
        }
        return s
    }

    /// `count` evenly spaced floats over [lo, hi].
    static func linear(_ lo: Double, _ hi: Double, _ count: Int) -> [Float] {
        (0..<count).map { Float(lo + (hi - lo) * Double($0) / Double(count - 1)) }
    }

    /// `count` geometrically spaced positive floats over [lo, hi].
    static func geometric(_ lo: Double, _ hi: Double, _ count: Int) -> [Float] {
        let a = Foundation.log(lo), b = Foundation.log(hi)
        return (0..<count).map { Float(Foundation.exp(a + (b - a) * Double($0) / Double(count - 1))) }
    }

    /// Applies `kernel` to a few values, returning the results.
    static func run(_ kernel: Kernel, _ values: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: values.count)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in kernel(x.baseAddress!, y.baseAddress!, values.count) }
        }
        return out
    }

    static let ulp = Double(Float.ulpOfOne)  // 2^-23
    static let subnormalStep = Double(Float.leastNonzeroMagnitude)

    static func reportAndCheck(_ name: String, _ s: Sweep, relativeBound: Double) {
        print("\(name): max relative error \(s.maxRelative) (\(s.maxRelative / ulp) × 2^-23) at x = \(s.worstRelativeInput); "
            + "subnormal absolute \(s.maxSubnormalAbsolute)")
        #expect(s.maxRelative <= relativeBound, "\(name) worst at x = \(s.worstRelativeInput)")
        #expect(s.maxSubnormalAbsolute <= subnormalStep)
        #expect(s.mismatchedNonFinite.isEmpty, "\(name) non-finite mismatches at \(s.mismatchedNonFinite.prefix(5))")
    }

    // MARK: - Accuracy sweeps

    @Test("exp: ≤ 1 × 2^-23 relative over [−103.97, 88.72], subnormals to one step")
    func expAccuracy() {
        let inputs = Self.linear(-103.97, 88.72, 1_000_000) + Self.linear(-1, 1, 200_001)
        let s = Self.sweep(VectorMath.exp, inputs, Foundation.exp)
        Self.reportAndCheck("exp", s, relativeBound: 1 * Self.ulp)
    }

    @Test("log: ≤ 1 × 2^-23 relative from the smallest subnormal to the largest float, and near 1")
    func logAccuracy() {
        let inputs = Self.geometric(Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude), 1_000_000)
            + Self.linear(0.5, 2, 500_001) + Self.linear(0.999, 1.001, 100_001)
        let s = Self.sweep(VectorMath.log, inputs, Foundation.log)
        Self.reportAndCheck("log", s, relativeBound: 1 * Self.ulp)
    }

    @Test("sigmoid: ≤ 2 × 2^-23 relative over [−110, 30]")
    func sigmoidAccuracy() {
        let inputs = Self.linear(-110, 30, 1_000_000) + Self.linear(-2, 2, 200_001)
        let s = Self.sweep(VectorMath.sigmoid, inputs) { 1 / (1 + Foundation.exp(-$0)) }
        Self.reportAndCheck("sigmoid", s, relativeBound: 2 * Self.ulp)
    }

    @Test("tanh: ≤ 1.5 × 2^-23 relative over [−12, 12] and for tiny |x|")
    func tanhAccuracy() {
        let tiny = Self.geometric(1e-40, 1, 200_000)
        let inputs = Self.linear(-12, 12, 1_000_000) + tiny + tiny.map { -$0 } + Self.linear(0.6, 0.65, 10_001)
        let s = Self.sweep(VectorMath.tanh, inputs, Foundation.tanh)
        Self.reportAndCheck("tanh", s, relativeBound: 1.5 * Self.ulp)
    }

    @Test("softplusOfNegativeAbs: ≤ 1.5 × 2^-23 relative over [−110, 110], subnormal tail to one step")
    func softplusAccuracy() {
        let inputs = Self.linear(-110, 110, 1_000_000) + Self.linear(-2, 2, 200_001)
        let s = Self.sweep(VectorMath.softplusOfNegativeAbs, inputs) { Foundation.log1p(Foundation.exp(-abs($0))) }
        Self.reportAndCheck("softplusOfNegativeAbs", s, relativeBound: 1.5 * Self.ulp)
    }

    // MARK: - Special values

    @Test("exp edges: overflow to +inf, underflow to subnormal then 0, infinities, NaN")
    func expEdges() {
        let y = Self.run(VectorMath.exp, [0, 88.72, 88.73, 100, .infinity, -87.5, -103, -104, -200, -.infinity, .nan, -0.0])
        #expect(y[0] == 1)
        #expect(y[1].isFinite && y[1] > 3.3e38)
        #expect(y[2] == .infinity && y[3] == .infinity && y[4] == .infinity)
        #expect(y[5] > 0 && y[5] < Float.leastNormalMagnitude)  // subnormal, not flushed
        #expect(y[6] > 0 && y[6] < 1e-44)
        #expect(y[7] == 0 && y[8] == 0 && y[9] == 0)
        #expect(y[10].isNaN)
        #expect(y[11] == 1)
    }

    @Test("log edges: 0, −0, negatives, +inf, NaN, subnormals, 1")
    func logEdges() {
        let y = Self.run(VectorMath.log, [0, -0.0, -1, -.infinity, .infinity, .nan, 1, Float.leastNonzeroMagnitude,
                                          Float.leastNormalMagnitude, Float.greatestFiniteMagnitude])
        #expect(y[0] == -.infinity && y[1] == -.infinity)
        #expect(y[2].isNaN && y[3].isNaN)
        #expect(y[4] == .infinity)
        #expect(y[5].isNaN)
        #expect(y[6] == 0)
        #expect(abs(Double(y[7]) - Foundation.log(Double(Float.leastNonzeroMagnitude))) < 1e-5)  // −103.28
        #expect(abs(Double(y[8]) - Foundation.log(Double(Float.leastNormalMagnitude))) < 1e-5)    // −87.34
        #expect(abs(Double(y[9]) - Foundation.log(Double(Float.greatestFiniteMagnitude))) < 1e-5) // 88.72
    }

    @Test("sigmoid edges: ±100, ±inf, 0, NaN")
    func sigmoidEdges() {
        let y = Self.run(VectorMath.sigmoid, [100, -100, .infinity, -.infinity, 0, -0.0, .nan, 20, -20])
        #expect(y[0] == 1)
        #expect(y[1] > 0 && abs(Double(y[1]) - Foundation.exp(-100.0)) <= Self.subnormalStep)
        #expect(y[2] == 1 && y[3] == 0)
        #expect(y[4] == 0.5 && y[5] == 0.5)
        #expect(y[6].isNaN)
        #expect(y[7] == 1)  // 1 − 2.1e-9 rounds to 1: the float below 1 is 1 − 6e-8
        #expect(abs(Double(y[8]) - 1 / (1 + Foundation.exp(20.0))) / Double(y[8]) < 3 * Self.ulp)
    }

    @Test("tanh edges: ±20, ±inf, ±0, tiny values, NaN")
    func tanhEdges() {
        let y = Self.run(VectorMath.tanh, [20, -20, .infinity, -.infinity, 0, -0.0, 1e-20, -1e-30, .nan, Float.leastNonzeroMagnitude])
        #expect(y[0] == 1 && y[1] == -1 && y[2] == 1 && y[3] == -1)
        #expect(y[4] == 0 && y[4].sign == .plus)
        #expect(y[5] == 0 && y[5].sign == .minus)
        #expect(y[6] == 1e-20 && y[7] == -1e-30)
        #expect(y[8].isNaN)
        #expect(y[9] == Float.leastNonzeroMagnitude)
    }

    @Test("softplusOfNegativeAbs edges: ln 2 at 0, e^−|x| tail, 0 at ±inf, NaN")
    func softplusEdges() {
        let y = Self.run(VectorMath.softplusOfNegativeAbs, [0, -0.0, 30, -30, 100, .infinity, -.infinity, .nan, 200])
        #expect(y[0] == Float(M_LN2) && y[1] == Float(M_LN2))
        let tail30 = Foundation.log1p(Foundation.exp(-30.0))
        #expect(abs(Double(y[2]) - tail30) / tail30 <= 2 * Self.ulp && y[3] == y[2])
        #expect(y[4] > 0 && abs(Double(y[4]) - Foundation.exp(-100.0)) <= Self.subnormalStep)
        #expect(y[5] == 0 && y[6] == 0 && y[8] == 0)
        #expect(y[7].isNaN)
    }

    // MARK: - Lengths and aliasing

    static let kernels: [(String, Kernel)] = [
        ("exp", VectorMath.exp), ("log", VectorMath.log), ("sigmoid", VectorMath.sigmoid),
        ("tanh", VectorMath.tanh), ("softplusOfNegativeAbs", VectorMath.softplusOfNegativeAbs),
    ]

    @Test("fused BCE from logits: the summed loss and σ(l) − t against Double formulas, every length to 40",
          arguments: [1, 7, 15, 16, 17, 33, 40])
    func fusedBinaryCrossEntropy(n: Int) {
        var g = SeededGenerator(seed: UInt64(n))
        var logits = [Float](repeating: 0, count: n), targets = [Float](repeating: 0, count: n)
        logits.withUnsafeMutableBufferPointer { g.fillUniform($0, low: -30, high: 30) }
        targets.withUnsafeMutableBufferPointer { g.fillUniform($0, low: 0, high: 1) }
        logits[0] = 0
        if n > 2 { logits[1] = -100; logits[2] = 100 }
        var gradient = [Float](repeating: .nan, count: n)
        let loss = logits.withUnsafeBufferPointer { l in
            targets.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { VectorMath.binaryCrossEntropyWithLogits(l.baseAddress!, target: t.baseAddress!, gradient: $0.baseAddress!, n) }
            }
        }
        var expected = 0.0
        for i in 0..<n {
            let l = Double(logits[i]), t = Double(targets[i])
            expected += max(l, 0) - l * t + Foundation.log1p(Foundation.exp(-abs(l)))
            let sigmoid = 1 / (1 + Foundation.exp(-l))
            #expect(abs(Double(gradient[i]) - (sigmoid - t)) <= 3e-7, "element \(i), logit \(l)")
        }
        // Each term is a float: rounding ≤ 2^-24 of its magnitude (≤ 30 here), summed in Double.
        #expect(abs(loss - expected) <= Double(n) * 30 * 0x1p-23)
    }

    @Test("every length (tails included) matches element-by-element evaluation, in place too, and writes only n outputs",
          arguments: [0, 1, 7, 8, 9, 15, 16, 17, 33, 1000])
    func lengthsAndInPlace(n: Int) {
        // Positive and negative values, a few special ones.
        let input: [Float] = (0..<n).map { i in
            switch i % 11 {
            case 3: .nan
            case 7: 0
            default: Float(i % 23) * 0.37 - 3.9 + Float(i) * 1e-3
            }
        }
        let sentinel: Float = -12345
        for (name, kernel) in Self.kernels {
            // One element at a time: the reference path through the padded tail.
            let single = input.map { v in Self.run(kernel, [v])[0] }
            // Whole buffer, out of place, into a larger buffer whose extra slots must stay intact.
            var out = [Float](repeating: sentinel, count: n + 9)
            input.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { y in kernel(x.baseAddress ?? UnsafePointer(y.baseAddress!), y.baseAddress!, n) }
            }
            // In place.
            var inPlace = input + [Float](repeating: sentinel, count: 9)
            inPlace.withUnsafeMutableBufferPointer { b in kernel(b.baseAddress!, b.baseAddress!, n) }

            func same(_ a: Float, _ b: Float) -> Bool { a == b || (a.isNaN && b.isNaN) }
            #expect(zip(single, out.prefix(n)).allSatisfy(same), "\(name) n = \(n) out of place")
            #expect(zip(single, inPlace.prefix(n)).allSatisfy(same), "\(name) n = \(n) in place")
            #expect(out.suffix(9).allSatisfy { $0 == sentinel }, "\(name) n = \(n) wrote past the end")
            #expect(inPlace.suffix(9).allSatisfy { $0 == sentinel }, "\(name) n = \(n) wrote past the end in place")
            // The values themselves agree with libm (loosely: accuracy is the sweeps' job).
            for (x, y) in zip(input, single) where !x.isNaN {
                let exact: Double = switch name {
                case "exp": Foundation.exp(Double(x))
                case "log": Foundation.log(Double(x))
                case "sigmoid": 1 / (1 + Foundation.exp(-Double(x)))
                case "tanh": Foundation.tanh(Double(x))
                default: Foundation.log1p(Foundation.exp(-abs(Double(x))))
                }
                if exact.isFinite {
                    #expect(abs(Double(y) - exact) <= 1e-6 * max(1, abs(exact)), "\(name)(\(x))")
                } else {
                    #expect(Double(y) == exact || (y.isNaN && exact.isNaN), "\(name)(\(x))")
                }
            }
            #expect(zip(input, single).allSatisfy { x, y in !x.isNaN || y.isNaN }, "\(name) NaN propagation")
        }
    }
}
