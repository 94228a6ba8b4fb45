import Dispatch
import Foundation
import NN
import TensorCore

/// Bounds on log p(x) for one example, all in nats, from the same k latent samples.
///
/// With z_i = μ + σ ⊙ ε_i (i = 1…k) and log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x):
/// - `logLikelihood` = log p̂(x) = logsumexp_i(log w_i) − ln k (Burda et al., 2016), a lower
///   bound in expectation that rises with k towards log p(x);
/// - `monteCarloELBO` = mean_i log w_i (equals `logLikelihood` exactly when k = 1);
/// - `reconstruction` = −mean_i log p(x|z_i); `kl` = KL(q(z|x) ‖ N(0, I)) in closed form;
/// - `elbo` = −reconstruction − kl.
public struct ImageLikelihood: Sendable, Equatable {
    /// log p̂(x), the importance-weighted estimate.
    public var logLikelihood: Double
    /// mean_i log p(x|z_i) − KL, with the KL in closed form.
    public var elbo: Double
    /// −mean_i log p(x|z_i).
    public var reconstruction: Double
    /// KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ_j (1 + logσ²_j − μ_j² − σ²_j).
    public var kl: Double
    /// mean_i log w_i, the ELBO estimated entirely by Monte Carlo.
    public var monteCarloELBO: Double

    public init(logLikelihood: Double, elbo: Double, reconstruction: Double, kl: Double, monteCarloELBO: Double) {
        self.logLikelihood = logLikelihood; self.elbo = elbo; self.reconstruction = reconstruction
        self.kl = kl; self.monteCarloELBO = monteCarloELBO
    }

    /// −log p̂(x), the importance-weighted NLL.
    public var negativeLogLikelihood: Double { -logLikelihood }
}

/// What `LikelihoodEstimator.estimate` returns for a set of examples.
public struct LikelihoodEstimates: Sendable, Equatable {
    /// Latent dimensions L.
    public let latent: Int
    /// Samples k per example.
    public let samples: Int
    /// One entry per example, in input order.
    public let images: [ImageLikelihood]
    /// The encoder means μ, [count, latent] row-major (for `ActiveUnitsAccumulator`).
    public let means: [Float]
    /// KL per latent dimension, −½ (1 + logσ²_j − μ_j² − σ²_j), [count, latent] row-major;
    /// each row sums to that example's `kl`.
    public let klPerDimension: [Double]

    /// Examples estimated.
    public var count: Int { images.count }

    /// Every field of `images` averaged over the examples (all zero when there are none).
    public var average: ImageLikelihood {
        var sum = ImageLikelihood(logLikelihood: 0, elbo: 0, reconstruction: 0, kl: 0, monteCarloELBO: 0)
        for r in images {
            sum.logLikelihood += r.logLikelihood; sum.elbo += r.elbo; sum.reconstruction += r.reconstruction
            sum.kl += r.kl; sum.monteCarloELBO += r.monteCarloELBO
        }
        let n = Double(max(images.count, 1))
        return ImageLikelihood(logLikelihood: sum.logLikelihood / n, elbo: sum.elbo / n,
                               reconstruction: sum.reconstruction / n, kl: sum.kl / n,
                               monteCarloELBO: sum.monteCarloELBO / n)
    }

    /// KL per latent dimension averaged over the examples, [latent].
    public var averageKLPerDimension: [Double] {
        var sum = [Double](repeating: 0, count: latent)
        for i in 0..<count { for j in 0..<latent { sum[j] += klPerDimension[i * latent + j] } }
        return sum.map { $0 / Double(max(count, 1)) }
    }
}

/// The importance-weighted estimate of log p(x) (Burda, Grosse & Salakhutdinov, 2016) for a VAE,
/// with the ELBO from the same samples. See `ImageLikelihood` for the quantities.
///
/// Per example x with D values and k samples:
/// - the encoder gives μ and logσ² (given x's one-hot label for a conditional model);
/// - z_i = μ + σ ⊙ ε_i with ε_i ~ N(0, I), σ = exp(½ logσ²);
/// - log q(z_i|x) = Σ_j [−½ ln 2π − ½ logσ²_j − ½ ε_ij²], log p(z_i) = Σ_j [−½ ln 2π − ½ z_ij²];
/// - log p(x|z_i) follows the model's loss, from the decoder output (logits l, x̂ after the
///   output activation):
///   - bce: Bernoulli(sigmoid(l)): −Σ_d [max(l_d, 0) − l_d x_d + ln(1 + e^−|l_d|)];
///   - mse: Gaussian, mean x̂ and variance ½: −[Σ_d (x_d − x̂_d)² + (D/2) ln π];
///   - l1: Laplace, location x̂ and scale 1: −[Σ_d |x_d − x̂_d| + D ln 2];
/// - log p̂(x) = logsumexp_i log w_i − ln k, accumulated in Double with a running maximum over
///   the samples in order, so k can be any size.
///
/// **Draws.** Example number n (its position in the input plus `firstIndex`) draws from its own
/// generator, `LikelihoodEstimator.generator(seed:imageIndex:)`: ε_1, ε_2, … ε_k in order, each
/// L values from ⌈L/2⌉ words of it by `NormalNoise` (vectorised Box–Muller). So every example's
/// samples depend only on the seed and n — not on the thread count, on how examples are split
/// across calls, or on `maxRows`.
///
/// **Computation.** No tape: the forward passes run on raw buffers with sgemm (weights read in
/// place, [out, in]). Examples are taken in groups of G = max(1, ⌊maxRows / k⌋) (G = 1 when
/// k > maxRows); a group is encoded at once, then its G·k (example, sample) rows go through the
/// decoder in passes of at most P rows (P = G·k, or ⌈k / ⌈k / maxRows⌉⌉ when k > maxRows: an
/// example's samples split evenly over passes). Hidden layers: sgemm, then bias and activation per
/// row. Output layer: its buffer holds the bias in every row, the sgemm adds the product to it
/// (beta = 1, no zeroing pass), and one fused vector pass per row computes log p(x|z) and writes
/// the bias back. Groups are dealt to `threads` workers, each with buffers of its own allocated
/// once in `init`; OpenBLAS runs single-threaded. A group's results do not depend on which worker
/// ran it, so the results are identical for every thread count.
///
/// Speed (784-400-20 bce model, k = 1000, AMD EPYC Zen 3, one core): about 55 GFLOP/s counting
/// the decoder and encoder products, 85–93 % of a plain sgemm of the same shapes; about 85 % of
/// the time is in sgemm, 10 % in the likelihood pass.
///
/// Accuracy: the forward pass is in Float; each row's Σ_d is accumulated in 16 Float lanes (about
/// 49 terms each for D = 784) and then in Double (for bce, Σ_d ln(1 + e^−|l_d|) as the log of lane
/// products, see `LikelihoodKernel`); a row's log p(x|z) agrees with a Double computation from the
/// same logits to about 2e-6 relative (tested). Everything per example (prior and posterior terms,
/// KL, log-sum-exp, means) is in Double.
///
/// An estimator is not re-entrant: run one `estimate` at a time per instance.
public final class LikelihoodEstimator: @unchecked Sendable {
    public let model: VAE
    /// Samples k per example.
    public let samples: Int
    /// Worker threads.
    public let threads: Int
    /// Seeds every example's draws (with the example's index).
    public let seed: UInt64
    /// The cap on rows per decoder pass.
    public let maxRows: Int
    /// Examples encoded together, whose samples share decoder passes: max(1, ⌊maxRows / k⌋).
    public let imagesPerGroup: Int
    /// Rows of a full decoder pass (≤ maxRows).
    public let rowsPerPass: Int

    private let plan: ForwardPlan
    private let workers: [EstimatorWorker]

    /// - Parameters:
    ///   - model: the VAE (read only; its parameters must not change during `estimate`).
    ///   - samples: k, importance samples per example (≥ 1; 5000 in Burda et al.).
    ///   - threads: worker threads (default 1).
    ///   - seed: seeds the draws.
    ///   - maxRows: the most rows one decoder pass takes (default 1024: large enough for full-speed
    ///     sgemm, small enough that a pass's output, 1024 × 784 floats = 3 MB, stays in cache for the
    ///     likelihood pass); buffers of each worker hold this many rows of every decoder layer.
    public init(model: VAE, samples: Int, threads: Int = 1, seed: UInt64, maxRows: Int = 1024) {
        precondition(samples >= 1, "LikelihoodEstimator: samples must be at least 1, got \(samples)")
        precondition(threads >= 1, "LikelihoodEstimator: threads must be at least 1, got \(threads)")
        precondition(maxRows >= 1, "LikelihoodEstimator: maxRows must be at least 1, got \(maxRows)")
        self.model = model
        self.samples = samples
        self.threads = threads
        self.seed = seed
        self.maxRows = maxRows
        if samples <= maxRows {
            imagesPerGroup = maxRows / samples
            rowsPerPass = imagesPerGroup * samples
        } else {
            imagesPerGroup = 1
            let passes = (samples + maxRows - 1) / maxRows
            rowsPerPass = (samples + passes - 1) / passes
        }
        plan = ForwardPlan(model: model)
        workers = (0..<threads).map { [imagesPerGroup, rowsPerPass, plan] _ in
            EstimatorWorker(plan: plan, images: imagesPerGroup, rows: rowsPerPass)
        }
    }

    /// The generator example number `imageIndex` draws its ε from: xoshiro256** seeded with a
    /// SplitMix64 hash of (seed, imageIndex).
    public static func generator(seed: UInt64, imageIndex: Int) -> SeededGenerator {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let index = UInt64(bitPattern: Int64(imageIndex))
        return SeededGenerator(seed: mix(seed ^ mix(index &+ 0x9E37_79B9_7F4A_7C15)))
    }

    /// Estimates every example's bounds on log p(x).
    ///
    /// - Parameters:
    ///   - inputs: [count, inputSize] row-major, scaled as the model was trained on (for bce:
    ///     values in [0, 1]).
    ///   - labels: one class per example for a conditional model (ignored otherwise).
    ///   - firstIndex: the index of the first example in the whole data set (default 0): example
    ///     `firstIndex + n` draws from `generator(seed:imageIndex:)` of that index, so a data set
    ///     processed in several calls gets the same draws as in one.
    ///   - progress: called with the number of examples finished so far, after every group
    ///     (from worker threads, one call at a time).
    public func estimate(inputs: UnsafeBufferPointer<Float>, labels: [Int]? = nil, firstIndex: Int = 0,
                         progress: ((Int) -> Void)? = nil) -> LikelihoodEstimates {
        let c = model.configuration
        precondition(inputs.count % c.inputSize == 0,
                     "LikelihoodEstimator: \(inputs.count) values are not rows of \(c.inputSize)")
        let count = inputs.count / c.inputSize
        if c.isConditional {
            guard let labels else { preconditionFailure("LikelihoodEstimator: a conditional model needs labels") }
            precondition(labels.count == count, "LikelihoodEstimator: \(labels.count) labels for \(count) examples")
            precondition(labels.allSatisfy { $0 >= 0 && $0 < c.classes },
                         "LikelihoodEstimator: a label is outside 0..<\(c.classes)")
        }
        guard count > 0, let base = inputs.baseAddress else {
            return LikelihoodEstimates(latent: c.latent, samples: samples, images: [], means: [], klPerDimension: [])
        }
        BLAS.setThreadCount(1)

        let results = UnsafeMutablePointer<ImageLikelihood>.allocate(capacity: count)
        let means = UnsafeMutablePointer<Float>.allocate(capacity: count * c.latent)
        let kls = UnsafeMutablePointer<Double>.allocate(capacity: count * c.latent)
        defer { results.deallocate(); means.deallocate(); kls.deallocate() }
        let job = EstimatorJob(inputs: base, labels: c.isConditional ? labels : nil, count: count,
                               firstIndex: firstIndex, samples: samples, seed: seed,
                               results: results, means: means, klPerDimension: kls)

        let groupCount = (count + imagesPerGroup - 1) / imagesPerGroup
        let queue = GroupQueue(groups: groupCount, imagesPerGroup: imagesPerGroup, images: count, progress: progress)
        let workers = self.workers
        let work = { @Sendable (w: Int) in
            workers[w].prepareOutput()
            while let images = queue.next() {
                workers[w].run(job, images: images)
                queue.finished(images.count)
            }
        }
        let active = min(threads, groupCount)
        if active == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: active, execute: work) }

        return LikelihoodEstimates(latent: c.latent, samples: samples,
                                   images: Array(UnsafeBufferPointer(start: results, count: count)),
                                   means: Array(UnsafeBufferPointer(start: means, count: count * c.latent)),
                                   klPerDimension: Array(UnsafeBufferPointer(start: kls, count: count * c.latent)))
    }

    /// `estimate` over an array of [count, inputSize] values.
    public func estimate(inputs: [Float], labels: [Int]? = nil, firstIndex: Int = 0,
                         progress: ((Int) -> Void)? = nil) -> LikelihoodEstimates {
        inputs.withUnsafeBufferPointer { estimate(inputs: $0, labels: labels, firstIndex: firstIndex, progress: progress) }
    }
}

// MARK: - Forward pass on raw buffers

/// One linear layer read in place: y = f(x · Wᵀ + b), W [outputs, inputs].
struct DenseLayer {
    let weight: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let inputs: Int
    let outputs: Int

    init(_ layer: Linear) {
        weight = UnsafePointer(layer.weight.data); bias = UnsafePointer(layer.bias.data)
        inputs = layer.inputSize; outputs = layer.outputSize
    }

    /// y[rows, outputs] = x[rows, inputs] · Wᵀ + beta · y (beta 0: without the bias; beta 1: added to
    /// what y holds, for example the bias in every row).
    @inline(__always)
    func product(_ x: UnsafePointer<Float>, rows: Int, beta: Float = 0, into y: UnsafeMutablePointer<Float>) {
        gemm(transposeA: .none, transposeB: .transposed, m: rows, n: outputs, k: inputs,
             a: x, lda: inputs, b: weight, ldb: inputs, beta: beta, c: y, ldc: outputs)
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
enum LikelihoodKernel {
    typealias V = SIMD16<Float>
    typealias U = SIMD16<UInt32>

    static let halfLogPi = 0.5 * Foundation.log(Double.pi)
    static let log2 = Foundation.log(2.0)

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Sums the 16 lanes in Double.
    @inline(__always)
    static func total(_ v: V) -> Double {
        var s = 0.0
        for j in 0..<V.scalarCount { s += Double(v[j]) }
        return s
    }

    /// |v|, by clearing the sign bits.
    @inline(__always)
    static func magnitude(_ v: V) -> V {
        unsafeBitCast(unsafeBitCast(v, to: U.self) & U(repeating: 0x7FFF_FFFF), to: V.self)
    }

    /// 1 + e^−|l| for one vector, in (1, 2].
    ///
    /// y = −|l|·log₂e, clamped to ≥ −125 (below that e^−|l| < 2^−125 does not change 1 + t);
    /// y = n + f with n = round(y) and |f| ≤ ½; 2^f = 1 + f·P(f) with the degree-5 minimax P of
    /// Cephes `exp2f` (relative error 1.7e-7); 2^n from the exponent bits. The relative error of t,
    /// about |y|·2^−24 from rounding y plus 2e-7, changes ln(1 + t) by at most t·that, below 1e-7.
    @inline(__always)
    static func onePlusExpNegativeAbs(_ l: V) -> V {
        var y = magnitude(l) * -1.442_695_04
        y = y.replacing(with: -125, where: y .< -125)
        let shifted = y + 12_582_912            // 1.5·2^23: rounds y to an integer in the low bits
        let n = shifted - 12_582_912
        let f = y - n
        var p = V(repeating: 1.535_336_188_319_500e-4)
        p = p * f + 1.339_887_440_266_574e-3
        p = p * f + 9.618_437_357_674_640e-3
        p = p * f + 5.550_332_471_162_809e-2
        p = p * f + 2.402_264_791_363_012e-1
        p = p * f + 6.931_472_028_550_421e-1
        let scale = unsafeBitCast((unsafeBitCast(shifted, to: U.self) &- 0x4B40_0000 &+ 127) &<< 23, to: V.self)
        return (f * p + 1) * scale + 1
    }

    /// log p(x | z) of one row.
    ///
    /// - Parameters:
    ///   - loss: picks the likelihood (see `LikelihoodEstimator`): bce → Bernoulli from the logits,
    ///     mse → Gaussian with variance ½, l1 → Laplace with scale 1.
    ///   - activation: the output activation (mse and l1 only; bce reads the logits).
    ///   - logits: the output layer's values before its activation (bias included), `count` values;
    ///     on return they are replaced by the bias.
    ///   - bias: the output layer's bias, `count` values.
    ///   - target: x, `count` values.
    static func logLikelihood(loss: ReconstructionLoss, activation: Activation, logits row: UnsafeMutablePointer<Float>,
                              bias: UnsafePointer<Float>, target x: UnsafePointer<Float>, count n: Int) -> Double {
        let w = V.scalarCount
        let full = n - n % w
        switch loss {
        case .bce:
            // −Σ [max(l, 0) − l·x + ln(1 + e^−|l|)], with Σ ln(1 + t) taken as ln Π (1 + t): one log per
            // 512 values (each factor is in (1, 2], so a lane's product of 32 factors stays below 2^32
            // and the Double product of 16 lanes below 2^512).
            var acc = V(repeating: 0)
            var sum = 0.0
            var j = 0
            while j < full {
                let end = min(full, j + 32 * w)
                var product = V(repeating: 1)
                while j < end {
                    let l = load(row + j)
                    acc += l.replacing(with: 0, where: l .< 0) - l * load(x + j)
                    product *= onePlusExpNegativeAbs(l)
                    store(load(bias + j), row + j)
                    j += w
                }
                var p = 1.0
                for lane in 0..<w { p *= Double(product[lane]) }
                sum += Foundation.log(p)
            }
            sum += total(acc)
            while j < n {
                let l = Double(row[j])
                sum += max(l, 0) - l * Double(x[j]) + Foundation.log1p(Foundation.exp(-abs(l)))
                row[j] = bias[j]
                j += 1
            }
            return -sum
        case .mse:
            // −[Σ (x − x̂)² + (D/2) ln π]
            activation.apply(row, count: n)
            var acc = V(repeating: 0)
            var j = 0
            while j < full {
                let e = load(x + j) - load(row + j)
                acc += e * e
                store(load(bias + j), row + j)
                j += w
            }
            var sum = total(acc)
            while j < n { let e = x[j] - row[j]; sum += Double(e * e); row[j] = bias[j]; j += 1 }
            return -(sum + Double(n) * halfLogPi)
        case .l1:
            // −[Σ |x − x̂| + D ln 2]
            activation.apply(row, count: n)
            var acc = V(repeating: 0)
            var j = 0
            while j < full {
                acc += magnitude(load(x + j) - load(row + j))
                store(load(bias + j), row + j)
                j += w
            }
            var sum = total(acc)
            while j < n { sum += Double(abs(x[j] - row[j])); row[j] = bias[j]; j += 1 }
            return -(sum + Double(n) * log2)
        }
    }
}
