// The fused per-row log p(x|z) of each likelihood, from the decoder's output.

import Dispatch
import Foundation
import NN
import SeededRandom
import TensorCore

enum LikelihoodKernel {
    typealias V = SIMD16<Float>
    typealias U = SIMD16<UInt32>

    static let halfLogPi = 0.5 * Foundation.log(Double.pi)
    static let log2 = Foundation.log(2.0)

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Sums the 16 lanes in Double.
    @inline(__always)
    static func total(_ v: V) -> Double {
        var s = 0.0
        for j in 0..<V.scalarCount { s += Double(v[j]) }
        return s
    }

    /// |v|, by clearing the sign bits.
    @inline(__always)
    static func magnitude(_ v: V) -> V {
        unsafeBitCast(unsafeBitCast(v, to: U.self) & U(repeating: 0x7FFF_FFFF), to: V.self)
    }

    /// 1 + e^−|l| for one vector, in (1, 2].
    ///
    /// y = −|l|·log₂e, clamped to ≥ −125 (below that e^−|l| < 2^−125 does not change 1 + t);
    /// y = n + f with n = round(y) and |f| ≤ ½; 2^f = 1 + f·P(f) with the degree-5 minimax P of
    /// Cephes `exp2f` (relative error 1.7e-7); 2^n from the exponent bits. The relative error of t,
    /// about |y|·2^−24 from rounding y plus 2e-7, changes ln(1 + t) by at most t·that, below 1e-7.
    @inline(__always)
    static func onePlusExpNegativeAbs(_ l: V) -> V {
        var y = magnitude(l) * -1.442_695_04
        y = y.replacing(with: -125, where: y .< -125)
        let shifted = y + 12_582_912            // 1.5·2^23: rounds y to an integer in the low bits
        let n = shifted - 12_582_912
        let f = y - n
        var p = V(repeating: 1.535_336_188_319_500e-4)
        p = p * f + 1.339_887_440_266_574e-3
        p = p * f + 9.618_437_357_674_640e-3
        p = p * f + 5.550_332_471_162_809e-2
        p = p * f + 2.402_264_791_363_012e-1
        p = p * f + 6.931_472_028_550_421e-1
        let scale = unsafeBitCast((unsafeBitCast(shifted, to: U.self) &- 0x4B40_0000 &+ 127) &<< 23, to: V.self)
        return (f * p + 1) * scale + 1
    }

    /// log p(x | z) of one row.
    ///
    /// - Parameters:
    ///   - loss: picks the likelihood (see `LikelihoodEstimator`): bce → Bernoulli from the logits,
    ///     mse → Gaussian with variance ½, l1 → Laplace with scale 1.
    ///   - activation: the output activation (mse and l1 only; bce reads the logits).
    ///   - logits: the output layer's values before its activation (bias included), `count` values;
    ///     on return they are replaced by the bias.
    ///   - bias: the output layer's bias, `count` values.
    ///   - target: x, `count` values.
    static func logLikelihood(loss: ReconstructionLoss, activation: Activation, logits row: UnsafeMutablePointer<Float>,
                              bias: UnsafePointer<Float>, target x: UnsafePointer<Float>, count n: Int) -> Double {
        let w = V.scalarCount
        let full = n - n % w
        switch loss {
        case .bce:
            // −Σ [max(l, 0) − l·x + ln(1 + e^−|l|)], with Σ ln(1 + t) taken as ln Π (1 + t): one log per
            // 512 values (each factor is in (1, 2], so a lane's product of 32 factors stays below 2^32
            // and the Double product of 16 lanes below 2^512).
            var acc = V(repeating: 0)
            var sum = 0.0
            var j = 0
            while j < full {
                let end = min(full, j + 32 * w)
                var product = V(repeating: 1)
                while j < end {
                    let l = load(row + j)
                    acc += l.replacing(with: 0, where: l .< 0) - l * load(x + j)
                    product *= onePlusExpNegativeAbs(l)
                    store(load(bias + j), row + j)
                    j += w
                }
                var p = 1.0
                for lane in 0..<w { p *= Double(product[lane]) }
                sum += Foundation.log(p)
            }
            sum += total(acc)
            while j < n {
                let l = Double(row[j])
                sum += max(l, 0) - l * Double(x[j]) + Foundation.log1p(Foundation.exp(-abs(l)))
                row[j] = bias[j]
                j += 1
            }
            return -sum
        case .mse:
            // −[Σ (x − x̂)² + (D/2) ln π]
            activation.apply(row, count: n)
            var acc = V(repeating: 0)
            var j = 0
            while j < full {
                let e = load(x + j) - load(row + j)
                acc += e * e
                store(load(bias + j), row + j)
                j += w
            }
            var sum = total(acc)
            while j < n { let e = x[j] - row[j]; sum += Double(e * e); row[j] = bias[j]; j += 1 }
            return -(sum + Double(n) * halfLogPi)
        case .l1:
            // −[Σ |x − x̂| + D ln 2]
            activation.apply(row, count: n)
            var acc = V(repeating: 0)
            var j = 0
            while j < full {
                acc += magnitude(load(x + j) - load(row + j))
                store(load(bias + j), row + j)
                j += w
            }
            var sum = total(acc)
            while j < n { sum += Double(abs(x[j] - row[j])); row[j] = bias[j]; j += 1 }
            return -(sum + Double(n) * log2)
        }
    }
}
