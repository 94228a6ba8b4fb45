import Foundation
import SeededRandom
import TensorCore

/// The encoder's output for a set of examples: the mean μ and log-variance logσ² of q(z | x),
/// each [count, latent] row-major.
public struct Encoding: Sendable, Equatable {
    /// Examples encoded.
    public let count: Int
    /// Latent dimensions L.
    public let latent: Int
    /// μ, [count, latent].
    public let mean: [Float]
    /// logσ², [count, latent].
    public let logVariance: [Float]

    public init(count: Int, latent: Int, mean: [Float], logVariance: [Float]) {
        precondition(mean.count == count * latent && logVariance.count == count * latent,
                     "Encoding: need \(count) rows of \(latent) means and log-variances")
        self.count = count
        self.latent = latent
        self.mean = mean
        self.logVariance = logVariance
    }

    /// The rows of several encodings, in order (all of the same latent size).
    public init(concatenating parts: [Encoding], latent: Int) {
        precondition(parts.allSatisfy { $0.latent == latent }, "Encoding: parts of different latent sizes")
        self.init(count: parts.reduce(0) { $0 + $1.count }, latent: latent,
                  mean: parts.flatMap(\.mean), logVariance: parts.flatMap(\.logVariance))
    }

    /// The KL divergence KL(q(z_j | x) ‖ N(0, 1)) of each latent dimension j, averaged over the examples
    /// (in nats, computed in Double):
    /// KL_j = (1/N) Σ_n −½ (1 + logσ²_nj − μ²_nj − σ²_nj).
    /// Dimensions the model does not use have KL ≈ 0 ("inactive units"); summed over j it is the
    /// KL term of the loss per example.
    /// - Returns: L values; all zero when `count` is 0.
    public func klPerDimension() -> [Double] {
        var sums = [Double](repeating: 0, count: latent)
        for row in 0..<count {
            for j in 0..<latent {
                let mu = Double(mean[row * latent + j]), logVar = Double(logVariance[row * latent + j])
                sums[j] += -0.5 * (1 + logVar - mu * mu - exp(logVar))
            }
        }
        return sums.map { count > 0 ? $0 / Double(count) : 0 }
    }

    /// One draw z = μ + ε ⊙ exp(½ logσ²) per example, ε ~ N(0, I) from `generator` in row-major order
    /// ([count, latent]).
    public func sample(generator: inout SeededGenerator) -> [Float] {
        var noise = [Float](repeating: 0, count: count * latent)
        noise.withUnsafeMutableBufferPointer { generator.fillNormal($0) }
        for index in noise.indices {
            let standardDeviation = Float(exp(0.5 * Double(logVariance[index])))
            noise[index] = mean[index] + noise[index] * standardDeviation
        }
        return noise
    }

    /// Row `index`'s mean, L values.
    public func meanRow(_ index: Int) -> [Float] {
        Array(mean[index * latent..<(index + 1) * latent])
    }
}

extension VAE {
    /// Runs the encoder: μ and logσ² of q(z | x) for each example.
    ///
    /// - Parameters:
    ///   - inputs: [count, inputSize] row-major, scaled as in training (`PixelScaling.forEvaluation`).
    ///   - labels: one class per row for a conditional model (nil otherwise).
    /// - Returns: the encoding, [count, latent] each.
    public func encode(inputs: [Float], labels: [Int]? = nil) -> Encoding {
        let c = configuration
        precondition(inputs.count % c.inputSize == 0, "encode: \(inputs.count) values are not rows of \(c.inputSize)")
        let count = inputs.count / c.inputSize
        let tape = Tape()
        var h = Tensor(shape: [count, c.inputSize], values: inputs)
        if c.isConditional { h = tape.concatColumns(h, oneHot(labels, rows: count)) }
        h = encoder(h, on: tape)
        return Encoding(count: count, latent: c.latent, mean: meanHead(h, on: tape).values,
                        logVariance: logVarianceHead(h, on: tape).values)
    }
}
