import Foundation

/// Principal component analysis of a set of row vectors, in Double.
///
/// The covariance C = (1/N) Σ_n (x_n − x̄)(x_n − x̄)ᵀ (D × D) is diagonalised with the cyclic Jacobi
/// eigenvalue method (rotations zeroing each off-diagonal element in turn until the off-diagonal sum of
/// squares is below 10⁻²⁴ of the total); the components are its eigenvectors sorted by decreasing
/// eigenvalue (the variance along them). Meant for small D (latent sizes, up to a few hundred).
public struct PrincipalComponents: Sendable {
    /// The data's dimension D.
    public let dimension: Int
    /// x̄, D values.
    public let mean: [Double]
    /// Eigenvalues of C in decreasing order: the variance along each component (D values).
    public let variances: [Double]
    /// Unit eigenvectors, `components[k]` belonging to `variances[k]` (D vectors of D values). The sign of
    /// each is fixed so that its largest-magnitude entry is positive (deterministic output).
    public let components: [[Double]]

    /// Analyses `count` rows of `dimension` values (row-major `rows`).
    public init(rows: [Float], dimension: Int) {
        precondition(dimension > 0 && rows.count % dimension == 0, "PrincipalComponents: rows are not of \(dimension) values")
        let count = rows.count / dimension
        self.dimension = dimension
        var mean = [Double](repeating: 0, count: dimension)
        for n in 0..<count { for j in 0..<dimension { mean[j] += Double(rows[n * dimension + j]) } }
        if count > 0 { mean = mean.map { $0 / Double(count) } }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: dimension)
        for n in 0..<count {
            let centred = (0..<dimension).map { Double(rows[n * dimension + $0]) - mean[$0] }
            for i in 0..<dimension { for j in i..<dimension { covariance[i][j] += centred[i] * centred[j] } }
        }
        for i in 0..<dimension {
            for j in i..<dimension {
                covariance[i][j] /= Double(max(count, 1))
                covariance[j][i] = covariance[i][j]
            }
        }
        let decomposition = SymmetricEigen(covariance)
        let order = decomposition.values.indices.sorted { decomposition.values[$0] > decomposition.values[$1] }
        self.mean = mean
        variances = order.map { max(decomposition.values[$0], 0) }
        components = order.map { k in
            let vector = (0..<dimension).map { decomposition.vectors[$0][k] }
            let largest = vector.max { abs($0) < abs($1) } ?? 1
            return largest < 0 ? vector.map { -$0 } : vector
        }
    }

    /// The fraction of the total variance along component k (0 when the data has no variance).
    public func varianceFraction(_ k: Int) -> Double {
        let total = variances.reduce(0, +)
        return total > 0 ? variances[k] / total : 0
    }

    /// The coordinates of each row on the first `count` components: (x − x̄) · v_k, row-major [N, count].
    public func project(rows: [Float], onto count: Int) -> [Float] {
        precondition(count <= dimension, "PrincipalComponents: \(count) components of \(dimension)")
        let n = rows.count / dimension
        var result = [Float](repeating: 0, count: n * count)
        for row in 0..<n {
            for k in 0..<count {
                var sum = 0.0
                for j in 0..<dimension { sum += (Double(rows[row * dimension + j]) - mean[j]) * components[k][j] }
                result[row * count + k] = Float(sum)
            }
        }
        return result
    }
}

/// Eigenvalues and eigenvectors of a real symmetric matrix by cyclic Jacobi rotations
/// (Golub & Van Loan, Matrix Computations, §8.5): A = V Λ Vᵀ, eigenvector k in column k of `vectors`.
struct SymmetricEigen {
    let values: [Double]
    let vectors: [[Double]]

    init(_ matrix: [[Double]]) {
        let n = matrix.count
        var a = matrix
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        let total = a.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } }
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for i in 0..<n { for j in 0..<n where i != j { offDiagonal += a[i][j] * a[i][j] } }
            if offDiagonal <= 1e-24 * total || offDiagonal == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p][q] != 0 {
                    // The rotation (c, s) in the (p, q) plane that zeroes a[p][q]:
                    // θ = (a_qq − a_pp) / (2 a_pq), t = sign(θ) / (|θ| + √(θ² + 1)), c = 1/√(t² + 1), s = t·c.
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {  // A ← A·J (columns p and q)
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {  // A ← Jᵀ·A (rows p and q)
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {  // V ← V·J
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        values = (0..<n).map { a[$0][$0] }
        vectors = v
    }
}
