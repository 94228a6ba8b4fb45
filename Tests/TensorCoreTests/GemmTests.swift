import SeededRandom
import TensorCore
import Testing

/// The sgemm path against a naive triple loop in Double.
@Suite("gemm through OpenBLAS matches a naive triple loop")
struct GemmTests {
    /// C = alpha · op(A) · op(B) + beta · C computed by the textbook loop, in Double.
    static func naive(_ a: [Float], _ b: [Float], _ c: [Float], m: Int, n: Int, k: Int,
                      transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * m + i] : a[i * k + p]
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                out[i * n + j] = Double(alpha) * s + Double(beta) * Double(c[i * n + j])
            }
        }
        return out
    }

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        var v = [Float](repeating: 0, count: count)
        v.withUnsafeMutableBufferPointer { g.fillUniform($0, low: -1, high: 1) }
        return v
    }

    @Test("all transpose combinations, square, non-square, odd sizes, batch 1, alpha and beta",
          arguments: [(false, false), (true, false), (false, true), (true, true)],
          [(1, 1, 1), (1, 784, 400), (128, 20, 400), (7, 13, 5), (33, 67, 100), (64, 64, 64), (3, 1, 9)])
    func matchesNaive(transposes: (Bool, Bool), sizes: (Int, Int, Int)) {
        let (ta, tb) = transposes
        let (m, n, k) = sizes
        let a = Self.random(m * k, seed: 1), b = Self.random(k * n, seed: 2)
        for (alpha, beta) in [(Float(1), Float(0)), (Float(0.5), Float(1)), (Float(-2), Float(0.25))] {
            var c = Self.random(m * n, seed: 3)
            let expected = Self.naive(a, b, c, m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: alpha, beta: beta)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        gemm(transposeA: ta ? .transposed : .none, transposeB: tb ? .transposed : .none,
                             m: m, n: n, k: k, alpha: alpha,
                             a: ap.baseAddress!, lda: ta ? m : k, b: bp.baseAddress!, ldb: tb ? k : n,
                             beta: beta, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            // Float32 accumulation of k products of magnitude ≤ 1: error ≲ k · 6e-8 · |alpha|, plus beta · C rounding.
            let tolerance = Double(k) * 1.2e-7 * Double(abs(alpha)) + 1e-6
            let worst = zip(c, expected).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst <= tolerance, "m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta): worst \(worst)")
        }
    }

    @Test("beta = 0 ignores whatever C held, even NaN")
    func betaZeroOverwrites() {
        var c = [Float](repeating: .nan, count: 4)
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        c.withUnsafeMutableBufferPointer { cp in
            gemm(transposeA: .none, transposeB: .none, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: cp.baseAddress!, ldc: 2)
        }
        #expect(c == [1, 2, 3, 4])
    }

    @Test("the tape's matmul gives the naive product for a 1-row batch")
    func tapeMatmul() {
        let a = Tensor(shape: [1, 3], values: [1, 2, 3]), b = Tensor(shape: [2, 3], values: [1, 0, -1, 2, 2, 2])
        let c = Tape().matmul(a, b, transposeB: true)
        #expect(c.shape == [1, 2])
        #expect(c.values == [-2, 12])
    }

    @Test("thread count can be set")
    func threads() {
        let before = BLAS.threadCount
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        BLAS.setThreadCount(before)
        #expect(!BLAS.coreName.isEmpty)
    }
}
