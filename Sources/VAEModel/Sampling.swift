import NN
import SeededRandom
import TensorCore

extension VAE {
    /// Decodes latent vectors into examples: x̂ = output(decoder(z | one-hot label)).
    ///
    /// - Parameters:
    ///   - latents: [count, latent] row-major.
    ///   - labels: one class per row for a conditional model (nil otherwise).
    /// - Returns: [count, inputSize] after the output activation.
    public func decode(latents: [Float], labels: [Int]? = nil) -> [Float] {
        let c = configuration
        precondition(latents.count % c.latent == 0, "decode: \(latents.count) values are not rows of \(c.latent)")
        let count = latents.count / c.latent
        let tape = Tape()
        let z = Tensor(shape: [count, c.latent], values: latents)
        var d = z
        if c.isConditional {
            d = tape.concatColumns(z, oneHot(labels, rows: count))
        }
        d = decoder(d, on: tape)
        return outputLayer(d, on: tape, activation: c.output.activation).values
    }

    /// Draws `count` examples: z ~ N(0, I) from `generator`, then `decode`.
    /// - Parameter labels: one class per example for a conditional model.
    public func sample(count: Int, labels: [Int]? = nil, generator: inout SeededGenerator) -> [Float] {
        precondition(count > 0, "sample: count must be positive")
        var z = [Float](repeating: 0, count: count * configuration.latent)
        z.withUnsafeMutableBufferPointer { generator.fillNormal($0) }
        return decode(latents: z, labels: labels)
    }

    /// The encoder's mean μ for each example ([count, inputSize] in, [count, latent] out); see `encode`.
    public func encodeMean(inputs: [Float], labels: [Int]? = nil) -> [Float] {
        encode(inputs: inputs, labels: labels).mean
    }

    /// Reconstructs examples through the mean of q(z | x): x̂ = decode(μ(x)) (deterministic).
    public func reconstruct(inputs: [Float], labels: [Int]? = nil) -> [Float] {
        decode(latents: encodeMean(inputs: inputs, labels: labels), labels: labels)
    }

    func oneHot(_ labels: [Int]?, rows: Int) -> Tensor {
        let classes = configuration.classes
        guard let labels else { preconditionFailure("a conditional model needs one label per row") }
        precondition(labels.count == rows, "\(labels.count) labels for \(rows) rows")
        let t = Tensor(shape: [rows, classes])
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
            t[row, label] = 1
        }
        return t
    }
}
