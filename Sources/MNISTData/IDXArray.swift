import Foundation

/// The element type of an IDX array, stored in the third byte of the header.
public enum IDXElementType: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// Bytes per element (1, 1, 2, 4, 4, 8).
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// Whether the elements are integers (all but `float32` and `float64`).
    public var isInteger: Bool { self != .float32 && self != .float64 }

    public var description: String {
        switch self {
        case .uint8: return "UInt8 (0x08)"
        case .int8: return "Int8 (0x09)"
        case .int16: return "Int16 (0x0B)"
        case .int32: return "Int32 (0x0C)"
        case .float32: return "Float32 (0x0D)"
        case .float64: return "Float64 (0x0E)"
        }
    }
}

/// An n-dimensional array as stored in an IDX file: element type, shape and the raw payload.
///
/// The payload `bytes` is kept exactly as in the file (big-endian, row-major), so a UInt8 image
/// file costs one byte per pixel in memory. Element count = product of `shape`;
/// `bytes.count == elementCount * elementType.byteWidth` always holds.
public struct IDXArray: Sendable, Equatable {
    /// The element type from the header.
    public let elementType: IDXElementType
    /// The dimensions, outermost first (e.g. `[60000, 28, 28]` for MNIST training images).
    public let shape: [Int]
    /// The payload, big-endian and row-major, `elementCount * elementType.byteWidth` bytes.
    public let bytes: [UInt8]

    /// Creates an array from its parts.
    ///
    /// - Parameters:
    ///   - elementType: the element type.
    ///   - shape: at least one dimension, none negative, at most 255 dimensions.
    ///   - bytes: big-endian payload of exactly `product(shape) * elementType.byteWidth` bytes.
    public init(elementType: IDXElementType, shape: [Int], bytes: [UInt8]) {
        precondition(!shape.isEmpty && shape.count <= 255, "IDXArray needs 1...255 dimensions, got \(shape.count)")
        precondition(shape.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) }, "IDXArray dimensions must be in 0...UInt32.max: \(shape)")
        let count = shape.reduce(1, *)
        precondition(bytes.count == count * elementType.byteWidth,
                     "IDXArray payload has \(bytes.count) bytes, shape \(shape) of \(elementType) needs \(count * elementType.byteWidth)")
        self.elementType = elementType
        self.shape = shape
        self.bytes = bytes
    }

    /// Creates a UInt8 array from values.
    ///
    /// - Parameters:
    ///   - uint8Values: row-major values, `product(shape)` of them.
    ///   - shape: the dimensions.
    public init(uint8Values: [UInt8], shape: [Int]) {
        self.init(elementType: .uint8, shape: shape, bytes: uint8Values)
    }

    /// Number of elements: the product of `shape`.
    public var elementCount: Int { bytes.count / elementType.byteWidth }

    /// The elements as bytes when the element type is `uint8` (no copy), otherwise `nil`.
    public var uint8Values: [UInt8]? { elementType == .uint8 ? bytes : nil }

    /// The element at flat index `index` converted to `Double` (exact for every IDX type).
    ///
    /// - Parameter index: flat row-major index in `0..<elementCount`.
    @inline(__always)
    public func doubleValue(at index: Int) -> Double {
        precondition(index >= 0 && index < elementCount, "IDXArray index \(index) out of range 0..<\(elementCount)")
        let o = index * elementType.byteWidth
        switch elementType {
        case .uint8: return Double(bytes[o])
        case .int8: return Double(Int8(bitPattern: bytes[o]))
        case .int16: return Double(Int16(bitPattern: UInt16(bytes[o]) << 8 | UInt16(bytes[o + 1])))
        case .int32: return Double(Int32(bitPattern: readUInt32(o)))
        case .float32: return Double(Float(bitPattern: readUInt32(o)))
        case .float64:
            let high = UInt64(readUInt32(o)), low = UInt64(readUInt32(o + 4))
            return Double(bitPattern: high << 32 | low)
        }
    }

    @inline(__always)
    private func readUInt32(_ o: Int) -> UInt32 {
        UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3])
    }

    /// All elements converted to `Float` (Float64 values are rounded to the nearest Float).
    public func floatValues() -> [Float] {
        if elementType == .uint8 { return bytes.map { Float($0) } }
        return (0..<elementCount).map { Float(doubleValue(at: $0)) }
    }

    /// All elements converted to `Int` when the element type is an integer type, otherwise `nil`.
    public func intValues() -> [Int]? {
        guard elementType.isInteger else { return nil }
        if elementType == .uint8 { return bytes.map { Int($0) } }
        return (0..<elementCount).map { Int(doubleValue(at: $0)) }
    }

    /// The complete IDX file contents: header (magic `00 00 type rank`, then each dimension as a
    /// big-endian UInt32) followed by the payload.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0, 0, elementType.rawValue, UInt8(shape.count)]
        out.reserveCapacity(4 + 4 * shape.count + bytes.count)
        for d in shape {
            let v = UInt32(d)
            out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        }
        out += bytes
        return out
    }
}
