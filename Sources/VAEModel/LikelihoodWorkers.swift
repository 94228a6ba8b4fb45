// The estimator's machinery: the forward pass on raw buffers, the queue of example groups, and the
// worker that runs a group through the encoder, the noise and the decoder passes.

import Dispatch
import Foundation
import NN
import SeededRandom
import TensorCore

// MARK: - Forward pass on raw buffers

/// One linear layer read in place: y = f(x · Wᵀ + b), W stored [outputs, inputs] or [inputs, outputs].
struct DenseLayer {
    let weight: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let inputs: Int
    let outputs: Int
    let layout: WeightLayout

    init(_ layer: Linear) {
        weight = UnsafePointer(layer.weight.data); bias = UnsafePointer(layer.bias.data)
        inputs = layer.inputSize; outputs = layer.outputSize; layout = layer.layout
    }

    /// y[rows, outputs] = x[rows, inputs] · Wᵀ + beta · y (beta 0: without the bias; beta 1: added to
    /// what y holds, for example the bias in every row).
    @inline(__always)
    func product(_ x: UnsafePointer<Float>, rows: Int, beta: Float = 0, into y: UnsafeMutablePointer<Float>) {
        gemm(transposeA: .none, transposeB: layout.forwardTranspose, m: rows, n: outputs, k: inputs,
             a: x, lda: inputs, b: weight, ldb: layout == .inputsByOutputs ? outputs : inputs, beta: beta,
             c: y, ldc: outputs)
    }

    /// y = f(x · Wᵀ + b): one sgemm, then bias and activation row by row while the row is in cache.
    func forward(_ x: UnsafePointer<Float>, rows: Int, activation: Activation, into y: UnsafeMutablePointer<Float>) {
        product(x, rows: rows, into: y)
        for r in 0..<rows {
            let row = y + r * outputs
            for j in 0..<outputs { row[j] += bias[j] }
            activation.apply(row, count: outputs)
        }
    }
}

/// A model's layers as raw buffers, in the order the forward pass uses them.
final class ForwardPlan: @unchecked Sendable {
    let configuration: VAEConfiguration
    let encoder: [DenseLayer]
    let meanHead: DenseLayer
    let logVarianceHead: DenseLayer
    let decoder: [DenseLayer]
    let output: DenseLayer
    let model: VAE  // keeps the parameter buffers alive

    init(model: VAE) {
        self.model = model
        configuration = model.configuration
        encoder = model.encoder.layers.map(DenseLayer.init)
        meanHead = DenseLayer(model.meanHead)
        logVarianceHead = DenseLayer(model.logVarianceHead)
        decoder = model.decoder.layers.map(DenseLayer.init)
        output = DenseLayer(model.outputLayer)
    }
}

/// Deals groups of examples to workers in order and reports progress, one call at a time.
final class GroupQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let groups: Int
    private let imagesPerGroup: Int
    private let images: Int
    private let progress: ((Int) -> Void)?
    private var nextGroup = 0
    private var done = 0

    init(groups: Int, imagesPerGroup: Int, images: Int, progress: ((Int) -> Void)?) {
        self.groups = groups; self.imagesPerGroup = imagesPerGroup; self.images = images; self.progress = progress
    }

    /// The examples of the next group, or nil when all are taken.
    func next() -> Range<Int>? {
        lock.lock(); defer { lock.unlock() }
        guard nextGroup < groups else { return nil }
        let first = nextGroup * imagesPerGroup
        nextGroup += 1
        return first..<min(first + imagesPerGroup, images)
    }

    /// Counts `count` more examples as finished and reports the total.
    func finished(_ count: Int) {
        lock.lock(); defer { lock.unlock() }
        done += count
        progress?(done)
    }
}

/// One `estimate` call's inputs and output buffers, shared read-only by the workers (each writes
/// only its own examples' slots).
struct EstimatorJob: @unchecked Sendable {
    let inputs: UnsafePointer<Float>
    let labels: [Int]?
    let count: Int
    let firstIndex: Int
    let samples: Int
    let seed: UInt64
    let results: UnsafeMutablePointer<ImageLikelihood>
    let means: UnsafeMutablePointer<Float>
    let klPerDimension: UnsafeMutablePointer<Double>
}

/// One worker's buffers, sized once for a group of `images` examples and passes of `rows` rows.
final class EstimatorWorker: @unchecked Sendable {
    let plan: ForwardPlan
    let images: Int
    let rows: Int
    // Encoder side, [images, ·].
    private let encoderInput: UnsafeMutablePointer<Float>
    private let encoderHidden: [UnsafeMutablePointer<Float>]
    private let mean: UnsafeMutablePointer<Float>
    private let logVariance: UnsafeMutablePointer<Float>
    private let standardDeviation: UnsafeMutablePointer<Float>
    /// Per example: ½ Σ_j logσ²_j, and the running state of its samples.
    private let halfLogVarianceSum: UnsafeMutablePointer<Double>
    private let klSum: UnsafeMutablePointer<Double>
    private let runningMax: UnsafeMutablePointer<Double>
    private let scaledSum: UnsafeMutablePointer<Double>
    private let likelihoodSum: UnsafeMutablePointer<Double>
    private let weightSum: UnsafeMutablePointer<Double>
    // Decoder side, [rows, ·].
    private let decoderInput: UnsafeMutablePointer<Float>
    private let decoderHidden: [UnsafeMutablePointer<Float>]
    private let output: UnsafeMutablePointer<Float>
    /// Per row: log p(z) − log q(z|x), and which example of the group it belongs to.
    private let rowPriorRatio: UnsafeMutablePointer<Double>
    private let rowImage: UnsafeMutablePointer<Int>
    private let noise: UnsafeMutablePointer<Float>
    private let noiseRadius: UnsafeMutablePointer<Float>
    private let noiseAngle: UnsafeMutablePointer<Float>
    private var allocations: [UnsafeMutableRawPointer] = []

    init(plan: ForwardPlan, images: Int, rows: Int) {
        self.plan = plan
        self.images = images
        self.rows = rows
        let c = plan.configuration
        var allocations: [UnsafeMutableRawPointer] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocations.append(UnsafeMutableRawPointer(p))
            return p
        }
        func doubles(_ n: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocations.append(UnsafeMutableRawPointer(p))
            return p
        }
        encoderInput = floats(images * (c.inputSize + c.classes))
        encoderHidden = plan.encoder.map { floats(images * $0.outputs) }
        mean = floats(images * c.latent)
        logVariance = floats(images * c.latent)
        standardDeviation = floats(images * c.latent)
        halfLogVarianceSum = doubles(images)
        klSum = doubles(images)
        runningMax = doubles(images)
        scaledSum = doubles(images)
        likelihoodSum = doubles(images)
        weightSum = doubles(images)
        decoderInput = floats(rows * (c.latent + c.classes))
        decoderHidden = plan.decoder.map { floats(rows * $0.outputs) }
        output = floats(rows * c.inputSize)
        rowPriorRatio = doubles(rows)
        let rowImage = UnsafeMutablePointer<Int>.allocate(capacity: max(rows, 1))
        rowImage.initialize(repeating: 0, count: max(rows, 1))
        allocations.append(UnsafeMutableRawPointer(rowImage))
        self.rowImage = rowImage
        noise = floats(rows * c.latent)
        noiseRadius = floats(rows * ((c.latent + 1) / 2))
        noiseAngle = floats(rows * ((c.latent + 1) / 2))
        self.allocations = allocations
    }

    deinit { for p in allocations { p.deallocate() } }

    /// Writes the output layer's bias into every row of `output`, once per `estimate` call; from
    /// then on the likelihood kernel restores each row to the bias after reading it.
    func prepareOutput() {
        let d = plan.output.outputs
        for r in 0..<rows { (output + r * d).update(from: plan.output.bias, count: d) }
    }

    /// Estimates examples `range` of `job` (at most `images` of them): encode, then stream their
    /// (example, sample) rows through the decoder in passes of at most `rows`.
    func run(_ job: EstimatorJob, images range: Range<Int>) {
        let c = plan.configuration
        let d = c.inputSize, latent = c.latent, classes = c.classes
        let n = range.count
        precondition(n <= images)

        // Encoder: [x | one-hot] → hidden → μ, logσ².
        let encoderWidth = d + classes
        for i in 0..<n {
            let row = encoderInput + i * encoderWidth
            row.update(from: job.inputs + (range.lowerBound + i) * d, count: d)
            if classes > 0 {
                (row + d).update(repeating: 0, count: classes)
                row[d + job.labels![range.lowerBound + i]] = 1
            }
        }
        var h = UnsafePointer(encoderInput)
        for (layer, buffer) in zip(plan.encoder, encoderHidden) {
            layer.forward(h, rows: n, activation: c.activation, into: buffer)
            h = UnsafePointer(buffer)
        }
        plan.meanHead.forward(h, rows: n, activation: .identity, into: mean)
        plan.logVarianceHead.forward(h, rows: n, activation: .identity, into: logVariance)

        // Per example: σ, KL per dimension, μ out, and the running sums reset.
        for i in 0..<n {
            let image = range.lowerBound + i
            var kl = 0.0, halfSum = 0.0
            for j in 0..<latent {
                let mu = Double(mean[i * latent + j]), lv = Double(logVariance[i * latent + j])
                let variance = Foundation.exp(lv)
                standardDeviation[i * latent + j] = Float(Foundation.exp(0.5 * lv))
                let term = -0.5 * (1 + lv - mu * mu - variance)
                job.klPerDimension[image * latent + j] = term
                kl += term
                halfSum += 0.5 * lv
            }
            halfLogVarianceSum[i] = halfSum
            (job.means + image * latent).update(from: mean + i * latent, count: latent)
            klSum[i] = kl
            runningMax[i] = -.infinity; scaledSum[i] = 0; likelihoodSum[i] = 0; weightSum[i] = 0
        }

        // Samples, in passes.
        let k = job.samples
        let decoderWidth = latent + classes
        var image = 0, sample = 0
        var generator = LikelihoodEstimator.generator(seed: job.seed, imageIndex: job.firstIndex + range.lowerBound)
        while image < n {
            var filled = 0
            while filled < rows && image < n {
                // The next run of samples of one example: ε from its generator, then for each
                // z = μ + σ ⊙ ε and log p(z) − log q(z|x) = Σ_j [−½ z_j² + ½ logσ²_j + ½ ε_j²].
                let run = min(rows - filled, k - sample)
                NormalNoise.fill(noise + filled * latent, samples: run, latent: latent, generator: &generator,
                                 radius: noiseRadius, angle: noiseAngle)
                let mu = mean + image * latent, sigma = standardDeviation + image * latent
                for r in filled..<(filled + run) {
                    let z = decoderInput + r * decoderWidth, e = noise + r * latent
                    var ratio = halfLogVarianceSum[image]
                    for j in 0..<latent {
                        let value = mu[j] + sigma[j] * e[j]
                        z[j] = value
                        ratio += 0.5 * (Double(e[j]) * Double(e[j]) - Double(value) * Double(value))
                    }
                    if classes > 0 {
                        (z + latent).update(repeating: 0, count: classes)
                        z[latent + job.labels![range.lowerBound + image]] = 1
                    }
                    rowPriorRatio[r] = ratio
                    rowImage[r] = image
                }
                filled += run
                sample += run
                if sample == k {
                    image += 1
                    sample = 0
                    if image < n {
                        generator = LikelihoodEstimator.generator(seed: job.seed,
                                                                  imageIndex: job.firstIndex + range.lowerBound + image)
                    }
                }
            }

            // Decoder: hidden layers, then the output product; bias, activation and log p(x|z) fused per row.
            var h = UnsafePointer(decoderInput)
            for (layer, buffer) in zip(plan.decoder, decoderHidden) {
                layer.forward(h, rows: filled, activation: c.activation, into: buffer)
                h = UnsafePointer(buffer)
            }
            // Every row of `output` holds the bias (see `prepareOutput`), so the product adds to it
            // (beta = 1: no zeroing pass) and the kernel puts the bias back after reading a row.
            plan.output.product(h, rows: filled, beta: 1, into: output)
            for r in 0..<filled {
                let i = rowImage[r]
                let logLikelihood = LikelihoodKernel.logLikelihood(
                    loss: c.loss, activation: c.output.activation, logits: output + r * d, bias: plan.output.bias,
                    target: job.inputs + (range.lowerBound + i) * d, count: d)
                let logWeight = logLikelihood + rowPriorRatio[r]
                likelihoodSum[i] += logLikelihood
                weightSum[i] += logWeight
                // Streaming log-sum-exp: Σ_i e^(log w_i) = e^max · scaledSum.
                if logWeight > runningMax[i] {
                    scaledSum[i] = scaledSum[i] * Foundation.exp(runningMax[i] - logWeight) + 1
                    runningMax[i] = logWeight
                } else if logWeight > -.infinity {
                    scaledSum[i] += Foundation.exp(logWeight - runningMax[i])
                }
            }
        }

        let kCount = Double(k), logK = Foundation.log(kCount)
        for i in 0..<n {
            let image = range.lowerBound + i
            let kl = klSum[i]
            let meanLikelihood = likelihoodSum[i] / kCount
            let meanWeight = weightSum[i] / kCount
            let logLikelihood: Double
            if meanWeight.isNaN {
                logLikelihood = .nan
            } else if runningMax[i] == -.infinity || runningMax[i] == .infinity {
                logLikelihood = runningMax[i]
            } else {
                logLikelihood = runningMax[i] + Foundation.log(scaledSum[i]) - logK
            }
            (job.results + image).initialize(to: ImageLikelihood(logLikelihood: logLikelihood, elbo: meanLikelihood - kl,
                                                 reconstruction: -meanLikelihood, kl: kl, monteCarloELBO: meanWeight))
        }
    }
}

/// log p(x | z) for one row of decoder output, fused: output activation, per-element terms and the
/// sum in one pass over a row kept in cache, which also puts the bias back into the row.
