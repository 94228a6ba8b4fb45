import Foundation

/// A seedable, reproducible random number generator: xoshiro256** seeded through SplitMix64.
///
/// Nothing in the library touches a global random source; every consumer takes a generator as
/// `inout`. The whole state is four 64-bit words (`state`), so a checkpoint can store it and a
/// resumed run continues the exact same stream.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The four xoshiro256** state words; never all zero.
    public var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator from a 64-bit seed (SplitMix64 expands it to the 256-bit state).
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Restores a generator from saved state words (as returned by `stateWords`).
    public init(stateWords: [UInt64]) {
        precondition(stateWords.count == 4, "SeededGenerator needs 4 state words, got \(stateWords.count)")
        precondition(stateWords.contains { $0 != 0 }, "SeededGenerator state must not be all zero")
        state = (stateWords[0], stateWords[1], stateWords[2], stateWords[3])
    }

    /// The state as an array, for checkpoints.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool { a.stateWords == b.stateWords }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUniformFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in `0..<upperBound`, without modulo bias (Lemire's method).
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextInt(below:) needs a positive bound, got \(upperBound)")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// Fills `buffer` with standard normal draws N(0, 1) (Box–Muller, two draws per pair of uniforms).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, standardDeviation: Float = 1) {
        var i = 0
        let n = buffer.count
        while i < n {
            // u1 in (0, 1] so that log(u1) is finite.
            let u1 = 1.0 - nextUniformDouble()
            let u2 = nextUniformDouble()
            let radius = (-2.0 * Foundation.log(u1)).squareRoot()
            let angle = 2.0 * Double.pi * u2
            buffer[i] = mean + standardDeviation * Float(radius * Foundation.cos(angle))
            if i + 1 < n { buffer[i + 1] = mean + standardDeviation * Float(radius * Foundation.sin(angle)) }
            i += 2
        }
    }

    /// Fills `buffer` with uniform draws in [low, high).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float, high: Float) {
        let width = high - low
        for i in 0..<buffer.count { buffer[i] = low + width * nextUniformFloat() }
    }

    /// A Fisher–Yates permutation of `0..<count`.
    public mutating func permutation(count: Int) -> [Int] {
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}
