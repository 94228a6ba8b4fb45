import Foundation
import TensorCore

/// How pixel bytes become `Float` inputs.
public enum PixelScaling: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `x = byte / 255`, in [0, 1]. The default; pairs with a Bernoulli (cross-entropy) decoder.
    case unit
    /// `x = byte / 127.5 − 1`, in [−1, 1]; pairs with a tanh output.
    case symmetric
    /// Dynamic binarization: `x ~ Bernoulli(byte / 255)`, drawn afresh from the generator every
    /// time the pixel is used, so each epoch sees a different binary image.
    case binarized

    public var description: String {
        switch self {
        case .unit: return "unit [0,1]"
        case .symmetric: return "symmetric [-1,1]"
        case .binarized: return "binarized (dynamic Bernoulli)"
        }
    }

    /// byte → byte / 255 for all 256 bytes.
    static let unitTable: [Float] = (0..<256).map { Float($0) / 255 }
    /// byte → byte / 127.5 − 1 for all 256 bytes.
    static let symmetricTable: [Float] = (0..<256).map { Float($0) / 127.5 - 1 }

    /// The 256-entry byte → Float table; for `.binarized` it holds the probabilities byte / 255.
    public var lookupTable: [Float] { self == .symmetric ? Self.symmetricTable : Self.unitTable }
}

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
}

extension TrainingData {
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
        MNISTData.fillOneHot(labels: labels, indices: indices, classCount: classCount, into: destination)
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

extension ImageSet: TrainingData {
    /// H×W floats per image.
    public var featureCount: Int { pixelsPerImage }

    /// Writes images at `indices` as rows of floats using `self.scaling`.
    public func fillBatch(indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>,
                          generator: inout SeededGenerator) {
        fillBatch(indices: indices, scaling: scaling, into: destination, generator: &generator)
    }

    /// Writes the images at `indices`, in that order, as `indices.count × (H·W)` floats.
    ///
    /// `.unit`: byte/255; `.symmetric`: byte/127.5 − 1; `.binarized`: 1 with probability byte/255,
    /// else 0, drawn from `generator`. Uses a 256-entry table; allocates nothing.
    ///
    /// - Parameters:
    ///   - indices: image indices, each in `0..<count`.
    ///   - scaling: the byte → float mapping.
    ///   - destination: room for `indices.count * pixelsPerImage` floats.
    ///   - generator: used only by `.binarized` (two pixels per 64-bit draw).
    public func fillBatch(indices: UnsafeBufferPointer<Int>, scaling: PixelScaling,
                          into destination: UnsafeMutablePointer<Float>, generator: inout SeededGenerator) {
        let size = pixelsPerImage
        let table = scaling.lookupTable
        pixels.withUnsafeBufferPointer { pixelBuffer in
            table.withUnsafeBufferPointer { tableBuffer in
                let source = pixelBuffer.baseAddress!
                let lookup = tableBuffer.baseAddress!
                var out = destination
                for index in indices {
                    precondition(index >= 0 && index < count, "fillBatch: image index \(index) out of range 0..<\(count)")
                    let image = source + index * size
                    if scaling == .binarized {
                        var p = 0
                        while p + 1 < size {
                            let bits = generator.next()
                            let u0 = Float(bits >> 40) * 0x1p-24
                            let u1 = Float((bits >> 8) & 0xFF_FFFF) * 0x1p-24
                            out[p] = u0 < lookup[Int(image[p])] ? 1 : 0
                            out[p + 1] = u1 < lookup[Int(image[p + 1])] ? 1 : 0
                            p += 2
                        }
                        if p < size {
                            out[p] = generator.nextUniformFloat() < lookup[Int(image[p])] ? 1 : 0
                        }
                    } else {
                        for p in 0..<size { out[p] = lookup[Int(image[p])] }
                    }
                    out += size
                }
            }
        }
    }
}

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

    /// The example indices of batch `batch` (0-based).
    public func indices(ofBatch batch: Int) -> ArraySlice<Int> {
        precondition(batch >= 0 && batch < batchCount, "batch \(batch) out of range 0..<\(batchCount)")
        let start = batch * batchSize
        return order[start..<min(start + batchSize, order.count)]
    }

    /// All batches in order.
    public var batches: [ArraySlice<Int>] { (0..<batchCount).map { indices(ofBatch: $0) } }
}
