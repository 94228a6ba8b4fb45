import Batches
import Foundation
import SeededRandom
import Testing
@testable import MNISTData

@Suite("Bundled MNIST subset")
struct BundledDataTests {
    @Test("4,000 training images give 32 batches of 128 (31 full + 32), values in [0,1], 28×28, 400 of each digit")
    func bundledEpoch() throws {
        let data = try MNISTDataset(folder: try DataLocation.bundledFolder(), options: .init(requireLabels: true))
        #expect(data.train.count == 4000)
        #expect(data.test?.count == 1000)
        #expect(data.height == 28 && data.width == 28)
        #expect(data.train.labelHistogram == [Int](repeating: 400, count: 10))
        #expect(data.test?.labelHistogram == [Int](repeating: 100, count: 10))
        #expect(data.summary == "4,000 train / 1,000 test images, 28×28, labelled")

        var generator = SeededGenerator(seed: 2024)
        let schedule = BatchSchedule.shuffled(count: data.train.count, batchSize: 128, generator: &generator)
        #expect(schedule.batchCount == 32)
        #expect(schedule.batches.prefix(31).allSatisfy { $0.count == 128 })
        #expect(schedule.batches.last?.count == 32)

        var batch = [Float](repeating: -1, count: 128 * 784)
        var oneHot = [Float](repeating: -1, count: 128 * 10)
        var seen = 0
        var minimum: Float = .infinity, maximum: Float = -.infinity
        var labelCounts = [Int](repeating: 0, count: 10)
        for indices in schedule.batches {
            batch.withUnsafeMutableBufferPointer { data.train.fillBatch(indices: indices, into: $0, generator: &generator) }
            oneHot.withUnsafeMutableBufferPointer { data.train.fillOneHot(indices: indices, into: $0) }
            for value in batch[0..<(indices.count * 784)] {
                minimum = min(minimum, value)
                maximum = max(maximum, value)
            }
            for row in 0..<indices.count {
                let rowValues = oneHot[(row * 10)..<(row * 10 + 10)]
                #expect(rowValues.reduce(0, +) == 1)
                labelCounts[rowValues.firstIndex(of: 1)! - row * 10] += 1
            }
            seen += indices.count
        }
        #expect(seen == 4000)
        #expect(minimum == 0 && maximum == 1)
        #expect(labelCounts == [Int](repeating: 400, count: 10))
    }
}
