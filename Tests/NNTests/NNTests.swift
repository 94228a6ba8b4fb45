import Foundation
import NN
import SeededRandom
import TensorCore
import Testing

@Suite("Linear layer")
struct LinearTests {
    @Test("PyTorch default initialisation: uniform in ±1/√in for weight and bias")
    func initialisation() {
        var g = SeededGenerator(seed: 5)
        let layer = Linear(inputSize: 400, outputSize: 300, name: "encoder.0", generator: &g)
        let bound: Float = 1 / 20
        let w = layer.weight.values
        #expect(layer.weight.shape == [300, 400] && layer.bias.shape == [300])
        #expect(layer.weight.name == "encoder.0.weight" && layer.bias.name == "encoder.0.bias")
        #expect(w.allSatisfy { abs($0) <= bound })
        #expect(layer.bias.values.allSatisfy { abs($0) <= bound })
        // Uniform on [−b, b]: mean 0, variance b²/3, and values close to both ends.
        let mean = w.reduce(0.0) { $0 + Double($1) } / Double(w.count)
        let variance = w.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(w.count)
        #expect(abs(mean) < 2e-4)
        #expect(abs(variance / (Double(bound * bound) / 3) - 1) < 0.01)
        #expect(w.max()! > 0.99 * bound && w.min()! < -0.99 * bound)
    }

    @Test("forward computes x · Wᵀ + b")
    func forward() {
        let layer = Linear(weight: Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 1], requiresGrad: true),
                           bias: Tensor(shape: [2], values: [0.5, -0.5], requiresGrad: true))
        let x = Tensor(shape: [2, 3], values: [1, 1, 1, 2, 0, -1])
        #expect(layer(x, on: Tape()).values == [6.5, -0.5, -0.5, -3.5])
        #expect(layer(x, on: Tape(), activation: .relu).values == [6.5, 0, 0, 0])
    }

    @Test("a weight stored [in, out] is the same PyTorch layer: initial values, output and gradients in [out, in]",
          arguments: [false, true])
    func transposedLayout(sparseData: Bool) {
        var g1 = SeededGenerator(seed: 12), g2 = SeededGenerator(seed: 12)
        let plain = Linear(inputSize: 100, outputSize: 70, name: "encoder.0", generator: &g1)
        let stored = Linear(inputSize: 100, outputSize: 70, name: "encoder.0", layout: .inputsByOutputs, generator: &g2)
        #expect(stored.weight.shape == [100, 70] && stored.referenceWeightShape == [70, 100])
        let reference = stored.referenceParameters[0]
        #expect(reference.shape == [70, 100] && !reference.isStoredAsReference)
        #expect(reference.referenceValues == plain.weight.values, "the same draws, in [out, in]")
        #expect(stored.weight.values != plain.weight.values, "stored transposed")
        #expect(stored.weight[0, 1] == plain.weight[1, 0])
        // Data like pixels (mostly zero, so the transposed layer may skip zeros) or dense.
        let x = Tensor(shape: [6, 100])
        var g = SeededGenerator(seed: 13)
        for i in 0..<x.count { x.data[i] = sparseData ? (g.nextUniformFloat() < 0.2 ? g.nextUniformFloat() : 0) : g.nextUniformFloat() - 0.5 }
        func pass(_ layer: Linear) -> (output: [Float], weightGradient: [Float], biasGradient: [Float]) {
            let tape = Tape()
            let y = layer(x, on: tape, activation: .tanh)
            layer.weight.zeroGrad(); layer.bias.zeroGrad()
            tape.backward(from: tape.sum(y))
            return (y.values, layer.referenceParameters[0].referenceGradient!, layer.bias.gradient!)
        }
        let a = pass(plain), b = pass(stored)
        #expect(zip(a.output, b.output).allSatisfy { abs($0 - $1) <= 1e-5 })
        #expect(zip(a.weightGradient, b.weightGradient).allSatisfy { abs($0 - $1) <= 1e-5 })
        #expect(zip(a.biasGradient, b.biasGradient).allSatisfy { abs($0 - $1) <= 1e-5 })
        // Setting reference values and reading them back is the identity.
        let values = (0..<7000).map { Float($0) }
        reference.setReferenceValues(values)
        #expect(reference.referenceValues == values && stored.weight[3, 2] == values[2 * 100 + 3])
    }
}

@Suite("Adam")
struct AdamTests {
    /// PyTorch's Adam update written out in Double, for comparison.
    static func reference(theta: Double, gradients: [Double], lr: Double = 1e-3, b1: Double = 0.9,
                          b2: Double = 0.999, eps: Double = 1e-8) -> [Double] {
        var theta = theta, m = 0.0, v = 0.0
        var trajectory: [Double] = []
        for (index, g) in gradients.enumerated() {
            let t = Double(index + 1)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            let denominator = v.squareRoot() / (1 - pow(b2, t)).squareRoot() + eps
            theta -= lr / (1 - pow(b1, t)) * m / denominator
            trajectory.append(theta)
        }
        return trajectory
    }

    @Test("five steps match the PyTorch formula, with bias correction")
    func matchesFormula() {
        let p = Tensor(shape: [3], values: [0.5, -1, 2], requiresGrad: true)
        let adam = Adam(parameters: [p], settings: .init(learningRate: 0.01))
        let gradients: [[Float]] = [[1, -2, 0.001], [0.5, -1, 0], [-3, 4, 1e-6], [2, 2, 2], [0, 0, -5]]
        var trajectory: [[Float]] = []
        for g in gradients {
            p.zeroGrad()
            let tape = Tape()
            let seed = Tensor(shape: [3], values: g)
            let loss = tape.sum(tape.multiply(p, seed))  // d loss / dp = g
            tape.backward(from: loss)
            adam.update()
            trajectory.append(p.values)
        }
        #expect(adam.step == 5)
        for (index, start) in [0.5, -1.0, 2.0].enumerated() {
            let expected = Self.reference(theta: start, gradients: gradients.map { Double($0[index]) }, lr: 0.01)
            for (step, value) in expected.enumerated() {
                #expect(abs(Double(trajectory[step][index]) - value) < 1e-6, "element \(index) step \(step + 1)")
            }
        }
        // The first step moves every parameter with a nonzero gradient by about lr, against the gradient.
        #expect(abs(Double(trajectory[0][0]) - (0.5 - 0.01)) < 1e-6)
    }

    @Test("updates of ranges that cover a vector give the same bytes as one update, and touch nothing else")
    func rangeUpdates() {
        let count = 37  // ranges that start and end inside SIMD blocks, and tails
        var g = SeededGenerator(seed: 4)
        func random() -> [Float] { (0..<count).map { _ in g.nextUniformFloat() - 0.5 } }
        let start = random(), gradient = random()
        let a = Tensor(shape: [count], values: start, requiresGrad: true)
        let b = Tensor(shape: [count], values: start, requiresGrad: true)
        let adamA = Adam(parameters: [a]), adamB = Adam(parameters: [b])
        gradient.withUnsafeBufferPointer { p in
            for _ in 0..<3 {
                let c = adamA.beginStep()
                for range in [0..<5, 5..<21, 21..<36, 36..<37] {
                    adamA.update(range: range, values: a.data + range.lowerBound, gradients: p.baseAddress! + range.lowerBound,
                                  coefficients: c)
                }
                adamB.update(range: 0..<count, values: b.data, gradients: p.baseAddress!, coefficients: adamB.beginStep())
            }
            #expect(a.values == b.values)
            #expect(a.values != start)
            // One more step on the middle range alone: the rest stays put.
            let before = a.values
            adamA.update(range: 5..<21, values: a.data + 5, gradients: p.baseAddress! + 5, coefficients: adamA.beginStep())
            let after = a.values
            #expect(Array(after[0..<5]) == Array(before[0..<5]) && Array(after[21...]) == Array(before[21...]))
            #expect(Array(after[5..<21]) != Array(before[5..<21]))
        }
    }

    @Test("a parameter without a gradient is not moved")
    func skipsMissingGradients() {
        let p = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        let adam = Adam(parameters: [p])
        adam.update()
        #expect(p.values == [1, 2])
    }
}

@Suite("MLP")
struct MLPTests {
    @Test("layers are named prefix.K, chain their sizes, and compute the composition")
    func composition() {
        var g = SeededGenerator(seed: 9)
        let mlp = MLP(inputSize: 5, widths: [4, 3], activation: .tanh, namePrefix: "encoder", generator: &g)
        #expect(mlp.parameters.map(\.name) == ["encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias"])
        #expect(mlp.parameters.map(\.shape) == [[4, 5], [4], [3, 4], [3]])
        #expect(mlp.outputSize(inputSize: 5) == 3)
        let x = Tensor(shape: [2, 5], values: (0..<10).map { Float($0) / 10 - 0.5 })
        let y = mlp(x, on: Tape())
        // By hand: tanh(tanh(x W0ᵀ + b0) W1ᵀ + b1).
        func layer(_ input: [Float], _ l: Linear) -> [Float] {
            let rows = input.count / l.inputSize
            var out = [Float](repeating: 0, count: rows * l.outputSize)
            for r in 0..<rows {
                for o in 0..<l.outputSize {
                    var s = l.bias[o]
                    for i in 0..<l.inputSize { s += input[r * l.inputSize + i] * l.weight[o, i] }
                    out[r * l.outputSize + o] = Foundation.tanh(s)
                }
            }
            return out
        }
        let expected = layer(layer(x.values, mlp.layers[0]), mlp.layers[1])
        #expect(zip(y.values, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
