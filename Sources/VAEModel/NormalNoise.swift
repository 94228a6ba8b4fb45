import SeededRandom
import TensorCore

/// Standard normal noise for `LikelihoodEstimator`: Box–Muller on 32-bit uniforms, vectorised.
///
/// Draw order: a sample of L values takes ⌈L/2⌉ words w of the generator (`next()`), in order.
/// Word q gives u₁ = (hi32(w) + 1)·2^−32 in (0, 1] and u₂ = lo32(w)·2^−32 in [0, 1] (both rounded
/// to Float), and values 2q and 2q + 1 of the sample are √(−2 ln u₁)·cos 2πu₂ and √(−2 ln u₁)·sin 2πu₂;
/// for odd L the last sine is not used. A run of samples therefore draws the same values however
/// it is split. |ε| ≤ √(64 ln 2) ≈ 6.66 (the tail beyond has probability 3e-11).
///
/// Accuracy: ln from `VectorMath.log` (1 ulp); sin and cos of 2πu₂ after reduction to [−π/4, π/4]
/// with Cephes `sinf`/`cosf` polynomials (about 1e-7 absolute).
public enum NormalNoise {
    /// Fills `buffer` (samples × `latent` values) with N(0, 1) draws from `generator`, as described above.
    public static func fill(_ buffer: UnsafeMutableBufferPointer<Float>, latent: Int, generator: inout SeededGenerator) {
        precondition(latent > 0 && buffer.count % latent == 0, "NormalNoise: \(buffer.count) values are not samples of \(latent)")
        guard let base = buffer.baseAddress else { return }
        let samples = buffer.count / latent
        let pairs = samples * ((latent + 1) / 2)
        let radius = UnsafeMutablePointer<Float>.allocate(capacity: max(pairs, 1))
        let angle = UnsafeMutablePointer<Float>.allocate(capacity: max(pairs, 1))
        defer { radius.deallocate(); angle.deallocate() }
        fill(base, samples: samples, latent: latent, generator: &generator, radius: radius, angle: angle)
    }

    /// The uniforms (u₁, u₂) of one generator word.
    @inline(__always)
    static func uniforms(_ word: UInt64) -> (u1: Float, u2: Float) {
        // Through Int64: a signed conversion is one instruction, an unsigned one a branch.
        (Float(Int64(bitPattern: (word >> 32) + 1)) * 0x1p-32, Float(Int64(bitPattern: word & 0xFFFF_FFFF)) * 0x1p-32)
    }

    /// `samples` × `latent` draws into `out`, using `radius` and `angle` (samples × ⌈latent/2⌉ floats
    /// each) as working space. Allocates nothing.
    static func fill(_ out: UnsafeMutablePointer<Float>, samples: Int, latent: Int, generator: inout SeededGenerator,
                     radius: UnsafeMutablePointer<Float>, angle: UnsafeMutablePointer<Float>) {
        let half = (latent + 1) / 2
        let pairs = samples * half
        for q in 0..<pairs {
            let (u1, u2) = uniforms(generator.next())
            radius[q] = u1
            angle[q] = u2
        }
        VectorMath.log(radius, radius, pairs)
        // radius ← √(−2 ln u₁) · cos 2πu₂, angle ← √(−2 ln u₁) · sin 2πu₂.
        let w = V.scalarCount
        var q = 0
        while q + w <= pairs {
            let r = (load(radius + q) * -2).squareRoot()
            let (s, c) = sinCos2Pi(load(angle + q))
            store(r * c, radius + q)
            store(r * s, angle + q)
            q += w
        }
        if q < pairs {
            var u = V(repeating: 0), l = V(repeating: 0)
            for j in 0..<(pairs - q) { u[j] = angle[q + j]; l[j] = radius[q + j] }
            let r = (l * -2).squareRoot()
            let (s, c) = sinCos2Pi(u)
            for j in 0..<(pairs - q) { radius[q + j] = r[j] * c[j]; angle[q + j] = r[j] * s[j] }
        }
        for sample in 0..<samples {
            let row = out + sample * latent, p = sample * half
            for j in 0..<(latent / 2) { row[2 * j] = radius[p + j]; row[2 * j + 1] = angle[p + j] }
            if latent % 2 == 1 { row[latent - 1] = radius[p + half - 1] }
        }
    }

    typealias V = SIMD16<Float>
    typealias I = SIMD16<Int32>
    typealias U = SIMD16<UInt32>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// (sin 2πu, cos 2πu) for u in [0, 1]: v = u − round(u), quadrant k = round(4v), x = 2π(v − k/4) in
    /// [−π/4, π/4], then sin(x + kπ/2) and cos(x + kπ/2) from sin x and cos x.
    @inline(__always)
    static func sinCos2Pi(_ u: V) -> (V, V) {
        let magic: Float = 12_582_912  // 1.5·2^23: x + magic − magic rounds x to an integer
        let v = u - ((u + magic) - magic)
        let shifted = v * 4 + magic
        let k = shifted - magic
        let quadrant = unsafeBitCast(shifted, to: I.self) &- 0x4B40_0000
        let x = (v - k * 0.25) * 6.283_185_307_179_586
        let z = x * x
        var sp = V(repeating: -1.951_529_589_1e-4)
        sp = sp * z + 8.332_160_873_6e-3
        sp = sp * z - 1.666_665_461_1e-1
        let sine = sp * z * x + x
        var cp = V(repeating: 2.443_315_711_809_948e-5)
        cp = cp * z - 1.388_731_625_493_765e-3
        cp = cp * z + 4.166_664_568_298_827e-2
        let cosine = cp * z * z - 0.5 * z + 1
        // Quadrant fix-up with integer bit operations only: swap sin and cos in odd quadrants,
        // negate sin in quadrants 2 and 3, cos in quadrants 1 and 2.
        let q = unsafeBitCast(quadrant, to: U.self)
        let swap = 0 &- (q & 1)
        let sineBits = unsafeBitCast(sine, to: U.self), cosineBits = unsafeBitCast(cosine, to: U.self)
        let s = ((sineBits & ~swap) | (cosineBits & swap)) ^ ((q & 2) &<< 30)
        let c = ((cosineBits & ~swap) | (sineBits & swap)) ^ (((q &+ 1) & 2) &<< 30)
        return (unsafeBitCast(s, to: V.self), unsafeBitCast(c, to: V.self))
    }
}
