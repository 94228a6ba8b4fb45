import SeededRandom
import TensorCore
import Testing

/// A linear layer's weight and bias gradients left by the backward pass (`Tape.defersWeightGradients`)
/// and summed over several workers' row blocks, a range of the stored weight's rows and of the bias at
/// a time (`LinearWeightGradient.compute`, `computeBias`), against the textbook sums in Double and the
/// ordinary backward pass. The weight is stored [in, out], as a layer over data keeps it.
@Suite("deferred weight gradients sum the row blocks of a batch, a range of rows at a time")
struct DeferredWeightGradientTests {
    /// One worker's block: its rows of the data, its tape and the deferred gradient it leaves.
    struct Block {
        let x: Tensor
        let upstream: [Float]
        let tape: Tape
        let output: Tensor
        let gradient: LinearWeightGradient
    }

    /// Records `linear` over rows `rows` of `x` on a tape of its own that defers weight gradients, runs
    /// forward and backward seeded with those rows of `upstream`, and returns the block.
    static func block(of x: Tensor, rows: Range<Int>, upstream: [Float], weight: Tensor, bias: Tensor) -> Block {
        let inputs = x.shape[1], outputs = weight.shape[1]
        let part = Tensor(shape: [rows.count, inputs])
        part.data.update(from: x.data + rows.lowerBound * inputs, count: rows.count * inputs)
        let tape = Tape(skipsZeroInputs: true, defersWeightGradients: true)
        let y = tape.linear(part, weight: weight, bias: bias, layout: .inputsByOutputs, activation: .relu)
        #expect(tape.weightGradients[0].skipsZeroInputs, "the layer has its zero-skipping products")
        tape.forward()
        let seed = Array(upstream[(rows.lowerBound * outputs)..<(rows.upperBound * outputs)])
        seed.withUnsafeBufferPointer { tape.backward(from: y, seed: $0.baseAddress!) }
        return Block(x: part, upstream: seed, tape: tape, output: y, gradient: tape.weightGradients[0])
    }

    /// dWᵀ = Xᵀ · dZ (laid out [in, out]) and db = Σ_rows dZ with dZ = dY ⊙ [Y > 0], by the textbook
    /// loops in Double, over every block.
    static func naive(_ blocks: [Block], outputs: Int) -> (dW: [Double], db: [Double]) {
        let inputs = blocks[0].x.shape[1]
        var dW = [Double](repeating: 0, count: outputs * inputs), db = [Double](repeating: 0, count: outputs)
        for block in blocks {
            for r in 0..<block.x.shape[0] {
                for o in 0..<outputs where block.output.data[r * outputs + o] > 0 {
                    let dz = Double(block.upstream[r * outputs + o])
                    db[o] += dz
                    for j in 0..<inputs { dW[j * outputs + o] += dz * Double(block.x.data[r * inputs + j]) }
                }
            }
        }
        return (dW, db)
    }

    /// A [rows, columns] input whose rows `denseRows` are about 70 % nonzero and the others 15 %.
    static func input(rows: Int, columns: Int, denseRows: Range<Int>, seed: UInt64) -> Tensor {
        let x = Tensor(shape: [rows, columns])
        for r in 0..<rows {
            let row = SparseInputTests.sparseInput(rows: 1, columns: columns, density: denseRows.contains(r) ? 0.7 : 0.15,
                                                   seed: seed &+ UInt64(r))
            (x.data + r * columns).update(from: row.data, count: columns)
        }
        return x
    }

    static func parameter(_ shape: [Int], seed: UInt64) -> Tensor { SparseInputTests.parameter(shape, seed: seed) }

    @Test("three blocks, sparse and dense ones, summed over uneven ranges of rows, match the textbook sums",
          arguments: [0..<0, 37..<70, 0..<100])
    func blocksAndRanges(denseRows: Range<Int>) {
        // 100 rows in blocks of 37, 33 and 30; 150 inputs in uneven ranges of the weight's rows; 130
        // outputs (two 64-output blocks and a part vector of 2) in uneven ranges of the bias. The rows in
        // `denseRows` are too dense to skip zeros, so their blocks run sgemm: none, the middle block, or
        // all three.
        let rows = 100, inputs = 150, outputs = 130
        let x = Self.input(rows: rows, columns: inputs, denseRows: denseRows, seed: 4)
        let weight = Self.parameter([inputs, outputs], seed: 5), bias = Self.parameter([outputs], seed: 6)
        var g = SeededGenerator(seed: 7)
        var upstream = [Float](repeating: 0, count: rows * outputs)
        upstream.withUnsafeMutableBufferPointer { g.fillUniform($0, low: -1, high: 1) }
        weight.gradData!.update(repeating: 7, count: weight.count)
        bias.gradData!.update(repeating: 7, count: bias.count)
        let blocks = [0..<37, 37..<70, 70..<100].map {
            Self.block(of: x, rows: $0, upstream: upstream, weight: weight, bias: bias)
        }
        let untouched = UnsafeBufferPointer(start: weight.gradData, count: weight.count).allSatisfy { $0 == 7 }
            && UnsafeBufferPointer(start: bias.gradData, count: bias.count).allSatisfy { $0 == 7 }
        #expect(untouched, "the backward passes left dW and db alone")
        var dW = [Float](repeating: .nan, count: outputs * inputs), db = [Float](repeating: .nan, count: outputs)
        let scratch = SparseScratch(rows: rows)
        // Each range into a buffer of its own, as the trainer's update does, with one guard value after it.
        for range in [0..<50, 50..<64, 64..<149, 149..<150] {
            var piece = [Float](repeating: .nan, count: range.count * outputs + 1)
            piece.withUnsafeMutableBufferPointer { w in
                LinearWeightGradient.compute(blocks.map(\.gradient), rows: range, scratch: scratch, weightGradient: w.baseAddress!)
            }
            #expect(piece.last!.isNaN, "rows \(range): nothing written after the range's rows")
            dW.replaceSubrange(range.lowerBound * outputs ..< range.upperBound * outputs, with: piece.dropLast())
        }
        for range in [0..<50, 50..<64, 64..<129, 129..<130] {
            var piece = [Float](repeating: .nan, count: range.count + 1)
            piece.withUnsafeMutableBufferPointer { b in
                LinearWeightGradient.computeBias(blocks.map(\.gradient), outputs: range, biasGradient: b.baseAddress!)
            }
            #expect(piece.last!.isNaN, "outputs \(range): nothing written after the range's entries")
            db.replaceSubrange(range, with: piece.dropLast())
        }
        let expected = Self.naive(blocks, outputs: outputs)
        let largest = expected.dW.map(abs).max()!
        let worst = zip(dW, expected.dW).map { abs(Double($0) - $1) }.max()!
        #expect(worst <= 1e-5 * largest, "worst dW difference \(worst), largest \(largest)")
        let worstBias = zip(db, expected.db).map { abs(Double($0) - $1) }.max()!
        #expect(worstBias <= 1e-5 * expected.db.map(abs).max()!, "worst db difference \(worstBias)")
    }

    @Test("one block over every row is bit-identical to the backward pass's own gradients",
          arguments: [false, true])
    func oneBlockMatchesBackward(dense: Bool) {
        let rows = 64, inputs = 200, outputs = 90
        let x = Self.input(rows: rows, columns: inputs, denseRows: dense ? 0..<rows : 0..<0, seed: 8)
        let weight = Self.parameter([inputs, outputs], seed: 9), bias = Self.parameter([outputs], seed: 10)
        var g = SeededGenerator(seed: 11)
        var upstream = [Float](repeating: 0, count: rows * outputs)
        upstream.withUnsafeMutableBufferPointer { g.fillUniform($0, low: -1, high: 1) }
        let block = Self.block(of: x, rows: 0..<rows, upstream: upstream, weight: weight, bias: bias)
        var dW = [Float](repeating: .nan, count: outputs * inputs), db = [Float](repeating: .nan, count: outputs)
        dW.withUnsafeMutableBufferPointer { w in
            LinearWeightGradient.compute([block.gradient], rows: 0..<inputs, scratch: SparseScratch(rows: rows),
                                         weightGradient: w.baseAddress!)
        }
        db.withUnsafeMutableBufferPointer { b in
            LinearWeightGradient.computeBias([block.gradient], outputs: 0..<outputs, biasGradient: b.baseAddress!)
        }
        // The same layer on an ordinary tape.
        let tape = Tape(skipsZeroInputs: true)
        let y = tape.linear(block.x, weight: weight, bias: bias, layout: .inputsByOutputs, activation: .relu)
        weight.zeroGrad(); bias.zeroGrad()
        tape.forward()
        upstream.withUnsafeBufferPointer { tape.backward(from: y, seed: $0.baseAddress!) }
        #expect(tape.weightGradients.isEmpty)
        let sameWeights = dW == weight.gradient!
        #expect(sameWeights)
        #expect(db == bias.gradient!)
    }
}
