import COpenBLAS

// The only file that imports OpenBLAS. Everything else calls the Swift API below.

/// Which operand of a matrix product is read transposed.
public enum Transpose: Sendable {
    case none
    case transposed

    @inline(__always)
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C = alpha * op(A) · op(B) + beta * C on raw row-major buffers, through OpenBLAS `cblas_sgemm`.
///
/// Shapes: op(A) is [m, k], op(B) is [k, n], C is [m, n]; `lda`, `ldb`, `ldc` are the row strides of
/// A, B and C as stored (A stored [m, k] when not transposed, [k, m] when transposed).
/// - Parameters:
///   - alpha: scale of the product (default 1).
///   - beta: scale of the existing C (default 0: C is overwritten, its old contents ignored).
@inline(__always)
public func gemm(
    transposeA: Transpose, transposeB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    if m == 0 || n == 0 { return }
    if k == 0 {
        // op(A)·op(B) is all zeros; OpenBLAS handles this, but be explicit about beta.
        for i in 0..<m {
            let row = c + i * ldc
            for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
        return
    }
    var beta = beta
    if beta == 0 {
        // OpenBLAS clears C with its `beta` kernel, then adds the product to it. Clearing C here and
        // passing beta 1 gives the same values and skips that kernel, which took 7 % of the [784 × 400]
        // weight gradient's time on the Zen 3 development machine (75 of 1,050 µs).
        if ldc == n {
            c.update(repeating: 0, count: m * n)
        } else {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
        }
        beta = 1
    }
    cblas_sgemm(CblasRowMajor, transposeA.cblas, transposeB.cblas,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// One sgemm call an op makes, described by its shape: C[m, n] = op(A)[m, k] · op(B)[k, n] + beta · C.
public struct MatrixProduct: Codable, Equatable, Sendable {
    /// What the product computes for its op.
    public enum Role: String, Codable, Sendable {
        /// The forward product (a linear layer's X · Wᵀ, a matmul's A · B).
        case forward
        /// The gradient of the weight (right) operand: dW = dZᵀ · X, or dB of a matmul.
        case weightGradient
        /// The gradient of the input (left) operand: dX = dZ · W, or dA of a matmul.
        case inputGradient
    }

    /// The layer or tensor the product belongs to, e.g. `encoder.0` (a weight named `encoder.0.weight`).
    public var name: String
    public var role: Role
    public var m: Int
    public var n: Int
    public var k: Int
    public var transposeA: Bool
    public var transposeB: Bool
    /// Scale of C's old contents: 1 when the product adds onto C (the forward product onto the bias
    /// rows), 0 when it writes C (a gradient's first contribution).
    public var beta: Float

    public init(name: String, role: Role, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Float) {
        self.name = name; self.role = role; self.m = m; self.n = n; self.k = k
        self.transposeA = transposeA; self.transposeB = transposeB; self.beta = beta
    }

    /// Floating-point operations of one call, 2·m·n·k.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Controls and describes the BLAS library.
public enum BLAS {
    /// Sets the number of threads OpenBLAS may use for one product (the CLI's `--threads`).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's build configuration string (version, kernel family).
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// The CPU kernel family OpenBLAS selected at run time (for example "Haswell" or "SkylakeX").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}

/// B = Aᵀ on raw row-major buffers, through OpenBLAS `cblas_somatcopy`: A is [rows, columns] with row
/// stride `lda`, B is [columns, rows] with row stride `ldb`.
@inline(__always)
public func transpose(rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafeMutablePointer<Float>, ldb: Int) {
    precondition(rows >= 0 && columns >= 0 && lda >= columns && ldb >= rows,
                 "transpose: bad sizes rows=\(rows) columns=\(columns) lda=\(lda) ldb=\(ldb)")
    if rows == 0 || columns == 0 { return }
    cblas_somatcopy(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), 1, a, Int32(lda), b, Int32(ldb))
}
