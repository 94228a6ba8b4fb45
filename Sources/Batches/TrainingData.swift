// What a trainer needs of a data set, and nothing about where the data comes from: the protocol a
// data set conforms to, the order of an epoch's batches, and one-hot label rows. A leaf module, so the
// model layer can train on data without knowing about files, and data sets can conform without
// knowing about models.

import SeededRandom

/// Data a trainer can draw batches of `Float` rows from: images or plain float rows.
public protocol TrainingData: Sendable {
    /// Number of examples.
    var count: Int { get }
    /// Floats per example (H×W for images, the dimension for float rows).
    var featureCount: Int { get }
    /// One class label per example in `0..<classCount`, or `nil`.
    var labels: [UInt8]? { get }
    /// Number of label classes (0 when there are no labels).
    var classCount: Int { get }
    /// Writes the examples at `indices`, in that order, as `indices.count × featureCount`
    /// row-major floats starting at `destination`.
    ///
    /// - Parameters:
    ///   - indices: example indices, each in `0..<count`.
    ///   - destination: room for `indices.count * featureCount` floats.
    ///   - generator: source of randomness (used by dynamic binarization only).
    func fillBatch(indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>,
                   generator: inout SeededGenerator)
    /// Whether `fillBatch` draws from its generator (dynamic binarization does). When it does not, a
    /// batch's row blocks may be filled in any order, on any thread, with the same result (default false).
    var fillDrawsRandomness: Bool { get }
}

extension TrainingData {
    public var fillDrawsRandomness: Bool { false }

    /// Writes the examples at `indices` as rows into `destination` (see the pointer version).
    ///
    /// - Parameters:
    ///   - indices: any collection of example indices, e.g. a slice of a `BatchSchedule`.
    ///   - destination: at least `indices.count * featureCount` floats.
    ///   - generator: source of randomness.
    public func fillBatch<C: Collection<Int>>(indices: C, into destination: UnsafeMutableBufferPointer<Float>,
                                              generator: inout SeededGenerator) {
        precondition(destination.count >= indices.count * featureCount,
                     "fillBatch: destination holds \(destination.count) floats, needs \(indices.count * featureCount)")
        guard let base = destination.baseAddress, !indices.isEmpty else { return }
        let done: Void? = indices.withContiguousStorageIfAvailable { buffer in
            fillBatch(indices: buffer, into: base, generator: &generator)
        }
        if done == nil {
            Array(indices).withUnsafeBufferPointer { fillBatch(indices: $0, into: base, generator: &generator) }
        }
    }

    /// Writes the labels of the examples at `indices` as one-hot rows
    /// (`indices.count × classCount`, 1 at the label's column, 0 elsewhere).
    ///
    /// - Precondition: the data has labels.
    public func fillOneHot<C: Collection<Int>>(indices: C, into destination: UnsafeMutableBufferPointer<Float>) {
        guard let labels else { preconditionFailure("fillOneHot: this data set has no labels") }
        Batches.fillOneHot(labels: labels, indices: indices, classCount: classCount, into: destination)
    }
}

/// Writes one-hot rows for `labels[i]` for each `i` in `indices`: row r has 1 in column
/// `labels[indices[r]]` and 0 elsewhere.
///
/// - Parameters:
///   - labels: class labels, each below `classCount`.
///   - indices: which labels, in batch order.
///   - classCount: columns per row (10 for MNIST).
///   - destination: at least `indices.count * classCount` floats.
public func fillOneHot<C: Collection<Int>>(labels: [UInt8], indices: C, classCount: Int,
                                          into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(classCount > 0, "fillOneHot: classCount must be positive")
    precondition(destination.count >= indices.count * classCount,
                 "fillOneHot: destination holds \(destination.count) floats, needs \(indices.count * classCount)")
    guard let base = destination.baseAddress else { return }
    base.update(repeating: 0, count: indices.count * classCount)
    labels.withUnsafeBufferPointer { labelBuffer in
        var row = 0
        for index in indices {
            precondition(index >= 0 && index < labelBuffer.count, "fillOneHot: index \(index) out of range")
            let label = Int(labelBuffer[index])
            precondition(label < classCount, "fillOneHot: label \(label) is not below \(classCount)")
            base[row * classCount + label] = 1
            row += 1
        }
    }
}
