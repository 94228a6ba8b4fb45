import Foundation
import MNISTData
import NN
import SeededRandom
import TensorCore
import Testing
@testable import VAEModel

@Suite("KL warm-up and free bits")
struct KLScheduleTests {
    @Test("warm-up: β rises linearly per batch from 0 and stays at β after N epochs")
    func warmupFactor() {
        let schedule = KLSchedule(warmupEpochs: 2)
        // 4 batches per epoch: full β at step 8.
        let factors = (0..<11).map { schedule.warmupFactor(step: $0, batchesPerEpoch: 4) }
        #expect(factors == [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1, 1])
        #expect(KLSchedule().warmupFactor(step: 0, batchesPerEpoch: 4) == 1)
    }

    /// A small model, one batch of 4 rows with fixed inputs and noise, recorded once.
    static func graph() -> VAEGraph {
        var generator = SeededGenerator(seed: 21)
        let model = VAE(configuration: VAEConfiguration(inputSize: 6, hidden: [5], latent: 3, beta: 1), generator: &generator)
        let graph = VAEGraph(model: model, batchSize: 4)
        var data = SeededGenerator(seed: 22)
        for i in 0..<graph.input.count { graph.input.data[i] = data.nextUniformFloat() }
        data.fillNormal(graph.noise.buffer)
        return graph
    }

    /// KL_j = −½ Σ_n (1 + lv − μ² − e^lv), written out in Double from the graph's μ and logσ².
    static func klPerDimension(_ graph: VAEGraph) -> [Double] {
        let mean = graph.output.mean.values.map(Double.init), logVariance = graph.output.logVariance.values.map(Double.init)
        return (0..<3).map { j in
            -0.5 * (0..<4).reduce(0.0) { sum, n in
                let i = n * 3 + j
                return sum + 1 + logVariance[i] - mean[i] * mean[i] - Foundation.exp(logVariance[i])
            }
        }
    }

    @Test("one batch by hand: loss = recon + w · Σ_j max(λM, KL_j); clamped dimensions get no KL gradient")
    func freeBitsOneBatch() {
        let graph = Self.graph()
        graph.forward()
        let kl = Self.klPerDimension(graph)
        // λ between the smallest and the middle dimension's KL per row: exactly one dimension is clamped.
        let sorted = kl.sorted()
        let lambda = Float((sorted[0] + sorted[1]) / 2 / 4)
        let clamped = kl.firstIndex(of: sorted[0])!
        let weight: Float = 0.7

        // Without a floor: the gradient reaching μ and logσ², to subtract the reconstruction's share.
        graph.klControl.weight = weight
        graph.klControl.floor = -.infinity
        graph.forward()
        graph.backward()
        let meanGradientPlain = graph.output.mean.gradient!, logVarianceGradientPlain = graph.output.logVariance.gradient!

        graph.klControl.floor = lambda * 4
        graph.forward()
        let expected = Double(graph.output.reconstructionLoss.scalar)
            + Double(weight) * kl.reduce(0) { $0 + max(Double(lambda) * 4, $1) }
        #expect(abs(Double(graph.output.loss.scalar) - expected) <= 1e-5 * expected)
        #expect(abs(Double(graph.output.kl.scalar) - kl.reduce(0, +)) <= 1e-5 * abs(kl.reduce(0, +)))
        graph.backward()
        let meanGradient = graph.output.mean.gradient!, logVarianceGradient = graph.output.logVariance.gradient!
        let mean = graph.output.mean.values, logVariance = graph.output.logVariance.values
        for n in 0..<4 {
            for j in 0..<3 {
                let i = n * 3 + j
                // The floor removes exactly the KL's own gradient, w·μ and w·½(e^lv − 1), in the clamped dimension.
                let removedMean = j == clamped ? Double(weight * mean[i]) : 0
                let removedLogVariance = j == clamped ? Double(weight) * 0.5 * (Foundation.exp(Double(logVariance[i])) - 1) : 0
                #expect(abs(Double(meanGradientPlain[i] - meanGradient[i]) - removedMean) < 1e-5)
                #expect(abs(Double(logVarianceGradientPlain[i] - logVarianceGradient[i]) - removedLogVariance) < 1e-5)
            }
        }
    }

    @Test("free bits and warm-up give the same training on 1 and on 2 threads (the floor is decided on the whole batch)")
    func threadsAgree() throws {
        let data = TrainerTests.patterns(count: 37)
        func trainer(threads: Int) -> Trainer {
            var g = SeededGenerator(seed: 3)
            let model = VAE(configuration: VAEConfiguration(inputSize: 64, hidden: [48], latent: 4), generator: &g)
            return Trainer(model: model, learningRate: 1e-2, batchSize: 16, threads: threads, seed: 3,
                           klSchedule: KLSchedule(warmupEpochs: 1, freeBits: 0.5))
        }
        let single = trainer(threads: 1), split = trainer(threads: 2)
        for _ in 0..<3 {
            let a = try single.trainEpoch(on: data), b = try split.trainEpoch(on: data)
            #expect(abs(a.loss - b.loss) < 1e-4 * abs(a.loss))
        }
        for (p, q) in zip(single.model.parameters, split.model.parameters) {
            let worst = zip(p.values, q.values).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-4, "\(p.name) differs by \(worst)")
        }
    }

    @Test("free bits keep the average KL of every dimension near λ or above; without them some collapse")
    func freeBitsPreventCollapse() throws {
        let data = TrainerTests.patterns(count: 64)
        func averageKL(freeBits: Float) throws -> [Double] {
            var g = SeededGenerator(seed: 5)
            let model = VAE(configuration: VAEConfiguration(inputSize: 64, hidden: [32], latent: 8), generator: &g)
            let trainer = Trainer(model: model, learningRate: 1e-2, batchSize: 32, threads: 1, seed: 5,
                                  klSchedule: KLSchedule(freeBits: freeBits))
            for _ in 0..<60 { _ = try trainer.trainEpoch(on: data) }
            let graph = VAEGraph(model: model, batchSize: 64)
            data.fillBatch(indices: 0..<64, into: graph.input.buffer, generator: &g)
            graph.forward()
            return graph.output.klPerDimension.values.map { Double($0) / 64 }
        }
        let with = try averageKL(freeBits: 0.5), without = try averageKL(freeBits: 0)
        #expect(with.min()! > 0.25, "free bits 0.5: per-dimension KL \(with)")
        #expect(without.min()! < with.min()!, "without free bits: \(without), with: \(with)")
    }
}
