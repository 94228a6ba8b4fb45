import SeededRandom
import TensorCore
import Testing

/// The zero-skipping products of a linear layer over data (`SparseInputProducts`, weight stored
/// [in, out]) against the textbook loops in Double, and against the dense sgemm path.
@Suite("linear over sparse data skips the zeros and matches the dense products")
struct SparseInputTests {
    /// A [rows, columns] input with about `density` of its entries nonzero, in (0, 1] like pixels.
    static func sparseInput(rows: Int, columns: Int, density: Float, seed: UInt64) -> Tensor {
        let x = Tensor(shape: [rows, columns])
        var g = SeededGenerator(seed: seed)
        for i in 0..<x.count {
            let keep = g.nextUniformFloat() < density
            let value = g.nextUniformFloat()
            x.data[i] = keep ? max(value, 0x1p-8) : 0
        }
        return x
    }

    static func parameter(_ shape: [Int], seed: UInt64) -> Tensor {
        let t = Tensor(shape: shape, requiresGrad: true)
        var g = SeededGenerator(seed: seed)
        g.fillUniform(t.buffer, low: -1, high: 1)
        return t
    }

    /// A layer's data, weight (stored [in, out]) and bias for one test.
    struct Layer {
        let x: Tensor, weight: Tensor, bias: Tensor
    }

    /// Data of `rows` × `inputs` with about `density` nonzero, and a random weight and bias of
    /// `outputs`, all from `seed`.
    static func layer(rows: Int, inputs: Int, outputs: Int, density: Float, seed: UInt64) -> Layer {
        Layer(x: sparseInput(rows: rows, columns: inputs, density: density, seed: seed),
              weight: parameter([inputs, outputs], seed: seed + 1), bias: parameter([outputs], seed: seed + 2))
    }

    /// `run` on a `Layer`, with every upstream gradient `upstream`.
    static func run(_ layer: Layer, upstream: Float, skipping: Bool, twice: Bool = false) -> LayerResult {
        let count = layer.x.shape[0] * layer.weight.shape[1]
        return run(x: layer.x, weight: layer.weight, bias: layer.bias,
                   upstream: [Float](repeating: upstream, count: count), skipping: skipping, twice: twice)
    }

    struct LayerResult {
        let output: [Float]
        let weightGradient: [Float]
        let biasGradient: [Float]
    }

    /// One forward and backward pass of `linear` (identity activation, weight stored [in, out]) seeded
    /// with `upstream`, on a tape that does or does not skip zero inputs.
    static func run(x: Tensor, weight: Tensor, bias: Tensor, upstream: [Float], skipping: Bool,
                    twice: Bool = false) -> LayerResult {
        let tape = Tape(skipsZeroInputs: skipping)
        var y = tape.linear(x, weight: weight, bias: bias, layout: .inputsByOutputs)
        if twice { y = tape.add(y, tape.linear(x, weight: weight, bias: bias, layout: .inputsByOutputs)) }
        weight.zeroGrad(); bias.zeroGrad()
        tape.forward()
        upstream.withUnsafeBufferPointer { tape.backward(from: y, seed: $0.baseAddress!) }
        return LayerResult(output: y.values, weightGradient: weight.gradient!, biasGradient: bias.gradient!)
    }

    /// Y = X · Wᵀ + b and dWᵀ = Xᵀ · dY by the textbook loops, in Double, with Wᵀ stored [in, out].
    static func naive(x: Tensor, weight: Tensor, bias: Tensor, upstream: [Float]) -> (y: [Double], dW: [Double]) {
        let m = x.shape[0], n = x.shape[1], out = weight.shape[1]
        var y = [Double](repeating: 0, count: m * out), dW = [Double](repeating: 0, count: n * out)
        for r in 0..<m {
            for o in 0..<out {
                var s = Double(bias.data[o])
                for j in 0..<n { s += Double(x.data[r * n + j]) * Double(weight.data[j * out + o]) }
                y[r * out + o] = s
                for j in 0..<n { dW[j * out + o] += Double(upstream[r * out + o]) * Double(x.data[r * n + j]) }
            }
        }
        return (y, dW)
    }

    static func worst(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
    }

    /// Shapes: a full 64-output block, 16-wide and ragged last blocks, inputs not a multiple of 16, a
    /// tile of inputs starting in the last partial vector (260, 270 inputs), one row, the encoder's own
    /// [128 × 784] → 400.
    @Test("forward and weight gradient match the naive loops", arguments: [
        (5, 100, 85), (1, 64, 64), (7, 77, 3), (3, 130, 150), (128, 784, 400), (2, 64, 17), (4, 260, 70), (3, 270, 33),
    ])
    func matchesNaive(shape: (Int, Int, Int)) {
        let (m, n, out) = shape
        let x = Self.sparseInput(rows: m, columns: n, density: 0.2, seed: UInt64(m * 1000 + n))
        let w = Self.parameter([n, out], seed: 2), b = Self.parameter([out], seed: 3)
        var g = SeededGenerator(seed: 4)
        var upstream = [Float](repeating: 0, count: m * out)
        upstream.withUnsafeMutableBufferPointer { g.fillUniform($0, low: -1, high: 1) }
        let result = Self.run(x: x, weight: w, bias: b, upstream: upstream, skipping: true)
        let expected = Self.naive(x: x, weight: w, bias: b, upstream: upstream)
        // Float sums of at most n (forward) or m (gradient) products of magnitude ≤ 1.
        #expect(Self.worst(result.output, expected.y) <= Double(n) * 1.2e-7 + 1e-6)
        #expect(Self.worst(result.weightGradient, expected.dW) <= Double(m) * 1.2e-7 + 1e-6)
        // The bias gradient is the column sums of dY whichever path ran.
        for o in 0..<out {
            let sum = (0..<m).reduce(0.0) { $0 + Double(upstream[$1 * out + o]) }
            #expect(abs(Double(result.biasGradient[o]) - sum) <= Double(m) * 1.2e-7 + 1e-6)
        }
    }

    @Test("a second contribution to the weight gradient adds to the first")
    func accumulates() {
        let layer = Self.layer(rows: 6, inputs: 96, outputs: 70, density: 0.25, seed: 11)
        let twice = Self.run(layer, upstream: 0.5, skipping: true, twice: true)
        let dense = Self.run(layer, upstream: 0.5, skipping: false, twice: true)
        #expect(Self.worst(twice.weightGradient, dense.weightGradient.map(Double.init)) <= 1e-5)
        #expect(Self.worst(twice.output, dense.output.map(Double.init)) <= 1e-4)
    }

    @Test("above the density limit the dense products run: the same bytes as a tape that never skips")
    func denseAboveLimit() {
        let layer = Self.layer(rows: 16, inputs: 128, outputs: 40, density: 0.6, seed: 21)
        let skipping = Self.run(layer, upstream: 1, skipping: true)
        let dense = Self.run(layer, upstream: 1, skipping: false)
        #expect(skipping.output == dense.output)
        #expect(skipping.weightGradient == dense.weightGradient)
    }

    @Test("a pass switches between sparse and dense as the input changes, and an all-zero input gives b")
    func switchesPerPass() {
        let m = 8, n = 128, out = 20
        let x = Tensor(shape: [m, n])
        let w = Self.parameter([n, out], seed: 31), b = Self.parameter([out], seed: 32)
        let tape = Tape()
        let y = tape.linear(x, weight: w, bias: b, layout: .inputsByOutputs)
        #expect(y.values == (0..<m).flatMap { _ in b.values })
        for (density, seed) in [(Float(0.1), UInt64(33)), (0.9, 34), (0.1, 35)] {
            let next = Self.sparseInput(rows: m, columns: n, density: density, seed: seed)
            x.data.update(from: next.data, count: x.count)
            tape.forward()
            let expected = Self.naive(x: x, weight: w, bias: b, upstream: [Float](repeating: 0, count: m * out)).y
            #expect(Self.worst(y.values, expected) <= 1e-4, "density \(density)")
        }
    }

    @Test("NaN in the data reaches the output, as it does through sgemm")
    func nanPropagates() {
        let x = Self.sparseInput(rows: 4, columns: 80, density: 0.1, seed: 41)
        x.data[2 * 80 + 5] = .nan
        let w = Self.parameter([80, 30], seed: 42), b = Self.parameter([30], seed: 43)
        let y = Tape().linear(x, weight: w, bias: b, layout: .inputsByOutputs).values
        #expect((0..<30).allSatisfy { y[2 * 30 + $0].isNaN })
        #expect(y[0..<30].allSatisfy { $0.isFinite })
    }

    @Test("the same input gives the same bytes every pass")
    func deterministic() {
        let layer = Self.layer(rows: 32, inputs: 784, outputs: 400, density: 0.19, seed: 51)
        let first = Self.run(layer, upstream: 0.25, skipping: true)
        let second = Self.run(layer, upstream: 0.25, skipping: true)
        #expect(first.output == second.output && first.weightGradient == second.weightGradient)
    }
}
