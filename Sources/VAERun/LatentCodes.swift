import Foundation
import ImageIO
import SeededRandom
import VAEModel

/// Encoded examples: the encoder's output for some examples of a split, with their labels.
public struct EncodedExamples {
    /// Which examples (indices into the split), in order.
    public let indices: [Int]
    /// μ and logσ² per example.
    public let encoding: Encoding
    /// Each example's label, when the data has labels.
    public let labels: [Int]?

    public init(indices: [Int], encoding: Encoding, labels: [Int]?) {
        self.indices = indices
        self.encoding = encoding
        self.labels = labels
    }
}

/// Latent codes of data: encoding a split in chunks, ordering dimensions by KL, and the CSV export.
public enum LatentCodes {
    /// Examples encoded per forward pass (bounds the memory of encoding 60,000 images).
    static let chunkSize = 1000

    /// Encodes the examples at `indices` of `examples` with `model` (each with its own label for a
    /// conditional model), `chunkSize` at a time.
    public static func encode(_ model: VAE, examples: EvaluationExamples, indices: [Int], source: String) throws -> EncodedExamples {
        var parts: [Encoding] = []
        for start in stride(from: 0, to: indices.count, by: chunkSize) {
            let rows = examples.rows(Array(indices[start..<min(start + chunkSize, indices.count)]))
            parts.append(model.encode(inputs: rows.values, labels: try rows.labels(for: model.configuration, source: source)))
        }
        let labels = examples.data.labels.map { all in indices.map { Int(all[$0]) } }
        return EncodedExamples(indices: indices, encoding: Encoding(concatenating: parts, latent: model.configuration.latent),
                               labels: labels)
    }

    /// Latent dimensions ordered by decreasing KL (ties by index): the most used first.
    public static func dimensionsByKL(_ kl: [Double]) -> [Int] {
        kl.indices.sorted { kl[$0] > kl[$1] || (kl[$0] == kl[$1] && $0 < $1) }
    }

    /// The CSV text of encoded examples: a header `index,label,mu_0,…,mu_{L−1},logvar_0,…,logvar_{L−1}`
    /// (then `z_0,…,z_{L−1}` when `samples` is given) and one line per example; the label is empty when the
    /// data has none. Numbers are written in the shortest form that reads back to the same Float.
    /// - Parameter samples: one z per example ([count, L]), or nil.
    public static func csv(_ encoded: EncodedExamples, samples: [Float]? = nil) -> String {
        let e = encoded.encoding, latent = e.latent
        var header = ["index", "label"]
        header += (0..<latent).map { "mu_\($0)" } + (0..<latent).map { "logvar_\($0)" }
        if samples != nil { header += (0..<latent).map { "z_\($0)" } }
        var lines = [header.joined(separator: ",")]
        lines.reserveCapacity(e.count + 1)
        for row in 0..<e.count {
            var fields = [String(encoded.indices[row]), encoded.labels.map { String($0[row]) } ?? ""]
            let range = row * latent..<(row + 1) * latent
            fields += e.mean[range].map { $0.description } + e.logVariance[range].map { $0.description }
            if let samples { fields += samples[range].map { $0.description } }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// An output file that cannot be written (nothing is left at its path).
public enum OutputError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason): return "\(path): cannot write: \(reason)."
        }
    }

    public var errorDescription: String? { description }
}
