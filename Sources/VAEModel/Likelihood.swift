import Dispatch
import Foundation
import NN
import SeededRandom
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
/// place, as stored). Examples are taken in groups of G = max(1, ⌊maxRows / k⌋) (G = 1 when
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
