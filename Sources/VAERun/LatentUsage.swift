import Foundation
import VAEModel

/// How much a model uses each latent dimension on some data: the per-dimension KL of its encoding.
public struct LatentUsage {
    /// KL_j averaged over the examples (see `Encoding.klPerDimension`), L values.
    public let kl: [Double]
    /// Dimensions by decreasing KL.
    public let order: [Int]
    /// Examples the KL was averaged over, and which split they are.
    public let examples: Int
    public let split: String

    /// Measures the usage on the first `count` (default 2,000) of the data's evaluation examples.
    public static func measure(_ model: VAE, data: RunData, count: Int = 2000) throws -> LatentUsage {
        let examples = data.evaluationExamples
        let indices = Array(0..<min(count, examples.data.count))
        let encoded = try LatentCodes.encode(model, examples: examples, indices: indices, source: data.sourceName)
        let kl = encoded.encoding.klPerDimension()
        return LatentUsage(kl: kl, order: LatentCodes.dimensionsByKL(kl), examples: indices.count, split: examples.split)
    }
}
