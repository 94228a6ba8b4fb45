import Foundation

/// Elementwise transcendental functions over raw buffers: the hot loops of a training step.
///
/// Every function takes `(input, output, count)` and may run in place (`input == output`).
public enum VectorMath {
    /// out[i] = e^x[i]
    @inline(__always)
    public static func exp(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = Foundation.exp(x[i]) }
    }

    /// out[i] = ln x[i]
    @inline(__always)
    public static func log(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = Foundation.log(x[i]) }
    }

    /// out[i] = 1 / (1 + e^-x[i]), computed without overflow for large |x|.
    @inline(__always)
    public static func sigmoid(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let v = x[i]
            if v >= 0 {
                out[i] = 1 / (1 + Foundation.exp(-v))
            } else {
                let e = Foundation.exp(v)
                out[i] = e / (1 + e)
            }
        }
    }

    /// out[i] = tanh x[i]
    @inline(__always)
    public static func tanh(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = Foundation.tanh(x[i]) }
    }

    /// out[i] = ln(1 + e^-|x[i]|), the stable tail of binary cross-entropy from logits.
    @inline(__always)
    public static func softplusOfNegativeAbs(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = Foundation.log1p(Foundation.exp(-abs(x[i]))) }
    }
}
