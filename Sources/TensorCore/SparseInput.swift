// A linear layer's products over a mostly-zero input, skipping its zeros. The encoder's first layer
// reads image pixels, and 81 % of MNIST's are 0; its forward product and weight gradient are two of
// the training step's three large products. The layer stores its weight transposed, Wᵀ [in, out]
// (`WeightLayout.inputsByOutputs`), so that each nonzero input adds one contiguous row of it. Forward
// and weight gradient side by side:
//
//   forward          Y[m, out] = X[m, in] · Wᵀ[in, out] + b
//                    row by row:      Y[r, :] = b + Σ_{j: X[r,j] ≠ 0} X[r, j] · Wᵀ[j, :]
//   weight gradient  dWᵀ[in, out] (+)= X[m, in]ᵀ · dZ[m, out]
//                    input by input:  dWᵀ[j, :] = Σ_{r: X[r,j] ≠ 0} X[r, j] · dZ[r, :]
//
// Each runs 2 · nnz(X) · out FLOPs instead of 2 · m · in · out, and neither transposes a weight: both
// add 64-output parts of matrix rows in registers. The forward pass reads rows of Wᵀ in place, one
// block of 64 outputs and one tile of 256 inputs at a time, so that the part of Wᵀ every row reads
// stays in the core's cache. The weight gradient copies a block's columns of dZ into a panel D[m, 64]
// that stays in the first-level cache, and writes each input's sums straight into its row of dWᵀ. It
// can take several row blocks of one batch at once (data-parallel workers' rows, listed by each, one
// after another in D) and any range of inputs. Sums run
// in index order (inputs ascending within a row, blocks in order and rows ascending within an
// input), so a pass gives the same bytes every time.

/// Whether a layer's input is sparse enough for the products in this file, and the listing they use.
///
/// Made once per linear layer whose input needs no gradient (the data) and whose weight is stored
/// [in, out]; before every forward pass it lists the input's nonzero entries. When there are more than
/// `densityLimit` × rows × inputs of them, the layer runs the dense sgemm products for that pass instead.
final class SparseInputProducts {
    /// The largest share of nonzero inputs for which the sparse products run (0.35). Measured on the
    /// AMD EPYC Zen 3 development machine, default model, batch 128, 1 thread: a training step took
    /// 4.93 ms with the sparse products on MNIST (19 % of pixels nonzero), 7.9 ms on Fashion-MNIST
    /// (50 %), and 6.6 ms with the dense ones on either; the lines cross at 36 %.
    static let densityLimit = 0.35
    /// The narrowest input the sparse products are used for (64): below it the dense product is cheap
    /// and the lists cost more than they save.
    static let minimumInputs = 64
    /// Outputs per block (64: four 16-float vectors of accumulators).
    static let blockWidth = 64

    let entries: NonzeroEntries
    /// The panel of this layer's own weight gradient.
    let scratch: SparseScratch

    /// Storage for a layer of `rows` × `inputs` inputs, or nil when the sparse products do not apply
    /// (too few inputs, or more entries than 32-bit indices reach).
    init?(rows: Int, inputs: Int) {
        guard inputs >= Self.minimumInputs, rows > 0 else { return nil }
        let (cells, overflow) = rows.multipliedReportingOverflow(by: inputs)
        guard !overflow, cells < Int(Int32.max) else { return nil }
        entries = NonzeroEntries(rows: rows, columns: inputs, capacity: Int(Self.densityLimit * Double(cells)))
        scratch = SparseScratch(rows: rows)
    }

    /// Y[m, out] = X · Wᵀ + b over the entries `entries.gatherRows` listed.
    ///
    /// Works on one block of 64 outputs and one tile of `NonzeroEntries.tileWidth` inputs at a time (64 KB
    /// of Wᵀ, which stays in the core's cache): every row adds its entries in the tile to its sums in Y.
    /// - Parameters: weight Wᵀ [in, out]; bias [out]; y [m, out] (overwritten).
    func forward(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outputs: Int, y: UnsafeMutablePointer<Float>) {
        let rows = entries.rows, tiles = entries.tileCount
        var first = 0
        while first < outputs {
            let width = min(Self.blockWidth, outputs - first)
            for r in 0..<rows { (y + r * outputs + first).update(from: bias + first, count: width) }
            // Wᵀ[j, first ..< first + width] starts at block + j · outputs.
            let block = weight + first
            for t in 0..<tiles {
                for r in 0..<rows {
                    let begin = Int(entries.tileStart[r * (tiles + 1) + t])
                    let end = Int(entries.tileStart[r * (tiles + 1) + t + 1])
                    if begin == end { continue }
                    let out = y + r * outputs + first
                    if width == Self.blockWidth {
                        var sums = Sums64(out)
                        sums.add(begin..<end, values: entries.rowValue, rows: entries.rowColumn, of: block, stride: outputs)
                        sums.store(out)
                    } else {
                        for c in Swift.stride(from: 0, to: width, by: 16) {
                            let count = min(16, width - c)
                            let sum = Self.sum(begin..<end, values: entries.rowValue, rows: entries.rowColumn,
                                               of: block + c, stride: outputs, lanes: count,
                                               startingAt: Self.loadPart(out + c, count: count))
                            Self.storePart(sum, out + c, count: count)
                        }
                    }
                }
            }
            first += width
        }
    }

    /// Rows `range` of dWᵀ[in, out] = Σ_p X_pᵀ · dZ_p (beta 0), or added to them (beta 1), over the
    /// listings (`entries.sortByColumn` done) of the parts whose last pass skipped zeros: the row blocks
    /// of one batch, each with its own X_p and dZ_p, as data-parallel workers hold them. Each input's
    /// sum runs over the parts in order, rows ascending within each, and is added to dWᵀ whole, so the
    /// result does not depend on which thread computes which range.
    /// - Parameters:
    ///   - parts: the layer's parts; those with `sparsePass` false are left out.
    ///   - range: the rows of dWᵀ (inputs) to compute.
    ///   - scratch: the executing thread's panel, made for at least Σ m_p rows.
    ///   - dW: the range's rows alone (row range.lowerBound at index 0).
    static func weightGradient(parts: [LinearWeightGradient], range: Range<Int>, beta: Float,
                               scratch: SparseScratch, dW: UnsafeMutablePointer<Float>) {
        guard let outputs = parts.first?.outputs else { return }
        // The skipping parts' listings as plain pointers, read in the inner loops without reference counting.
        withUnsafeTemporaryAllocation(of: ColumnListing.self, capacity: parts.count) { listings in
            var count = 0, sparseRows = 0
            for part in parts where part.sparsePass {
                let entries = part.sparse!.entries
                listings.initializeElement(at: count, to: ColumnListing(
                    start: entries.columnStart, row: entries.columnRow, value: entries.columnValue,
                    upstream: part.upstream, rows: part.rows, firstRow: sparseRows))
                count += 1
                sparseRows += part.rows
            }
            defer { _ = listings[0..<count].deinitialize() }
            precondition(sparseRows <= scratch.rows, "weightGradient: scratch for \(scratch.rows) rows, needs \(sparseRows)")
            weightGradient(listings: UnsafeBufferPointer(rebasing: listings[0..<count]), outputs: outputs,
                           range: range, beta: beta, panel: scratch.panel, dW: dW)
        }
    }

    /// One block's column listing and its dZ [rows, out], for the weight gradient's inner loops.
    struct ColumnListing {
        let start: UnsafePointer<Int32>
        let row: UnsafePointer<Int32>
        let value: UnsafePointer<Float>
        let upstream: UnsafePointer<Float>
        let rows: Int
        /// Where the block's rows start in the panel D.
        let firstRow: Int
    }

    /// For each block of 64 outputs: D = the blocks' rows one after another, that block's columns of
    /// dZ_p (a panel that stays in the core's first-level cache), then every input's sum over D.
    private static func weightGradient(listings: UnsafeBufferPointer<ColumnListing>, outputs: Int,
                                       range: Range<Int>, beta: Float, panel: UnsafeMutablePointer<Float>,
                                       dW: UnsafeMutablePointer<Float>) {
        var first = 0
        while first < outputs {
            let width = min(Self.blockWidth, outputs - first)
            let stride = (width + 15) & ~15
            for listing in listings {
                for r in 0..<listing.rows {
                    (panel + (listing.firstRow + r) * stride).update(from: listing.upstream + r * outputs + first, count: width)
                }
            }
            for j in range {
                let g = dW + (j - range.lowerBound) * outputs + first
                if width == Self.blockWidth {
                    var sums = Sums64()
                    for listing in listings {
                        sums.add(Int(listing.start[j])..<Int(listing.start[j + 1]), values: listing.value,
                                 rows: listing.row, of: panel + listing.firstRow * 64, stride: 64)
                    }
                    if beta == 0 { sums.store(g) } else { sums.add(to: g) }
                } else {
                    for c in Swift.stride(from: 0, to: width, by: 16) {
                        let count = min(16, width - c)
                        var sum = SIMD16<Float>()
                        for listing in listings {
                            sum = Self.sum(Int(listing.start[j])..<Int(listing.start[j + 1]), values: listing.value,
                                           rows: listing.row, of: panel + listing.firstRow * stride + c, stride: stride,
                                           lanes: 16, startingAt: sum)
                        }
                        if beta != 0 { sum += loadPart(g + c, count: count) }
                        storePart(sum, g + c, count: count)
                    }
                }
            }
            first += width
        }
    }

    /// `start` + Σ_e values[e] · matrix[rows[e] · stride ..< + lanes] over the entries e in `range`,
    /// added in that order, in the first `lanes` (1...16) lanes: the inner loop of both products on a
    /// block narrower than 64. A part vector reads its lanes one by one, so no read passes a row's end.
    @inline(__always)
    private static func sum(_ range: Range<Int>, values: UnsafePointer<Float>, rows: UnsafePointer<Int32>,
                            of matrix: UnsafePointer<Float>, stride: Int, lanes: Int,
                            startingAt start: SIMD16<Float>) -> SIMD16<Float> {
        var sum = start
        if lanes == 16 {
            for e in range {
                sum += SIMD16<Float>(repeating: values[e])
                    * UnsafeRawPointer(matrix + Int(rows[e]) &* stride).loadUnaligned(as: SIMD16<Float>.self)
            }
        } else {
            for e in range {
                let value = values[e], row = matrix + Int(rows[e]) &* stride
                for lane in 0..<lanes { sum[lane] += value * row[lane] }
            }
        }
        return sum
    }

    @inline(__always)
    private static func loadPart(_ p: UnsafeMutablePointer<Float>, count: Int) -> SIMD16<Float> {
        if count == 16 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
        var v = SIMD16<Float>()
        for lane in 0..<count { v[lane] = p[lane] }
        return v
    }

    @inline(__always)
    private static func storePart(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self); return }
        for lane in 0..<count { p[lane] = v[lane] }
    }
}

/// The nonzero entries of a row-major matrix X [rows, columns], listed by row and by column, rebuilt
/// from the dense values before every pass into storage made once for at most `capacity` entries.
final class NonzeroEntries {
    let rows: Int
    let columns: Int
    /// The most entries a listing may hold; `gatherRows` gives up beyond it.
    let capacity: Int
    /// Entries listed by the last `gatherRows`.
    private(set) var count = 0
    /// Row r's entries are rowStart[r] ..< rowStart[r + 1] of `rowColumn` and `rowValue`, columns ascending.
    let rowStart: UnsafeMutablePointer<Int32>
    let rowColumn: UnsafeMutablePointer<Int32>
    let rowValue: UnsafeMutablePointer<Float>
    /// Column j's entries are columnStart[j] ..< columnStart[j + 1] of `columnRow` and `columnValue`,
    /// rows ascending (filled by `sortByColumn`).
    let columnStart: UnsafeMutablePointer<Int32>
    let columnRow: UnsafeMutablePointer<Int32>
    let columnValue: UnsafeMutablePointer<Float>
    /// Inputs per tile of the forward pass (256: a tile of 256 inputs × 64 outputs is 64 KB, which stays
    /// in the second-level cache; on the Zen 3 development machine 128 and 256 ran the forward product
    /// of a [128 × 784] MNIST batch in 0.44 ms at the median, 64 in 0.49 ms).
    static let tileWidth = 256
    /// ⌈columns / tileWidth⌉.
    let tileCount: Int
    /// Row r's entries in tile t (columns t·64 ..< (t+1)·64) are tileStart[r·(tileCount+1) + t] ..<
    /// tileStart[r·(tileCount+1) + t + 1] (filled by `gatherRows`).
    let tileStart: UnsafeMutablePointer<Int32>
    /// Scratch of `columns` positions for the sort.
    private let cursor: UnsafeMutablePointer<Int32>

    init(rows: Int, columns: Int, capacity: Int) {
        self.rows = rows
        self.columns = columns
        self.capacity = capacity
        // 16 spare slots: a vector of 16 inputs is listed before the count is checked.
        let slots = capacity + 16
        rowStart = .allocate(capacity: rows + 1)
        rowStart.initialize(repeating: 0, count: rows + 1)
        rowColumn = .allocate(capacity: slots)
        rowValue = .allocate(capacity: slots)
        columnStart = .allocate(capacity: columns + 1)
        columnStart.initialize(repeating: 0, count: columns + 1)
        columnRow = .allocate(capacity: slots)
        columnValue = .allocate(capacity: slots)
        cursor = .allocate(capacity: columns)
        tileCount = (columns + Self.tileWidth - 1) / Self.tileWidth
        tileStart = .allocate(capacity: rows * (tileCount + 1))
        tileStart.initialize(repeating: 0, count: rows * (tileCount + 1))
    }

    deinit {
        rowStart.deallocate(); rowColumn.deallocate(); rowValue.deallocate()
        columnStart.deallocate(); columnRow.deallocate(); columnValue.deallocate(); cursor.deallocate()
        tileStart.deallocate()
    }

    /// Lists the nonzero entries of `x` [rows, columns] by row. Returns false when there are more than
    /// `capacity` (the listing is then unusable). NaN counts as nonzero; ±0 is skipped.
    func gatherRows(_ x: UnsafePointer<Float>) -> Bool {
        // A counting pass first (no writes), so that dense data costs one quick read.
        guard Self.countNonzero(x, rows * columns) <= capacity else { return false }
        let laneBits = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
        var n = 0
        rowStart[0] = 0
        for r in 0..<rows {
            let row = x + r * columns
            let tiles = tileStart + r * (tileCount + 1)
            var j = 0
            while j + 16 <= columns {
                if j % Self.tileWidth == 0 { tiles[j / Self.tileWidth] = Int32(truncatingIfNeeded: n) }
                let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD16<Float>.self)
                // One bit per nonzero lane, then one entry per set bit (ascending).
                var mask = SIMD16<UInt32>().replacing(with: laneBits, where: v .!= 0).wrappedSum()
                if mask != 0 {
                    while mask != 0 {
                        let lane = mask.trailingZeroBitCount
                        rowColumn[n] = Int32(truncatingIfNeeded: j + lane)
                        rowValue[n] = row[j + lane]
                        n &+= 1
                        mask &= mask &- 1
                    }
                    if n > capacity { return false }
                }
                j += 16
            }
            while j < columns {
                if j % Self.tileWidth == 0 { tiles[j / Self.tileWidth] = Int32(truncatingIfNeeded: n) }
                let value = row[j]
                if value != 0 {
                    if n == capacity { return false }
                    rowColumn[n] = Int32(truncatingIfNeeded: j)
                    rowValue[n] = value
                    n += 1
                }
                j += 1
            }
            rowStart[r + 1] = Int32(truncatingIfNeeded: n)
            tiles[tileCount] = Int32(truncatingIfNeeded: n)
        }
        count = n
        return true
    }

    /// How many of the `count` floats at `x` are nonzero (NaN counts; ±0 does not).
    static func countNonzero(_ x: UnsafePointer<Float>, _ count: Int) -> Int {
        var lanes = SIMD16<Int32>()
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            lanes &+= SIMD16<Int32>().replacing(with: 1, where: v .!= 0)
            i += 16
        }
        var total = Int(lanes.wrappedSum())
        while i < count {
            if x[i] != 0 { total += 1 }
            i += 1
        }
        return total
    }

    /// Lists the entries `gatherRows` found by column (a counting sort; rows ascending in each column).
    func sortByColumn() {
        columnStart.update(repeating: 0, count: columns + 1)
        for e in 0..<count { columnStart[Int(rowColumn[e]) + 1] &+= 1 }
        for j in 0..<columns { columnStart[j + 1] &+= columnStart[j] }
        cursor.update(from: columnStart, count: columns)
        for r in 0..<rows {
            let row = Int32(truncatingIfNeeded: r)
            for e in Int(rowStart[r])..<Int(rowStart[r + 1]) {
                let j = Int(rowColumn[e])
                let slot = Int(cursor[j])
                columnRow[slot] = row
                columnValue[slot] = rowValue[e]
                cursor[j] = Int32(truncatingIfNeeded: slot + 1)
            }
        }
    }
}

/// The weight gradient's panel D [rows, 64] (a block's columns of dZ). Each thread computing sparse
/// weight gradients at the same time needs its own.
public final class SparseScratch: @unchecked Sendable {
    let panel: UnsafeMutablePointer<Float>
    let rows: Int

    /// A panel for up to `rows` rows of dZ.
    public init(rows: Int) {
        self.rows = max(rows, 1)
        panel = allocateAligned(floats: self.rows * SparseInputProducts.blockWidth)
        panel.initialize(repeating: 0, count: self.rows * SparseInputProducts.blockWidth)
    }

    deinit { panel.deallocate() }
}

/// Four 16-float sums held in registers: the 64 outputs of a block, to which both products add 64-float
/// parts of a matrix's rows.
struct Sums64 {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()

    init() {}

    /// The 64 floats at `p`.
    @inline(__always)
    init(_ p: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(p)
        a0 = raw.loadUnaligned(as: SIMD16<Float>.self)
        a1 = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        a2 = raw.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
        a3 = raw.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
    }

    /// Adds values[e] · matrix[rows[e] · stride ..< + 64] for every entry e in `range`, in that order.
    @inline(__always)
    mutating func add(_ range: Range<Int>, values: UnsafePointer<Float>, rows: UnsafePointer<Int32>,
                      of matrix: UnsafePointer<Float>, stride: Int) {
        for e in range {
            let v = SIMD16<Float>(repeating: values[e])
            let p = UnsafeRawPointer(matrix + Int(rows[e]) &* stride)
            a0 += v * p.loadUnaligned(as: SIMD16<Float>.self)
            a1 += v * p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            a2 += v * p.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
            a3 += v * p.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
        }
    }

    /// Writes the 64 sums to `p`.
    @inline(__always)
    func store(_ p: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: a0, as: SIMD16<Float>.self)
        raw.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
        raw.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self)
        raw.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self)
    }

    /// Adds the 64 sums to the floats at `p`: p[i] = p[i] + sum[i].
    @inline(__always)
    func add(to p: UnsafeMutablePointer<Float>) {
        var total = Sums64(p)
        total.a0 += a0; total.a1 += a1; total.a2 += a2; total.a3 += a3
        total.store(p)
    }
}
