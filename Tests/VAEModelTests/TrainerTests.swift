import Batches
import MNISTData
import NN
import SeededRandom
import TensorCore
import Testing
@testable import VAEModel

@Suite("Trainer")
struct TrainerTests {
    /// 32 fixed binary-ish patterns of 64 values.
    static func patterns(count: Int = 32, features: Int = 64, seed: UInt64 = 11) -> FloatDataset {
        var g = SeededGenerator(seed: seed)
        let rows = (0..<(count * features)).map { _ in g.nextUniformFloat() < 0.3 ? Float(1) : Float(0) }
        return FloatDataset(rows: rows, featureCount: features)
    }

    static func makeTrainer(threads: Int, seed: UInt64 = 3, batchSize: Int = 32, hidden: [Int] = [48],
                            latent: Int = 4, learningRate: Float = 3e-3) -> Trainer {
        var g = SeededGenerator(seed: seed)
        let model = VAE(configuration: VAEConfiguration(inputSize: 64, hidden: hidden, latent: latent), generator: &g)
        return Trainer(model: model, learningRate: learningRate, batchSize: batchSize, threads: threads, seed: seed)
    }

    @Test("a small VAE overfits one fixed batch: the loss falls well below its start within 300 steps")
    func overfit() throws {
        let data = Self.patterns()
        let trainer = Self.makeTrainer(threads: 1, hidden: [128], latent: 8, learningRate: 1e-2)
        let first = try trainer.trainEpoch(on: data).loss
        var last = first
        for _ in 0..<299 { last = try trainer.trainEpoch(on: data).loss }
        // 64 Bernoulli(0.3) inputs: an untrained decoder costs ≈ 64 · ln 2 ≈ 44 nats; memorising 32
        // patterns through a 4-d latent must get far below that.
        #expect(first > 40)
        #expect(last < 0.35 * first, "loss went from \(first) to \(last)")
        #expect(trainer.optimizer.step == 300)
    }

    @Test("the same seed and thread count give bit-identical parameters")
    func deterministic() throws {
        let data = Self.patterns(count: 100)
        let a = Self.makeTrainer(threads: 2, batchSize: 16), b = Self.makeTrainer(threads: 2, batchSize: 16)
        for _ in 0..<3 { _ = try a.trainEpoch(on: data); _ = try b.trainEpoch(on: data) }
        #expect(a.model.parameters.map(\.values) == b.model.parameters.map(\.values))
    }

    /// `data` with its fill reported as random, so that the trainer converts every row in one place.
    struct FilledInOnePlace: TrainingData {
        let data: FloatDataset
        var count: Int { data.count }
        var featureCount: Int { data.featureCount }
        var labels: [UInt8]? { data.labels }
        var classCount: Int { data.classCount }
        var fillDrawsRandomness: Bool { true }
        func fillBatch(indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>,
                       generator: inout SeededGenerator) {
            data.fillBatch(indices: indices, into: destination, generator: &generator)
        }
    }

    @Test("workers converting their own rows train to the same bytes as converting them in one place",
          arguments: [2, 3])
    func workersFillRows(threads: Int) throws {
        let data = Self.patterns(count: 37)
        let inWorkers = Self.makeTrainer(threads: threads, batchSize: 16)
        let inOnePlace = Self.makeTrainer(threads: threads, batchSize: 16)
        for _ in 0..<2 {
            let a = try inWorkers.trainEpoch(on: data), b = try inOnePlace.trainEpoch(on: FilledInOnePlace(data: data))
            #expect(a == b)
        }
        let sameParameters = inWorkers.model.parameters.map(\.values) == inOnePlace.model.parameters.map(\.values)
        #expect(sameParameters)
        #expect(inWorkers.generator == inOnePlace.generator)
    }

    @Test("splitting a batch across threads sums the same gradients (up to float rounding)",
          arguments: [2, 3, 5])
    func threadsAgree(threads: Int) throws {
        // 37 rows with batch 16: full batches split unevenly and a last partial batch of 5.
        let data = Self.patterns(count: 37)
        let single = Self.makeTrainer(threads: 1, batchSize: 16), split = Self.makeTrainer(threads: threads, batchSize: 16)
        let lossSingle = try single.trainEpoch(on: data), lossSplit = try split.trainEpoch(on: data)
        #expect(abs(lossSingle.loss - lossSplit.loss) < 1e-4 * lossSingle.loss)
        for (p, q) in zip(single.model.parameters, split.model.parameters) {
            let worst = zip(p.values, q.values).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-5, "\(p.name) differs by \(worst)")
        }
    }

    @Test("evaluation does not change the parameters or the training stream")
    func evaluationIsPure() throws {
        let data = Self.patterns()
        let a = Self.makeTrainer(threads: 1), b = Self.makeTrainer(threads: 1)
        _ = try a.trainEpoch(on: data); _ = try b.trainEpoch(on: data)
        let before = a.model.parameters.map(\.values)
        let e1 = a.evaluate(on: data), e2 = a.evaluate(on: data)
        #expect(e1 == e2)
        #expect(a.model.parameters.map(\.values) == before)
        _ = try a.trainEpoch(on: data); _ = try b.trainEpoch(on: data)
        #expect(a.model.parameters.map(\.values) == b.model.parameters.map(\.values))
    }

    @Test("the epoch loss is the per-example average of reconstruction + beta · KL")
    func lossParts() {
        let trainer = Self.makeTrainer(threads: 1)
        let summary = trainer.evaluate(on: Self.patterns())
        #expect(summary.examples == 32)
        #expect(abs(summary.loss - (summary.reconstruction + summary.kl)) < 1e-3)
    }
}
