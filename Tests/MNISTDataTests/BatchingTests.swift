import Batches
import Foundation
import SeededRandom
import Testing
@testable import MNISTData

@Suite("Batching and pixel scaling")
struct BatchingTests {
    /// Two 1×3 images: [0, 128, 255] and [255, 51, 0], labels 7 and 2.
    let images = ImageSet(count: 2, height: 1, width: 3, pixels: [0, 128, 255, 255, 51, 0], labels: [7, 2])

    @Test("unit and symmetric scaling use byte/255 and byte/127.5 - 1, in index order")
    func scaling() {
        var generator = SeededGenerator(seed: 1)
        var out = [Float](repeating: -9, count: 6)
        out.withUnsafeMutableBufferPointer { images.fillBatch(indices: [1, 0], into: $0, generator: &generator) }
        #expect(out == [1, 0.2, 0, 0, Float(128) / 255, 1])
        out.withUnsafeMutableBufferPointer {
            images.withScaling(.symmetric).fillBatch(indices: [0, 1], into: $0, generator: &generator)
        }
        #expect(out == [-1, Float(128) / 127.5 - 1, 1, 1, Float(51) / 127.5 - 1, -1])
        #expect(generator == SeededGenerator(seed: 1), "deterministic scalings must not draw random numbers")
    }

    @Test("every byte converts to byte / 255 or byte / 127.5 − 1, as the lookup table has it", arguments: [PixelScaling.unit, .symmetric])
    func everyByte(scaling: PixelScaling) {
        // One image of 256 + 7 pixels: every byte value, then 7 more past the last full vector.
        let bytes = (0..<256).map { UInt8($0) } + [255, 254, 1, 0, 128, 17, 200]
        let set = ImageSet(count: 1, height: 1, width: bytes.count, pixels: bytes, scaling: scaling)
        var out = [Float](repeating: .nan, count: bytes.count)
        var generator = SeededGenerator(seed: 3)
        out.withUnsafeMutableBufferPointer { set.fillBatch(indices: [0], into: $0, generator: &generator) }
        let expected = bytes.map { scaling == .unit ? Float($0) / 255 : Float($0) / 127.5 - 1 }
        #expect(out == expected)
        #expect(out == bytes.map { scaling.lookupTable[Int($0)] })
        #expect(!set.fillDrawsRandomness)
        #expect(set.withScaling(.binarized).fillDrawsRandomness)
    }

    @Test("dynamic binarization draws Bernoulli(byte/255), reproducibly from the seed")
    func binarization() {
        let count = 2000
        let pixels: [UInt8] = (0..<count).flatMap { _ -> [UInt8] in [0, 51, 128, 255, 204] }  // p = 0, 0.2, ~0.502, 1, 0.8
        let set = ImageSet(count: count, height: 1, width: 5, pixels: pixels, scaling: .binarized)
        var out = [Float](repeating: -1, count: count * 5)
        var generator = SeededGenerator(seed: 42)
        out.withUnsafeMutableBufferPointer { set.fillBatch(indices: Array(0..<count), into: $0, generator: &generator) }
        #expect(out.allSatisfy { $0 == 0 || $0 == 1 })
        var ones = [Int](repeating: 0, count: 5)
        for i in 0..<count { for p in 0..<5 where out[i * 5 + p] == 1 { ones[p] += 1 } }
        let means = ones.map { Float($0) / Float(count) }
        #expect(means[0] == 0)
        #expect(means[3] == 1)
        #expect(abs(means[1] - 0.2) < 0.04)
        #expect(abs(means[2] - 0.502) < 0.05)
        #expect(abs(means[4] - 0.8) < 0.04)
        // Same seed, same draws; the next epoch differs.
        var again = [Float](repeating: -1, count: count * 5)
        var replay = SeededGenerator(seed: 42)
        again.withUnsafeMutableBufferPointer { set.fillBatch(indices: Array(0..<count), into: $0, generator: &replay) }
        #expect(again == out)
        again.withUnsafeMutableBufferPointer { set.fillBatch(indices: Array(0..<count), into: $0, generator: &replay) }
        #expect(again != out)
    }

    @Test("one-hot rows put a single 1 at the label's column")
    func oneHot() {
        var out = [Float](repeating: 5, count: 30)
        out.withUnsafeMutableBufferPointer { images.fillOneHot(indices: [1, 0, 1], into: $0) }
        var expected = [Float](repeating: 0, count: 30)
        expected[2] = 1; expected[10 + 7] = 1; expected[20 + 2] = 1
        #expect(out == expected)
    }

    @Test("a shuffled epoch visits every index once, with the last partial batch kept")
    func schedules() {
        var generator = SeededGenerator(seed: 7)
        let schedule = BatchSchedule.shuffled(count: 10, batchSize: 4, generator: &generator)
        #expect(schedule.batchCount == 3)
        #expect(schedule.batches.map(\.count) == [4, 4, 2])
        #expect(schedule.batches.flatMap { $0 }.sorted() == Array(0..<10))
        #expect(schedule.order != Array(0..<10))
        var same = SeededGenerator(seed: 7)
        #expect(BatchSchedule.shuffled(count: 10, batchSize: 4, generator: &same) == schedule)
        let next = BatchSchedule.shuffled(count: 10, batchSize: 4, generator: &generator)
        #expect(next.order != schedule.order, "each epoch reshuffles")
        let evaluation = BatchSchedule.sequential(count: 9, batchSize: 3)
        #expect(evaluation.batches.map { Array($0) } == [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
        #expect(BatchSchedule.sequential(count: 0, batchSize: 3).batchCount == 0)
    }

    @Test("float rows copy the chosen rows")
    func floatRows() {
        let data = FloatDataset(rows: [0, 1, 10, 11, 20, 21], featureCount: 2)
        var generator = SeededGenerator(seed: 0)
        var out = [Float](repeating: 0, count: 4)
        out.withUnsafeMutableBufferPointer { data.fillBatch(indices: [2, 0][...], into: $0, generator: &generator) }
        #expect(out == [20, 21, 0, 1])
        #expect(data.count == 3 && data.labels == nil)
    }
}

@Suite("Swiss roll")
struct SwissRollTests {
    @Test("points are standardised, reproducible, and lie on the roll")
    func roll() {
        var generator = SeededGenerator(seed: 3)
        let roll = SwissRoll(count: 1000, noise: 0, generator: &generator)
        #expect(roll.points.count == 2000 && roll.count == 1000)
        for c in 0..<2 {
            let values = (0..<1000).map { Double(roll.points[2 * $0 + c]) }
            let mean = values.reduce(0, +) / 1000
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1000
            #expect(abs(mean) < 1e-4)
            #expect(abs(variance - 1) < 1e-3)
        }
        for i in 0..<1000 {
            let t = roll.positions[i]
            #expect(t >= 1.5 * .pi && t < 4.5 * .pi + 1e-4)
            let x = roll.points[2 * i] * roll.standardDeviations[0] + roll.means[0]
            let y = roll.points[2 * i + 1] * roll.standardDeviations[1] + roll.means[1]
            #expect(abs(x - t * cos(t)) < 1e-3 && abs(y - t * sin(t)) < 1e-3)
        }
        var same = SeededGenerator(seed: 3)
        #expect(SwissRoll(count: 1000, noise: 0, generator: &same) == roll)
    }

    @Test("noise moves points off the noiseless roll by about the noise level")
    func noise() {
        var a = SeededGenerator(seed: 9)
        let noisy = SwissRoll(count: 2000, noise: 0.5, generator: &a)
        var offsets: [Float] = []
        for i in 0..<2000 {
            let t = noisy.positions[i]
            let x = noisy.points[2 * i] * noisy.standardDeviations[0] + noisy.means[0]
            offsets.append(x - t * cos(t))
        }
        let rms = (offsets.map { $0 * $0 }.reduce(0, +) / 2000).squareRoot()
        #expect(abs(rms - 0.5) < 0.05)
        let dataset = noisy.dataset
        #expect(dataset.featureCount == 2 && dataset.count == 2000)
    }
}
