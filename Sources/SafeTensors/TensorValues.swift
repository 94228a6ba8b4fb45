/// The element types this module reads and writes, spelled as in safetensors headers.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Hashable {
    /// IEEE 754 binary32.
    case float32 = "F32"
    /// IEEE 754 binary64.
    case float64 = "F64"
    /// IEEE 754 binary16 (half precision).
    case float16 = "F16"
    /// bfloat16: the upper 16 bits of a binary32.
    case bfloat16 = "BF16"
    /// Signed 64-bit integer.
    case int64 = "I64"
    /// Signed 32-bit integer.
    case int32 = "I32"
    /// Unsigned 64-bit integer.
    case uint64 = "U64"
    /// Unsigned 8-bit integer.
    case uint8 = "U8"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float64, .int64, .uint64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .uint8: return 1
        }
    }

    /// Position in the buffer layout of written files, first is 0. This is the order the reference
    /// `safetensors` library uses (its dtype enum, descending), which also keeps each tensor aligned
    /// to its element size because the sizes never increase along it.
    var layoutRank: Int {
        switch self {
        case .uint64: return 0
        case .int64: return 1
        case .float64: return 2
        case .float32: return 3
        case .int32: return 4
        case .bfloat16: return 5
        case .float16: return 6
        case .uint8: return 7
        }
    }

    /// Whether the elements are floating-point numbers (convertible to `Float`).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        case .int64, .int32, .uint64, .uint8: return false
        }
    }
}

/// The flat, row-major elements of one tensor, tagged with their dtype.
///
/// Half-precision types keep their raw 16-bit patterns so that reading and re-writing is exact;
/// use ``convertedToFloat()`` to get numbers.
public enum TensorValues: Sendable, Equatable {
    case float32([Float])
    case float64([Double])
    /// F16 elements as raw IEEE binary16 bit patterns.
    case float16Bits([UInt16])
    /// BF16 elements as raw bit patterns (the upper half of a binary32).
    case bfloat16Bits([UInt16])
    case int64([Int64])
    case int32([Int32])
    case uint64([UInt64])
    case uint8([UInt8])

    /// The dtype these values are stored as.
    public var dtype: SafeTensorsDType {
        switch self {
        case .float32: return .float32
        case .float64: return .float64
        case .float16Bits: return .float16
        case .bfloat16Bits: return .bfloat16
        case .int64: return .int64
        case .int32: return .int32
        case .uint64: return .uint64
        case .uint8: return .uint8
        }
    }

    /// Number of elements.
    public var count: Int {
        switch self {
        case .float32(let values): return values.count
        case .float64(let values): return values.count
        case .float16Bits(let values): return values.count
        case .bfloat16Bits(let values): return values.count
        case .int64(let values): return values.count
        case .int32(let values): return values.count
        case .uint64(let values): return values.count
        case .uint8(let values): return values.count
        }
    }

    /// The values as `Float`, or `nil` for integer dtypes.
    ///
    /// F64 is rounded to the nearest `Float`; F16 and BF16 convert exactly.
    public func convertedToFloat() -> [Float]? {
        switch self {
        case .float32(let values): return values
        case .float64(let values): return values.map { Float($0) }
        case .float16Bits(let bits): return bits.map(floatFromHalfBits)
        case .bfloat16Bits(let bits): return bits.map(floatFromBFloat16Bits)
        case .int64, .int32, .uint64, .uint8: return nil
        }
    }
}

/// Converts an IEEE 754 binary16 bit pattern to the `Float` with the same value (exact).
///
/// Handles zeros, subnormals, infinities and NaNs (the NaN payload is kept in the top mantissa bits).
/// - Parameter bits: the half-precision bit pattern (sign: 1 bit, exponent: 5, mantissa: 10).
/// - Returns: the equal `Float`.
public func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = UInt32((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴, exactly representable in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        // Infinity (mantissa 0) or NaN.
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        // Normal: rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

/// Converts a bfloat16 bit pattern to the `Float` with the same value (exact).
/// - Parameter bits: the upper 16 bits of a binary32 pattern.
/// - Returns: the equal `Float`.
public func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
