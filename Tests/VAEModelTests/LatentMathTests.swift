import Foundation
import SeededRandom
import Testing
@testable import VAEModel

@Suite("latent-space math")
struct LatentMathTests {
    @Test("Φ⁻¹ matches tabulated quantiles to 1e-12, in the centre and both tails")
    func normalQuantileValues() {
        // (p, Φ⁻¹(p)) from the standard normal tables (R: qnorm, 16 digits).
        let known: [(Double, Double)] = [
            (0.5, 0), (0.975, 1.959963984540054), (0.025, -1.959963984540054),
            (0.8413447460685429, 1.0), (0.001, -3.090232306167813), (0.999, 3.090232306167813),
            (0.02, -2.053748910631823), (1e-10, -6.361340902404056), (0.3, -0.5244005127080407),
        ]
        for (p, expected) in known {
            let value = normalQuantile(p)
            #expect(abs(value - expected) <= 1e-12 * max(1, abs(expected)), "Φ⁻¹(\(p)) = \(value), expected \(expected)")
        }
        #expect(normalQuantile(0) == -.infinity && normalQuantile(1) == .infinity)
        #expect(normalQuantile(1.5).isNaN && normalQuantile(-0.1).isNaN)
    }

    @Test("the quantile grid is symmetric, increasing and spans Φ⁻¹(0.5/steps) to Φ⁻¹(1 − 0.5/steps)")
    func quantileGrid() {
        let grid = normalQuantileGrid(steps: 20)
        #expect(grid.count == 20)
        #expect(abs(grid[0] + 1.959963984540054) < 1e-12 && abs(grid[19] - 1.959963984540054) < 1e-12)
        for i in 0..<20 { #expect(abs(grid[i] + grid[19 - i]) < 1e-12) }
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 < $1 })
        #expect(normalQuantileGrid(steps: 1) == [0])
    }

    @Test("Jacobi: the eigenvalues of the 3×3 second-difference matrix are 2 − √2, 2, 2 + √2 with known vectors")
    func symmetricEigen() {
        let matrix: [[Double]] = [[2, -1, 0], [-1, 2, -1], [0, -1, 2]]
        let eigen = SymmetricEigen(matrix)
        let sorted = eigen.values.sorted()
        let root2 = 2.0.squareRoot()
        #expect(abs(sorted[0] - (2 - root2)) < 1e-12 && abs(sorted[1] - 2) < 1e-12 && abs(sorted[2] - (2 + root2)) < 1e-12)
        // A·v = λ·v for every column.
        for k in 0..<3 {
            let v = (0..<3).map { eigen.vectors[$0][k] }
            for i in 0..<3 {
                let av = (0..<3).reduce(0.0) { $0 + matrix[i][$1] * v[$1] }
                #expect(abs(av - eigen.values[k] * v[i]) < 1e-12)
            }
        }
    }

    @Test("PCA finds the two directions of points spread 3 and 1 along them, with 90 % and 10 % of the variance")
    func principalComponents() {
        // Points ±3·u1 ± 1·u2 with u1 = (1, 1, 0)/√2, u2 = (0, 0, 1), offset by (5, −2, 1):
        // covariance 9·u1·u1ᵀ + 1·u2·u2ᵀ.
        let h = 1 / 2.0.squareRoot()
        var rows: [Float] = []
        for a in [-3.0, 3.0] {
            for b in [-1.0, 1.0] {
                rows += [Float(5 + a * h), Float(-2 + a * h), Float(1 + b)]
            }
        }
        let pca = PrincipalComponents(rows: rows, dimension: 3)
        // The rows are Float, so the tolerances are float32's (about 1e-7 relative), not Double's.
        #expect(abs(pca.variances[0] - 9) < 1e-5 && abs(pca.variances[1] - 1) < 1e-5 && abs(pca.variances[2]) < 1e-5)
        #expect(abs(pca.varianceFraction(0) - 0.9) < 1e-6 && abs(pca.varianceFraction(1) - 0.1) < 1e-6)
        #expect(abs(pca.components[0][0] - h) < 1e-6 && abs(pca.components[0][1] - h) < 1e-6 && abs(pca.components[0][2]) < 1e-6)
        #expect(abs(abs(pca.components[1][2]) - 1) < 1e-6)
        #expect(pca.mean.enumerated().allSatisfy { abs($0.element - [5, -2, 1][$0.offset]) < 1e-6 })
        let projected = pca.project(rows: rows, onto: 2)
        // The first point is −3·u1 − 1·u2 from the mean.
        #expect(abs(projected[0] + 3) < 1e-5 && abs(abs(projected[1]) - 1) < 1e-5)
    }

    @Test("KL per dimension: −½(1 + logσ² − μ² − σ²) averaged over the rows")
    func klPerDimension() {
        // Dimension 0: μ = 1, logσ² = 0 → ½ in both rows. Dimension 1: μ = 0, logσ² = log 2 → ½(1 − log 2),
        // and μ = 0, logσ² = 0 → 0; average ¼(1 − log 2).
        let encoding = Encoding(count: 2, latent: 2, mean: [1, 0, 1, 0], logVariance: [0, Float(log(2.0)), 0, 0])
        let kl = encoding.klPerDimension()
        #expect(abs(kl[0] - 0.5) < 1e-12)
        #expect(abs(kl[1] - 0.25 * (1 - log(2.0))) < 1e-7)
    }

    @Test("encode gives the heads' outputs; a sample is μ + ε·σ with ε from the seed")
    func encodeAndSample() {
        var generator = SeededGenerator(seed: 5)
        let model = VAE(configuration: VAEConfiguration(inputSize: 6, hidden: [5], latent: 3), generator: &generator)
        let inputs: [Float] = (0..<12).map { Float($0) / 12 }
        let encoding = model.encode(inputs: inputs)
        #expect(encoding.count == 2 && encoding.mean.count == 6 && encoding.logVariance.count == 6)
        #expect(encoding.mean == model.encodeMean(inputs: inputs))
        var draw = SeededGenerator(seed: 9), noiseGenerator = SeededGenerator(seed: 9)
        let z = encoding.sample(generator: &draw)
        var noise = [Float](repeating: 0, count: 6)
        noise.withUnsafeMutableBufferPointer { noiseGenerator.fillNormal($0) }
        for i in 0..<6 {
            let expected = encoding.mean[i] + noise[i] * Float(exp(0.5 * Double(encoding.logVariance[i])))
            #expect(abs(z[i] - expected) < 1e-6)
        }
        #expect(model.encode(inputs: inputs) == encoding, "encoding is deterministic")
    }
}
