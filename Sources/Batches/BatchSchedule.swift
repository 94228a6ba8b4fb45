import SeededRandom

/// The order of one pass over a data set, cut into batches of `batchSize`; the last batch
/// may be smaller (kept, as PyTorch's `DataLoader` does by default).
///
/// Batch `b` holds `order[b*batchSize ..< min((b+1)*batchSize, count)]`;
/// `batchCount = ceil(count / batchSize)`.
public struct BatchSchedule: Sendable, Equatable {
    /// Example indices in visiting order, a permutation of `0..<count`.
    public let order: [Int]
    /// Examples per full batch.
    public let batchSize: Int

    /// A schedule visiting `order` in `batchSize` chunks.
    ///
    /// - Parameters:
    ///   - order: the example indices in visiting order.
    ///   - batchSize: examples per batch, ≥ 1.
    public init(order: [Int], batchSize: Int) {
        precondition(batchSize > 0, "batchSize must be positive, got \(batchSize)")
        self.order = order
        self.batchSize = batchSize
    }

    /// A fresh random order for one training epoch: `generator.permutation(count:)`.
    ///
    /// - Parameters:
    ///   - count: number of examples.
    ///   - batchSize: examples per batch, ≥ 1.
    ///   - generator: advanced by the shuffle.
    public static func shuffled(count: Int, batchSize: Int, generator: inout SeededGenerator) -> BatchSchedule {
        BatchSchedule(order: generator.permutation(count: count), batchSize: batchSize)
    }

    /// The order 0, 1, …, count−1, for evaluation.
    public static func sequential(count: Int, batchSize: Int) -> BatchSchedule {
        BatchSchedule(order: Array(0..<count), batchSize: batchSize)
    }

    /// Number of examples.
    public var count: Int { order.count }

    /// Number of batches, ⌈count / batchSize⌉.
    public var batchCount: Int { (order.count + batchSize - 1) / batchSize }

    /// The positions in `order` of batch `batch` (0-based): `batch·batchSize ..< min((batch+1)·batchSize, count)`.
    public func range(ofBatch batch: Int) -> Range<Int> {
        precondition(batch >= 0 && batch < batchCount, "batch \(batch) out of range 0..<\(batchCount)")
        let start = batch * batchSize
        return start..<min(start + batchSize, order.count)
    }

    /// The example indices of batch `batch` (0-based).
    public func indices(ofBatch batch: Int) -> ArraySlice<Int> { order[range(ofBatch: batch)] }

    /// All batches in order.
    public var batches: [ArraySlice<Int>] { (0..<batchCount).map { indices(ofBatch: $0) } }
}
