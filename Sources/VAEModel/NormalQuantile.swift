import Foundation

/// The standard normal distribution's quantile function Φ⁻¹(p): the z with P(Z ≤ z) = p for Z ~ N(0, 1).
///
/// Acklam's rational approximation (P. J. Acklam, "An algorithm for computing the inverse normal
/// cumulative distribution function", 2003): a central rational function for 0.02425 ≤ p ≤ 0.97575 and a
/// rational function of q = √(−2 log p) in each tail, relative error below 1.15·10⁻⁹; then one step of
/// Halley's method on Φ(x) − p with Φ(x) = ½ erfc(−x/√2), which brings it to about 1·10⁻¹⁵ (the unit
/// test checks 1·10⁻¹² against tabulated values such as Φ⁻¹(0.975) = 1.959963984540054).
///
/// - Parameter p: a probability in the open interval (0, 1).
/// - Returns: Φ⁻¹(p); −∞ for p = 0 and +∞ for p = 1; NaN outside [0, 1].
public func normalQuantile(_ p: Double) -> Double {
    guard p >= 0, p <= 1 else { return .nan }
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01]
    let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let lowTail = 0.02425
    var x: Double
    if p < lowTail || p > 1 - lowTail {
        // Tails: x = ±(c(q) / d(q)) with q = √(−2 log(min(p, 1 − p))).
        let q = (-2 * log(min(p, 1 - p))).squareRoot()
        let numerator = ((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]
        let denominator = (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        x = p < lowTail ? numerator / denominator : -numerator / denominator
    } else {
        // Centre: x = q · a(r) / b(r) with q = p − ½, r = q².
        let q = p - 0.5, r = q * q
        let numerator = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        let denominator = ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1
        x = numerator / denominator
    }
    // One Halley step: e = Φ(x) − p, u = e · √(2π) · exp(x²/2), x ← x − u / (1 + x·u/2).
    let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= u / (1 + x * u / 2)
    return x
}

/// `steps` evenly spaced quantiles of N(0, 1): z_i = Φ⁻¹((i + ½) / steps) for i = 0..<steps, the
/// midpoints of `steps` equal-probability bins (Kingma & Welling's manifold figure spaces z this way).
/// For 20 steps they run from Φ⁻¹(0.025) = −1.96 to +1.96.
public func normalQuantileGrid(steps: Int) -> [Double] {
    precondition(steps > 0, "normalQuantileGrid: steps must be positive")
    return (0..<steps).map { normalQuantile((Double($0) + 0.5) / Double(steps)) }
}
