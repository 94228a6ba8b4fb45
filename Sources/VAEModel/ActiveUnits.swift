import SeededRandom
/// Which latent dimensions a VAE uses (Burda, Grosse & Salakhutdinov, 2016):
/// A_u = Cov_x(E_q[z_u | x]), the variance over the data set of the encoder mean μ_u;
/// unit u is active when A_u > threshold (0.01 in the paper).
public struct ActiveUnits: Sendable, Equatable {
    /// A_u per latent dimension: the population variance (divided by N) of μ_u, [latent].
    public let variances: [Double]
    /// The activity threshold.
    public let threshold: Double
    /// Examples the variances were computed over.
    public let examples: Int

    public init(variances: [Double], threshold: Double, examples: Int) {
        self.variances = variances; self.threshold = threshold; self.examples = examples
    }

    /// Whether each dimension is active (A_u > threshold), [latent].
    public var isActive: [Bool] { variances.map { $0 > threshold } }

    /// The number of active dimensions.
    public var activeCount: Int { variances.reduce(0) { $0 + ($1 > threshold ? 1 : 0) } }
}

/// Streams encoder means μ (one row of `latent` values per example) into per-dimension means and
/// variances, in Double (Welford's update), so a data set can be added in any number of pieces.
public struct ActiveUnitsAccumulator: Sendable, Equatable {
    /// Latent dimensions L.
    public let latent: Int
    /// Examples added so far.
    public private(set) var count = 0
    /// Running mean of μ per dimension, [latent].
    public private(set) var mean: [Double]
    /// Running Σ (μ − mean)² per dimension, [latent].
    private var squaredDeviations: [Double]

    public init(latent: Int) {
        precondition(latent > 0, "ActiveUnitsAccumulator: latent must be positive, got \(latent)")
        self.latent = latent
        mean = [Double](repeating: 0, count: latent)
        squaredDeviations = [Double](repeating: 0, count: latent)
    }

    /// Adds examples' means, [count, latent] row-major.
    public mutating func add(means: UnsafeBufferPointer<Float>) {
        precondition(means.count % latent == 0, "ActiveUnitsAccumulator: \(means.count) values are not rows of \(latent)")
        let rows = means.count / latent
        for r in 0..<rows {
            count += 1
            let n = Double(count)
            for j in 0..<latent {
                let value = Double(means[r * latent + j])
                let delta = value - mean[j]
                mean[j] += delta / n
                squaredDeviations[j] += delta * (value - mean[j])
            }
        }
    }

    /// Adds examples' means, [count, latent] row-major.
    public mutating func add(means: [Float]) {
        means.withUnsafeBufferPointer { add(means: $0) }
    }

    /// Adds the means of a likelihood estimate's examples.
    public mutating func add(_ estimates: LikelihoodEstimates) {
        precondition(estimates.latent == latent, "ActiveUnitsAccumulator: \(estimates.latent) latent dimensions, expected \(latent)")
        add(means: estimates.means)
    }

    /// A_u = Σ (μ_u − mean_u)² / N per dimension, and which exceed `threshold` (default 0.01).
    /// All variances are 0 before anything is added.
    public func result(threshold: Double = 0.01) -> ActiveUnits {
        let n = Double(max(count, 1))
        return ActiveUnits(variances: squaredDeviations.map { $0 / n }, threshold: threshold, examples: count)
    }
}
