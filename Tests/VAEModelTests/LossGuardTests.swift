import Foundation
import SeededRandom
import Testing
@testable import VAEModel

@Suite("Loss guard")
struct LossGuardTests {
    /// Feeds `losses` to a guard as consecutive batches of epochs of `batchesPerEpoch`; the first explosion, if any.
    static func firstExplosion(_ losses: [Double], guard lossGuard: LossGuard = LossGuard(),
                               batchesPerEpoch: Int = 32) -> (index: Int, explosion: LossExplosion)? {
        var lossGuard = lossGuard
        for (index, loss) in losses.enumerated() {
            let batch = index % batchesPerEpoch + 1
            if let explosion = lossGuard.check(loss: loss, batch: batch, batchCount: batchesPerEpoch) {
                return (index, explosion)
            }
        }
        return nil
    }

    /// A loss curve from `start` to `end` over `count` batches (exponential approach), each value times
    /// a random factor in [1 − noise, 1 + noise].
    static func curve(from start: Double, to end: Double, count: Int, noise: Double, seed: UInt64) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let clean = end + (start - end) * exp(-Double(i) / Double(count / 10))
            return clean * (1 + noise * (2 * Double(g.nextUniformFloat()) - 1))
        }
    }

    @Test("normal training curves never trip it: falling, noisy, rising slowly (KL warm-up), near zero")
    func normalCurvesPass() {
        // BCE on MNIST from the untrained 543 nats down to 100, with ±30 % batch noise.
        #expect(Self.firstExplosion(Self.curve(from: 543, to: 100, count: 10_000, noise: 0.3, seed: 1)) == nil)
        // The Swiss roll's mse: 2.35 down to 0.3, ±50 %.
        #expect(Self.firstExplosion(Self.curve(from: 2.35, to: 0.3, count: 10_000, noise: 0.5, seed: 2)) == nil)
        // KL warm-up: the loss rises from 100 to 300 while β grows.
        #expect(Self.firstExplosion(Self.curve(from: 100, to: 300, count: 2_000, noise: 0.2, seed: 3)) == nil)
        // A near-perfect fit: the loss hovers at 10⁻³ with batches 50 times larger (below the floor of 1).
        let tiny = (0..<1_000).map { $0 % 100 == 99 ? 0.05 : 0.001 }
        #expect(Self.firstExplosion(tiny) == nil)
    }

    @Test("NaN and infinite losses trip it at once, even on the first batch", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(loss: Double) throws {
        let first = try #require(Self.firstExplosion([loss]))
        #expect(first.index == 0 && first.explosion.isNonFinite && first.explosion.recentMedian == nil)
        let later = try #require(Self.firstExplosion([543, 500, 480, loss]))
        #expect(later.index == 3 && later.explosion.batch == 4 && later.explosion.batchCount == 32)
    }

    @Test("a loss above factor × the recent median trips it; a loss at the limit does not")
    func limit() throws {
        #expect(Self.firstExplosion([400, 500, 600, 50_000]) == nil)
        let exploded = try #require(Self.firstExplosion([400, 500, 600, 50_001]))
        #expect(exploded.index == 3)
        #expect(exploded.explosion.recentMedian == 500 && exploded.explosion.batchLoss == 50_001 && exploded.explosion.factor == 100)
        // --lr 0.3 on the bundled data: the second batch is 40,000 times the first.
        #expect(Self.firstExplosion([548.5, 2.1e7])?.index == 1)
    }

    @Test("a loss below 1 counts as 1 in the reference")
    func floor() {
        #expect(Self.firstExplosion([0.01, 0.01, 0.01, 99]) == nil)
        #expect(Self.firstExplosion([0.01, 0.01, 0.01, 101])?.index == 3)
    }

    @Test("the median is over the last `window` batches only, across epochs")
    func window() {
        let lossGuard = LossGuard(factor: 100, window: 3)
        // Old losses of 1,000 leave the window; against the recent 2s, 250 is an explosion.
        #expect(Self.firstExplosion([1000, 1000, 1000, 2, 2, 2, 250], guard: lossGuard, batchesPerEpoch: 4)?.index == 6)
        // With a window of 100 the 1,000s still dominate the median.
        #expect(Self.firstExplosion([1000, 1000, 1000, 2, 2, 2, 250]) == nil)
    }

    @Test("the running median equals the median of the window computed afresh", arguments: [1, 2, 7, 100])
    func runningMedian(window: Int) {
        var g = SeededGenerator(seed: 9)
        var lossGuard = LossGuard(factor: 1e12, window: window)
        var seen: [Double] = []
        for step in 0..<1_000 {
            // Repeated values too, to exercise removing one of several equal values.
            let loss = Double(Int(g.nextUniformFloat() * 50))
            #expect(lossGuard.check(loss: loss, batch: step + 1, batchCount: 1_000) == nil)
            seen.append(loss)
            let last = seen.suffix(window).sorted()
            let expected = last.count % 2 == 1 ? last[last.count / 2] : (last[last.count / 2 - 1] + last[last.count / 2]) / 2
            #expect(lossGuard.recentMedian == expected, "step \(step)")
        }
    }

    @Test("a trainer with a learning rate far too large stops at the exploding batch; the epoch does not count")
    func trainerStops() throws {
        let data = TrainerTests.patterns(count: 256)
        let trainer = TrainerTests.makeTrainer(threads: 1, batchSize: 16, learningRate: 30)
        var batchesSeen = 0
        do {
            _ = try trainer.trainEpoch(on: data) { _ in batchesSeen += 1 }
            Issue.record("training with learning rate 30 should have exploded")
        } catch {
            #expect(error.batch == batchesSeen + 1, "progress is reported for the batches before the explosion only")
            #expect(error.batch < error.batchCount)
        }
        #expect(trainer.epochsCompleted == 0)
        // The default rate trains the same data without tripping the guard.
        let calm = TrainerTests.makeTrainer(threads: 1, batchSize: 16)
        for _ in 0..<20 { _ = try calm.trainEpoch(on: data) }
        #expect(calm.epochsCompleted == 20)
    }
}
