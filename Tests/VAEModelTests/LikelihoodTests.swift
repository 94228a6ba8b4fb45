import Foundation
import MNISTData
import NN
import Testing
import SeededRandom
import TensorCore
@testable import VAEModel

/// Double-precision references for the likelihood tests.
enum Reference {
    static func activate(_ v: Double, _ f: Activation) -> Double {
        switch f {
        case .identity: v
        case .relu: max(v, 0)
        case .leakyRelu: v > 0 ? v : 0.01 * v
        case .tanh: Foundation.tanh(v)
        case .sigmoid: 1 / (1 + Foundation.exp(-v))
        }
    }

    /// f(W x + b) in Double, W read in the reference's [out, in] layout, however the layer stores it.
    static func dense(_ x: [Double], _ layer: Linear, _ f: Activation) -> [Double] {
        let w = layer.referenceParameters[0].referenceValues, b = layer.bias.values
        return (0..<layer.outputSize).map { o in
            var s = Double(b[o])
            for i in 0..<layer.inputSize { s += Double(w[o * layer.inputSize + i]) * x[i] }
            return activate(s, f)
        }
    }

    static func oneHot(_ label: Int?, _ classes: Int) -> [Double] {
        (0..<classes).map { $0 == label ? 1 : 0 }
    }

    /// log p(x | logits) in Double, the formulas of `LikelihoodEstimator`.
    static func logLikelihood(_ loss: ReconstructionLoss, _ output: Activation, logits: [Double], x: [Double]) -> Double {
        let d = Double(x.count)
        switch loss {
        case .bce:
            var s = 0.0
            for (l, t) in zip(logits, x) {
                let tail: Double = Foundation.log1p(Foundation.exp(-abs(l)))
                s += max(l, 0) - l * t + tail
            }
            return -s
        case .mse:
            var s = 0.0
            for (l, t) in zip(logits, x) { let e = t - activate(l, output); s += e * e }
            return -(s + d / 2 * Foundation.log(Double.pi))
        case .l1:
            var s = 0.0
            for (l, t) in zip(logits, x) { s += abs(t - activate(l, output)) }
            return -(s + d * Foundation.log(2.0))
        }
    }

    /// One example's estimate, entirely in Double, with ε drawn as documented: k samples of
    /// L values from `LikelihoodEstimator.generator(seed:imageIndex:)` (see `NormalNoise`).
    static func estimate(model: VAE, x: [Float], label: Int?, samples k: Int, seed: UInt64, imageIndex: Int) -> ImageLikelihood {
        let c = model.configuration
        let xs = x.map(Double.init)
        var h = xs + oneHot(label, c.classes)
        for layer in model.encoder.layers { h = dense(h, layer, c.activation) }
        let mu = dense(h, model.meanHead, .identity), lv = dense(h, model.logVarianceHead, .identity)
        var kl = 0.0
        for j in 0..<c.latent {
            let term: Double = 1 + lv[j] - mu[j] * mu[j] - Foundation.exp(lv[j])
            kl -= 0.5 * term
        }
        var generator = LikelihoodEstimator.generator(seed: seed, imageIndex: imageIndex)
        var eps = [Double](repeating: 0, count: c.latent)
        var logWeights: [Double] = [], logLikelihoods: [Double] = []
        let halfLog2Pi = 0.5 * Foundation.log(2 * Double.pi)
        for _ in 0..<k {
            normals(&eps, &generator)
            var logQ = 0.0, logP = 0.0
            var z = [Double](repeating: 0, count: c.latent)
            for j in 0..<c.latent {
                let e = eps[j]
                z[j] = mu[j] + Foundation.exp(0.5 * lv[j]) * e
                logQ += -halfLog2Pi - 0.5 * lv[j] - 0.5 * e * e
                logP += -halfLog2Pi - 0.5 * z[j] * z[j]
            }
            var d = z + oneHot(label, c.classes)
            for layer in model.decoder.layers { d = dense(d, layer, c.activation) }
            let logits = dense(d, model.outputLayer, .identity)
            let ll = logLikelihood(c.loss, c.output.activation, logits: logits, x: xs)
            logLikelihoods.append(ll)
            logWeights.append(ll + logP - logQ)
        }
        let m = logWeights.max()!
        let lse = m + Foundation.log(logWeights.reduce(0) { $0 + Foundation.exp($1 - m) })
        let meanLL = logLikelihoods.reduce(0, +) / Double(k)
        return ImageLikelihood(logLikelihood: lse - Foundation.log(Double(k)), elbo: meanLL - kl, reconstruction: -meanLL,
                               kl: kl, monteCarloELBO: logWeights.reduce(0, +) / Double(k))
    }

    /// One sample of normals as `NormalNoise` documents it, in Double: word q gives values 2q, 2q + 1.
    static func normals(_ out: inout [Double], _ generator: inout SeededGenerator) {
        for q in 0..<((out.count + 1) / 2) {
            let (u1, u2) = NormalNoise.uniforms(generator.next())
            let r = (-2 * Foundation.log(Double(u1))).squareRoot(), angle = 2 * Double.pi * Double(u2)
            out[2 * q] = r * Foundation.cos(angle)
            if 2 * q + 1 < out.count { out[2 * q + 1] = r * Foundation.sin(angle) }
        }
    }

    /// log N(x; mean, covariance) through a Cholesky factorisation.
    static func gaussianLogDensity(_ x: [Double], mean: [Double], covariance c: [[Double]]) -> Double {
        let n = x.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var s = c[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                l[i][j] = i == j ? s.squareRoot() : s / l[j][j]
            }
        }
        // Solve L y = x − mean; quadratic form = |y|².
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = x[i] - mean[i]
            for k in 0..<i { s -= l[i][k] * y[k] }
            y[i] = s / l[i][i]
        }
        let logDet = 2 * (0..<n).reduce(0.0) { $0 + Foundation.log(l[$1][$1]) }
        return -0.5 * (Double(n) * Foundation.log(2 * Double.pi) + logDet + y.reduce(0) { $0 + $1 * $1 })
    }
}

@Suite("Importance-weighted likelihood")
struct LikelihoodTests {
    static func randomModel(_ configuration: VAEConfiguration, seed: UInt64 = 5) -> VAE {
        var g = SeededGenerator(seed: seed)
        return VAE(configuration: configuration, generator: &g)
    }

    static func binaryInputs(count: Int, features: Int, seed: UInt64 = 17) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<(count * features)).map { _ in g.nextUniformFloat() < 0.3 ? 1 : 0 }
    }

    static func uniformInputs(count: Int, features: Int, low: Float, high: Float, seed: UInt64 = 19) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<(count * features)).map { _ in low + (high - low) * g.nextUniformFloat() }
    }

    // MARK: 1. k = 1

    @Test("with k = 1 the importance-weighted estimate is exactly the Monte-Carlo ELBO, image by image",
          arguments: [ReconstructionLoss.bce, .mse, .l1])
    func singleSample(loss: ReconstructionLoss) {
        let config = VAEConfiguration(inputSize: 64, hidden: [48], latent: 4, output: loss == .bce ? .sigmoid : .tanh,
                                      loss: loss, classes: loss == .mse ? 3 : 0)
        let model = Self.randomModel(config)
        let inputs = Self.binaryInputs(count: 40, features: 64)
        let labels = config.isConditional ? (0..<40).map { $0 % 3 } : nil
        let result = LikelihoodEstimator(model: model, samples: 1, seed: 9).estimate(inputs: inputs, labels: labels)
        #expect(result.count == 40)
        for r in result.images {
            #expect(r.logLikelihood == r.monteCarloELBO)
            #expect(r.logLikelihood.isFinite)
        }
    }

    // MARK: 2. Monotone in k

    @Test("the average NLL falls as k grows (1 ≥ 10 ≥ 100) and the ELBO stays below log p̂(x)")
    func monotoneInSamples() throws {
        let features = 64
        let rows = Self.binaryInputs(count: 150, features: features, seed: 23)
        var g = SeededGenerator(seed: 4)
        let model = VAE(configuration: VAEConfiguration(inputSize: features, hidden: [64], latent: 6), generator: &g)
        let trainer = Trainer(model: model, learningRate: 3e-3, batchSize: 30, threads: 1, seed: 4)
        let data = FloatDataset(rows: rows, featureCount: features)
        for _ in 0..<10 { _ = try trainer.trainEpoch(on: data) }

        for seed: UInt64 in [31, 32, 33] {
            var averages: [Int: ImageLikelihood] = [:]
            for k in [1, 10, 100] {
                let result = LikelihoodEstimator(model: model, samples: k, seed: seed).estimate(inputs: rows)
                averages[k] = result.average
                // Jensen, per image and for any draws: mean log w ≤ log mean w.
                for r in result.images { #expect(r.monteCarloELBO <= r.logLikelihood + 1e-9) }
                print("seed \(seed), k = \(k): NLL \(-result.average.logLikelihood), ELBO \(result.average.elbo), MC ELBO \(result.average.monteCarloELBO)")
            }
            let nll1 = -averages[1]!.logLikelihood, nll10 = -averages[10]!.logLikelihood, nll100 = -averages[100]!.logLikelihood
            #expect(nll1 > nll10 && nll10 > nll100, "NLL at k = 1, 10, 100: \(nll1), \(nll10), \(nll100)")
            for k in [10, 100] { #expect(averages[k]!.elbo < averages[k]!.logLikelihood) }
            // The analytic-KL ELBO and the Monte-Carlo ELBO estimate the same number.
            #expect(abs(averages[100]!.elbo - averages[100]!.monteCarloELBO) < 0.01 * abs(averages[100]!.elbo))
        }
    }

    // MARK: 3. Linear-Gaussian model, exact

    /// x̂ = W z + b with W [[1, 0], [0, ½], [1, 0]] (orthogonal columns, WᵀW = diag(2, ¼)), Gaussian
    /// likelihood of variance ½: p(x) = N(b, W Wᵀ + ½ I). The encoder is set to the exact posterior
    /// N(M (x − b), Σ) with Σ = (I + 2 WᵀW)⁻¹ = diag(⅕, ⅔), M = 2 Σ Wᵀ; `shift` and `widen` perturb
    /// its mean and log-variance.
    static func linearGaussian(shift: Float = 0, widen: Float = 0) -> (model: VAE, closedForm: ([Float]) -> Double) {
        let config = VAEConfiguration(inputSize: 3, hidden: [3], latent: 2, activation: .identity, output: .linear, loss: .mse)
        let model = VAE(zeroedWith: config)
        let w: [[Double]] = [[1, 0], [0, 0.5], [1, 0]]
        let b: [Double] = [0.3, -0.2, 0.5]
        let posterior: [Double] = [0.2, 2.0 / 3]
        let m: [[Double]] = (0..<2).map { j in (0..<3).map { i in 2 * posterior[j] * w[i][j] } }
        func set(_ name: String, _ values: [Double]) {
            model.referenceParameter(named: name)!.setReferenceValues(values.map(Float.init))
        }
        set("encoder.0.weight", [1, 0, 0, 0, 1, 0, 0, 0, 1])
        set("mu.weight", m.flatMap { $0 })
        set("mu.bias", (0..<2).map { j in -(0..<3).reduce(0.0) { $0 + m[j][$1] * b[$1] } + Double(shift) })
        set("logvar.bias", posterior.map { Foundation.log($0) + Double(widen) })
        set("decoder.0.weight", w.flatMap { $0 })
        set("output.weight", [1, 0, 0, 0, 1, 0, 0, 0, 1])
        set("output.bias", b)
        let covariance = (0..<3).map { i in (0..<3).map { j in
            (0..<2).reduce(0.0) { $0 + w[i][$1] * w[j][$1] } + (i == j ? 0.5 : 0)
        } }
        return (model, { x in Reference.gaussianLogDensity(x.map(Double.init), mean: b, covariance: covariance) })
    }

    static let linearGaussianInputs = uniformInputs(count: 20, features: 3, low: -2, high: 2, seed: 41)

    @Test("with the exact posterior as encoder every weight equals p(x): log p̂(x) is the closed form for any k",
          arguments: [1, 50])
    func linearGaussianExact(samples: Int) {
        let (model, closedForm) = Self.linearGaussian()
        let inputs = Self.linearGaussianInputs
        let result = LikelihoodEstimator(model: model, samples: samples, seed: 3).estimate(inputs: inputs)
        var worst = 0.0
        for (n, r) in result.images.enumerated() {
            worst = max(worst, abs(r.logLikelihood - closedForm(Array(inputs[(3 * n)..<(3 * n + 3)]))))
        }
        print("linear Gaussian, exact posterior, k = \(samples): worst |log p̂ − log p| = \(worst)")
        #expect(worst < 1e-3)
    }

    @Test("with a perturbed encoder the estimate approaches the closed form as k grows")
    func linearGaussianConverges() {
        let (model, closedForm) = Self.linearGaussian(shift: 0.4, widen: 0.7)
        let inputs = Self.linearGaussianInputs
        var meanError: [Int: Double] = [:], meanSigned: [Int: Double] = [:]
        for k in [1, 1000] {
            let result = LikelihoodEstimator(model: model, samples: k, seed: 3).estimate(inputs: inputs)
            var sum = 0.0, signed = 0.0
            for (n, r) in result.images.enumerated() {
                let e = r.logLikelihood - closedForm(Array(inputs[(3 * n)..<(3 * n + 3)]))
                sum += abs(e); signed += e
            }
            meanError[k] = sum / 20; meanSigned[k] = signed / 20
        }
        print("linear Gaussian, perturbed: mean |error| k = 1: \(meanError[1]!), k = 1000: \(meanError[1000]!); mean error \(meanSigned[1]!), \(meanSigned[1000]!)")
        #expect(meanError[1000]! < 0.1 * meanError[1]!)
        #expect(meanError[1000]! < 0.05)
        #expect(meanSigned[1]! < 0)  // a lower bound in expectation: the ELBO gap
    }

    // MARK: 4. Active units

    @Test("dimensions whose mean-head weights are zero have variance 0 and are inactive; strong ones are active")
    func activeUnits() {
        let config = VAEConfiguration(inputSize: 10, hidden: [8], latent: 4, activation: .tanh, output: .linear, loss: .mse)
        let model = Self.randomModel(config, seed: 8)
        // The head's weight is stored [in, out]: column j holds latent dimension j's weights.
        let head = model.meanHead.weight
        #expect(model.meanHead.layout == .inputsByOutputs && head.shape == [8, 4])
        for input in 0..<8 {
            head[input, 0] = 0; head[input, 2] = 0
            head[input, 1] *= 20; head[input, 3] *= 20
        }
        let inputs = Self.uniformInputs(count: 60, features: 10, low: -1, high: 1)
        let result = LikelihoodEstimator(model: model, samples: 2, seed: 1).estimate(inputs: inputs)

        // The estimator's μ agrees with the tape's encoder.
        let tapeMeans = model.encodeMean(inputs: inputs)
        #expect(zip(result.means, tapeMeans).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })

        var whole = ActiveUnitsAccumulator(latent: 4)
        whole.add(result)
        var pieces = ActiveUnitsAccumulator(latent: 4)
        pieces.add(means: Array(result.means[0..<(4 * 25)]))
        pieces.add(means: Array(result.means[(4 * 25)...]))
        let units = whole.result()
        print("active-unit variances: \(units.variances)")
        #expect(units.examples == 60)
        #expect(units.variances[0] == 0 && units.variances[2] == 0)
        #expect(units.isActive == [false, true, false, true])
        #expect(units.activeCount == 2)
        #expect(units.threshold == 0.01)
        #expect(whole.result(threshold: 1e6).activeCount == 0)
        // Two-pass variance in Double.
        for j in 0..<4 {
            let column = (0..<60).map { Double(result.means[$0 * 4 + j]) }
            let mean = column.reduce(0, +) / 60
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 60
            #expect(abs(units.variances[j] - variance) <= 1e-9 * max(variance, 1e-300))
            #expect(abs(pieces.result().variances[j] - variance) <= 1e-9 * max(variance, 1e-300))
        }
    }

    // MARK: 5. Determinism

    @Test("the same seed gives identical results for 1, 2 and 3 threads; another seed differs")
    func deterministic() {
        let config = VAEConfiguration(inputSize: 64, hidden: [32], latent: 5)
        let model = Self.randomModel(config)
        let inputs = Self.binaryInputs(count: 37, features: 64)
        // k = 7 and maxRows 20: groups of 2 images (14 rows) and a last group of 1.
        func run(threads: Int, seed: UInt64 = 12) -> LikelihoodEstimates {
            LikelihoodEstimator(model: model, samples: 7, threads: threads, seed: seed, maxRows: 20).estimate(inputs: inputs)
        }
        let one = run(threads: 1)
        #expect(one.images == run(threads: 1).images)
        var reports: [Int] = []
        _ = LikelihoodEstimator(model: model, samples: 7, threads: 2, seed: 12, maxRows: 20)
            .estimate(inputs: inputs) { reports.append($0) }
        #expect(reports.count == 19 && reports.last == 37 && reports == reports.sorted())
        for threads in [2, 3] {
            let other = run(threads: threads)
            #expect(other.images == one.images)
            #expect(other.means == one.means && other.klPerDimension == one.klPerDimension)
        }
        let otherSeed = run(threads: 1, seed: 13)
        #expect(otherSeed.images.map(\.logLikelihood) != one.images.map(\.logLikelihood))
        #expect(otherSeed.images.map(\.kl) == one.images.map(\.kl))  // the KL does not depend on the draws
    }

    @Test("an example's draws depend on its index only: a slice with firstIndex, or other maxRows, agree")
    func indexedDraws() {
        let config = VAEConfiguration(inputSize: 64, hidden: [32], latent: 5)
        let model = Self.randomModel(config)
        let inputs = Self.binaryInputs(count: 30, features: 64)
        let whole = LikelihoodEstimator(model: model, samples: 9, seed: 12, maxRows: 40).estimate(inputs: inputs)
        let slice = LikelihoodEstimator(model: model, samples: 9, seed: 12, maxRows: 40)
            .estimate(inputs: Array(inputs[(64 * 7)..<(64 * 20)]), firstIndex: 7)
        // maxRows 4 < k: each example's 9 samples split over three passes of 3 rows.
        let split = LikelihoodEstimator(model: model, samples: 9, seed: 12, maxRows: 4).estimate(inputs: inputs)
        for (a, b) in zip(whole.images[7..<20], slice.images) {
            #expect(abs(a.logLikelihood - b.logLikelihood) < 1e-4 && abs(a.elbo - b.elbo) < 1e-4)
        }
        for (a, b) in zip(whole.images, split.images) {
            #expect(abs(a.logLikelihood - b.logLikelihood) < 1e-4 && abs(a.elbo - b.elbo) < 1e-4)
        }
        let shifted = LikelihoodEstimator(model: model, samples: 9, seed: 12, maxRows: 40)
            .estimate(inputs: Array(inputs[(64 * 7)..<(64 * 20)]), firstIndex: 0)
        #expect(shifted.images.map(\.logLikelihood) != slice.images.map(\.logLikelihood))
    }

    // MARK: 6. Formulas against Double

    @Test("the per-row kernel matches the Double formulas",
          arguments: [(ReconstructionLoss.bce, OutputActivation.sigmoid), (.mse, .sigmoid), (.mse, .tanh),
                      (.mse, .linear), (.l1, .linear), (.l1, .tanh)])
    func rowKernel(loss: ReconstructionLoss, output: OutputActivation) {
        for n in [1, 16, 37, 784, 1100] {
          for spread: Float in [30, 3] {
            var g = SeededGenerator(seed: UInt64(n))
            let raw = (0..<n).map { _ in (g.nextUniformFloat() - 0.5) * spread }   // up to ±15 (and more with the bias)
            let bias = (0..<n).map { _ in (g.nextUniformFloat() - 0.5) * 4 }
            // bce targets binary, or grey values in [0, 1] for n = 37; others in [−1, 1].
            let x = (0..<n).map { _ in
                loss == .bce ? (n == 37 ? g.nextUniformFloat() : (g.nextUniformFloat() < 0.4 ? Float(1) : 0))
                             : g.nextUniformFloat() * 2 - 1
            }
            var row = zip(raw, bias).map { $0 + $1 }
            let logits = row.map(Double.init)
            let value = row.withUnsafeMutableBufferPointer { r in
                LikelihoodKernel.logLikelihood(loss: loss, activation: output.activation, logits: r.baseAddress!,
                                               bias: bias, target: x, count: n)
            }
            #expect(row == bias, "the kernel puts the bias back into the row")
            let expected = Reference.logLikelihood(loss, output.activation, logits: logits, x: x.map(Double.init))
            #expect(abs(value - expected) <= 2e-6 * abs(expected) + 1e-6, "n = \(n), spread \(spread): \(value) vs \(expected)")
          }
        }
    }

    @Test("whole estimates match a Double re-computation with the documented draws",
          arguments: [(ReconstructionLoss.bce, OutputActivation.sigmoid, 0, 4096), (.mse, .tanh, 3, 4096),
                      (.l1, .linear, 0, 2)])
    func endToEnd(loss: ReconstructionLoss, output: OutputActivation, classes: Int, maxRows: Int) {
        let config = VAEConfiguration(inputSize: 20, hidden: [16, 12], latent: 3, activation: .leakyRelu,
                                      output: output, loss: loss, classes: classes)
        let model = Self.randomModel(config, seed: 77)
        let count = 6, k = 5
        let inputs = loss == .bce ? Self.binaryInputs(count: count, features: 20)
                                  : Self.uniformInputs(count: count, features: 20, low: -1, high: 1)
        let labels = classes > 0 ? (0..<count).map { $0 % classes } : nil
        let result = LikelihoodEstimator(model: model, samples: k, threads: 2, seed: 99, maxRows: maxRows)
            .estimate(inputs: inputs, labels: labels, firstIndex: 100)
        for n in 0..<count {
            let expected = Reference.estimate(model: model, x: Array(inputs[(20 * n)..<(20 * n + 20)]), label: labels?[n],
                                              samples: k, seed: 99, imageIndex: 100 + n)
            let got = result.images[n]
            func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-5 * abs(b) + 1e-4 }
            #expect(close(got.logLikelihood, expected.logLikelihood), "log p̂: \(got.logLikelihood) vs \(expected.logLikelihood)")
            #expect(close(got.elbo, expected.elbo) && close(got.reconstruction, expected.reconstruction))
            #expect(close(got.kl, expected.kl) && close(got.monteCarloELBO, expected.monteCarloELBO))
            let klSum = (0..<3).reduce(0.0) { $0 + result.klPerDimension[n * 3 + $1] }
            #expect(abs(klSum - got.kl) < 1e-12)
        }
    }

    @Test("the vectorised normal noise follows its documented formula and has N(0, 1) moments")
    func normalNoise() {
        for latent in [1, 5, 20] {
            let samples = 20_000 / latent + 3
            var buffer = [Float](repeating: 0, count: samples * latent)
            var g = SeededGenerator(seed: 6)
            buffer.withUnsafeMutableBufferPointer { NormalNoise.fill($0, latent: latent, generator: &g) }
            // The same words in Double.
            var h = SeededGenerator(seed: 6)
            var expected = [Double](repeating: 0, count: latent), worst = 0.0
            for s in 0..<samples {
                Reference.normals(&expected, &h)
                for j in 0..<latent { worst = max(worst, abs(Double(buffer[s * latent + j]) - expected[j])) }
            }
            #expect(g == h, "one word per pair of values, ⌈L/2⌉ per sample")
            #expect(worst < 2e-6, "latent \(latent): worst difference \(worst)")
            let values = buffer.map(Double.init), n = Double(values.count)
            let mean = values.reduce(0, +) / n
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let kurtosis = values.reduce(0) { $0 + pow($1 - mean, 4) } / n / (variance * variance)
            #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.04 && abs(kurtosis - 3) < 0.15,
                    "latent \(latent): mean \(mean), variance \(variance), kurtosis \(kurtosis)")
        }
    }

    @Test("empty input gives an empty result")
    func emptyInput() {
        let model = Self.randomModel(VAEConfiguration(inputSize: 8, hidden: [4], latent: 2))
        let result = LikelihoodEstimator(model: model, samples: 3, seed: 1).estimate(inputs: [])
        #expect(result.count == 0 && result.means.isEmpty)
    }
}
