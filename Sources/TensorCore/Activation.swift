/// An elementwise activation whose derivative can be read off its output.
///
/// | case | f(x) | f'(x) written with y = f(x) |
/// | --- | --- | --- |
/// | identity | x | 1 |
/// | relu | max(x, 0) | y > 0 ? 1 : 0 |
/// | leakyRelu | x > 0 ? x : 0.01 x | y > 0 ? 1 : 0.01 |
/// | tanh | tanh x | 1 - y² |
/// | sigmoid | 1 / (1 + e^-x) | y (1 - y) |
public enum Activation: String, Sendable, CaseIterable, Codable {
    case identity
    case relu
    case leakyRelu = "leaky-relu"
    case tanh
    case sigmoid

    /// The negative slope of `leakyRelu` (PyTorch's default).
    public static let leakySlope: Float = 0.01

    /// Applies the activation in place to `n` values.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        switch self {
        case .identity: break
        case .relu: for i in 0..<n { x[i] = max(x[i], 0) }
        case .leakyRelu: for i in 0..<n { let v = x[i]; x[i] = v > 0 ? v : Activation.leakySlope * v }
        case .tanh: VectorMath.tanh(x, x, n)
        case .sigmoid: VectorMath.sigmoid(x, x, n)
        }
    }

    /// Writes `upstream ⊙ f'(x)` to `out`, where `y = f(x)` is the activation's output.
    @inline(__always)
    public func backward(output y: UnsafePointer<Float>, upstream g: UnsafePointer<Float>,
                         into out: UnsafeMutablePointer<Float>, count n: Int) {
        switch self {
        case .identity: out.update(from: g, count: n)
        case .relu: for i in 0..<n { out[i] = y[i] > 0 ? g[i] : 0 }
        case .leakyRelu: for i in 0..<n { out[i] = y[i] > 0 ? g[i] : Activation.leakySlope * g[i] }
        case .tanh: for i in 0..<n { out[i] = g[i] * (1 - y[i] * y[i]) }
        case .sigmoid: for i in 0..<n { out[i] = g[i] * y[i] * (1 - y[i]) }
        }
    }
}
