import Foundation
import Batches
import SeededRandom

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

    /// The float of a byte b is b / divisor − shift: 255 and 0 (unit and binarized's probabilities), or
    /// 127.5 and 1 (symmetric).
    var divisor: Float { self == .symmetric ? 127.5 : 255 }
    var shift: Float { self == .symmetric ? 1 : 0 }

    /// byte → byte / 255 for all 256 bytes.
    static let unitTable: [Float] = (0..<256).map { Float($0) / PixelScaling.unit.divisor - PixelScaling.unit.shift }
    /// byte → byte / 127.5 − 1 for all 256 bytes.
    static let symmetricTable: [Float] = (0..<256).map {
        Float($0) / PixelScaling.symmetric.divisor - PixelScaling.symmetric.shift
    }

    /// The 256-entry byte → Float table; for `.binarized` it holds the probabilities byte / 255.
    public var lookupTable: [Float] { self == .symmetric ? Self.symmetricTable : Self.unitTable }
}

extension ImageSet: TrainingData {
    /// H×W floats per image.
    public var featureCount: Int { pixelsPerImage }

    /// True for dynamic binarization, which draws every pixel from the generator.
    public var fillDrawsRandomness: Bool { scaling == .binarized }

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
                        // The table's correctly rounded byte / divisor − shift, computed in a loop the
                        // compiler vectorises (a table lookup per pixel does not).
                        let divisor = scaling.divisor, shift = scaling.shift
                        for p in 0..<size { out[p] = Float(image[p]) / divisor - shift }
                    }
                    out += size
                }
            }
        }
    }
}
