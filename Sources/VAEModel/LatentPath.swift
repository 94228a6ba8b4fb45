import Foundation

/// `steps` latent vectors on the way from `start` to `end` (both L values), the ends included:
/// t_i = i / (steps − 1), and
/// - linear: z(t) = (1 − t)·a + t·b;
/// - spherical (`spherical: true`, "slerp", White 2016): z(t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b
///   with cos Ω = a·b / (|a| |b|), which keeps the norm of z typical of N(0, I) along the way; it falls
///   back to linear when a or b is zero or they are (anti)parallel (sin Ω < 10⁻⁶).
/// - Returns: [steps, L] row-major; a single step gives `start`.
public func latentPath(from start: [Float], to end: [Float], steps: Int, spherical: Bool) -> [Float] {
    precondition(start.count == end.count, "latentPath: ends of different sizes")
    precondition(steps > 0, "latentPath: steps must be positive")
    let a = start.map(Double.init), b = end.map(Double.init)
    let normA = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), normB = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let omega = normA > 0 && normB > 0 ? acos(min(1, max(-1, dot / (normA * normB)))) : 0
    let useSpherical = spherical && sin(omega) > 1e-6
    var result: [Float] = []
    result.reserveCapacity(steps * a.count)
    for i in 0..<steps {
        let t = steps == 1 ? 0 : Double(i) / Double(steps - 1)
        let weightA = useSpherical ? sin((1 - t) * omega) / sin(omega) : 1 - t
        let weightB = useSpherical ? sin(t * omega) / sin(omega) : t
        for j in a.indices { result.append(Float(weightA * a[j] + weightB * b[j])) }
    }
    return result
}
