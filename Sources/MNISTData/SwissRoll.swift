import Foundation
import Batches
import SeededRandom

/// Examples that are plain rows of floats (N × featureCount, row-major), e.g. 2-D points.
public struct FloatDataset: TrainingData, Equatable {
    /// N × featureCount values, row-major.
    public let rows: [Float]
    /// Floats per row.
    public let featureCount: Int
    /// Optional labels, one per row.
    public let labels: [UInt8]?
    /// Number of label classes (0 without labels).
    public let classCount: Int

    /// Creates a float data set.
    ///
    /// - Parameters:
    ///   - rows: `count * featureCount` floats, row-major.
    ///   - featureCount: floats per row, ≥ 1.
    ///   - labels: one label per row below `classCount`, or `nil` (default).
    ///   - classCount: number of classes; default 0 (no labels).
    public init(rows: [Float], featureCount: Int, labels: [UInt8]? = nil, classCount: Int = 0) {
        precondition(featureCount > 0, "FloatDataset featureCount must be positive")
        precondition(rows.count % featureCount == 0, "FloatDataset: \(rows.count) floats is not a whole number of rows of \(featureCount)")
        if let labels {
            precondition(labels.count == rows.count / featureCount, "FloatDataset: one label per row needed")
            precondition(labels.allSatisfy { Int($0) < classCount }, "FloatDataset: a label is not below \(classCount)")
        }
        self.rows = rows
        self.featureCount = featureCount
        self.labels = labels
        self.classCount = classCount
    }

    /// Number of rows N.
    public var count: Int { rows.count / featureCount }

    /// Copies the rows at `indices` into `destination`; the generator is not used.
    public func fillBatch(indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>,
                          generator: inout SeededGenerator) {
        let n = featureCount
        rows.withUnsafeBufferPointer { source in
            var out = destination
            for index in indices {
                precondition(index >= 0 && index < count, "fillBatch: row index \(index) out of range 0..<\(count)")
                out.update(from: source.baseAddress! + index * n, count: n)
                out += n
            }
        }
    }
}

/// The classic 2-D Swiss roll (scikit-learn's `make_swiss_roll`, x and z coordinates),
/// standardised per coordinate.
///
/// For each point: `t = 1.5π(1 + 2u)` with `u ~ U[0,1)`, `x = t cos t + noise·ε₁`,
/// `y = t sin t + noise·ε₂` with `ε ~ N(0,1)`; then each coordinate is shifted and scaled to
/// zero mean and unit (population) variance: `x' = (x − mean) / std`.
public struct SwissRoll: Sendable, Equatable {
    /// N × 2 standardised points, row-major (x₀, y₀, x₁, y₁, …).
    public let points: [Float]
    /// The roll parameter `t` of each point, in [1.5π, 4.5π); useful to colour plots.
    public let positions: [Float]
    /// Mean of x and y before standardisation.
    public let means: [Float]
    /// Standard deviation of x and y before standardisation.
    public let standardDeviations: [Float]

    /// Draws `count` points.
    ///
    /// - Parameters:
    ///   - count: number of points N ≥ 2.
    ///   - noise: standard deviation of the Gaussian noise added to x and y before
    ///     standardisation (the roll spans radius 4.7…14.1); default 0.5.
    ///   - generator: source of the uniform `t` and the noise.
    public init(count: Int, noise: Float = 0.5, generator: inout SeededGenerator) {
        precondition(count >= 2, "SwissRoll needs at least 2 points, got \(count)")
        precondition(noise >= 0, "SwissRoll noise must not be negative, got \(noise)")
        var positions = [Float](repeating: 0, count: count)
        for i in 0..<count { positions[i] = 1.5 * Float.pi * (1 + 2 * generator.nextUniformFloat()) }
        var epsilon = [Float](repeating: 0, count: 2 * count)
        if noise > 0 { epsilon.withUnsafeMutableBufferPointer { generator.fillNormal($0) } }
        var raw = [Double](repeating: 0, count: 2 * count)
        for i in 0..<count {
            let t = Double(positions[i])
            raw[2 * i] = t * cos(t) + Double(noise * epsilon[2 * i])
            raw[2 * i + 1] = t * sin(t) + Double(noise * epsilon[2 * i + 1])
        }
        var means = [Double](repeating: 0, count: 2)
        var deviations = [Double](repeating: 0, count: 2)
        for c in 0..<2 {
            var sum = 0.0
            for i in 0..<count { sum += raw[2 * i + c] }
            let mean = sum / Double(count)
            var squares = 0.0
            for i in 0..<count { let d = raw[2 * i + c] - mean; squares += d * d }
            means[c] = mean
            deviations[c] = max((squares / Double(count)).squareRoot(), 1e-12)
        }
        var points = [Float](repeating: 0, count: 2 * count)
        for i in 0..<count {
            for c in 0..<2 { points[2 * i + c] = Float((raw[2 * i + c] - means[c]) / deviations[c]) }
        }
        self.points = points
        self.positions = positions
        self.means = means.map { Float($0) }
        self.standardDeviations = deviations.map { Float($0) }
    }

    /// Number of points N.
    public var count: Int { positions.count }

    /// The points as training rows (featureCount 2, no labels).
    public var dataset: FloatDataset { FloatDataset(rows: points, featureCount: 2) }
}
