import Foundation
import SeededRandom

/// How many iterations a fuzz test runs: `VAE_FUZZ_ITERATIONS` when set (to fuzz longer by hand),
/// else `standard` (what CI runs).
/// - Throws: `FuzzSettingError` when the variable is set but not a positive whole number.
public func fuzzIterations(standard: Int) throws -> Int {
    guard let text = ProcessInfo.processInfo.environment["VAE_FUZZ_ITERATIONS"] else { return standard }
    guard let count = Int(text), count > 0 else { throw FuzzSettingError(text: text) }
    return count
}

/// `VAE_FUZZ_ITERATIONS` holds something other than a positive whole number.
public struct FuzzSettingError: Error, CustomStringConvertible {
    public let text: String
    public var description: String { "VAE_FUZZ_ITERATIONS must be a positive whole number such as 200000 (got '\(text)')" }
}

/// Makes damaged copies of valid files, drawing every choice from one seeded generator so a failure
/// is reproduced by its seed and iteration number.
///
/// Byte mutations: flip a bit, set a byte (to an edge value or a random one), truncate, insert random
/// bytes, delete a range, duplicate a range. Field mutations write an extreme value into a number the
/// caller locates: a big- or little-endian integer at a byte offset, or a number written as text.
public struct Mutator {
    public var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// Integers at the edges of 32 bits, and sizes near what headers plausibly hold.
    public static let extremeUInt32: [UInt32] = [0, 1, 2, 3, 255, 256, 65_535, 65_536, 1_000_000, 2_700_000,
                                                 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF]
    /// Integers at the edges of 64 bits.
    public static let extremeUInt64: [UInt64] = [0, 1, 7, 8, 9, 1 << 31, 1 << 32, 1 << 62, 1 << 63, UInt64(Int64.max),
                                                 UInt64.max, UInt64.max - 7, 100_000_000, 100_000_001]
    /// JSON texts that stand where a number was: huge, negative, fractional, not finite, another type.
    public static let extremeNumberTexts: [String] = [
        "0", "-1", "1", "2", "3", "1000000", "1000000000", "100000000", "2147483647", "2147483648", "4294967296",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616",
        "1e9", "1e18", "1e400", "-1e400", "2.5", "-0", "0.0", "NaN", "Infinity", "null", "true", "\"7\"", "[]", "{}",
        "[1000000000]", "[0]", "[-1]", "[100000,100000]",
    ]

    /// A uniform draw from `0..<bound` (`bound` ≥ 1).
    public mutating func below(_ bound: Int) -> Int { generator.nextInt(below: bound) }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// `bytes` with 1 to 4 random byte mutations applied.
    public mutating func mutateBytes(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        for _ in 0...below(4) { applyOneByteMutation(&result) }
        return result
    }

    private mutating func applyOneByteMutation(_ bytes: inout [UInt8]) {
        let position = below(bytes.count + 1)
        switch below(6) {
        case 0 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] ^= UInt8(1) << UInt8(below(8))
        case 1 where !bytes.isEmpty:
            let edge: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, UInt8(ascii: "-"), UInt8(ascii: "9"), UInt8(ascii: "\""),
                                 UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ",")]
            bytes[min(position, bytes.count - 1)] = below(2) == 0 ? pick(edge) : UInt8(truncatingIfNeeded: generator.next())
        case 2:
            bytes.removeSubrange(position...)
        case 3:
            let count = 1 + below(16)
            let inserted = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            bytes.insert(contentsOf: inserted, at: position)
        case 4 where position < bytes.count:
            bytes.removeSubrange(position..<min(bytes.count, position + 1 + below(32)))
        case 5 where position < bytes.count:
            let chunk = bytes[position..<min(bytes.count, position + 1 + below(64))]
            bytes.insert(contentsOf: chunk, at: below(bytes.count + 1))
        default:
            bytes.append(UInt8(truncatingIfNeeded: generator.next()))
        }
    }

    /// Overwrites the big-endian UInt32 at `offset` with an extreme value (nothing when it does not fit).
    public mutating func overwriteBigEndianUInt32(_ bytes: inout [UInt8], at offset: Int) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        let value = pick(Self.extremeUInt32)
        for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
    }

    /// Overwrites the little-endian UInt64 at `offset` with an extreme value (nothing when it does not fit).
    public mutating func overwriteLittleEndianUInt64(_ bytes: inout [UInt8], at offset: Int) {
        guard offset >= 0, offset + 8 <= bytes.count else { return }
        let value = pick(Self.extremeUInt64)
        for k in 0..<8 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    /// `text` with one of its numbers (a run of digits, with a leading minus sign if any) replaced by an
    /// extreme value; unchanged when it holds no number.
    public mutating func replaceNumber(in text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var runs: [Range<Int>] = []
        var index = 0
        while index < scalars.count {
            guard ("0"..."9").contains(scalars[index]) else { index += 1; continue }
            var start = index
            if start > 0 && scalars[start - 1] == "-" { start -= 1 }
            while index < scalars.count, ("0"..."9").contains(scalars[index]) || scalars[index] == "." { index += 1 }
            runs.append(start..<index)
        }
        guard !runs.isEmpty else { return text }
        let run = pick(runs)
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[..<run.lowerBound])
        result.append(contentsOf: pick(Self.extremeNumberTexts).unicodeScalars)
        result.append(contentsOf: scalars[run.upperBound...])
        return String(result)
    }
}
