import Testing
import TensorCore

/// Every op's backward against central differences (see `GradientCheck` for the tolerance).
@Suite("Gradients of every op match central differences")
struct OpGradientTests {
    func expectGradients(_ inputs: [Tensor], _ build: (Tape, [Tensor]) -> Tensor,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let result = GradientCheck.run(inputs, build: build)
        #expect(result.checked == inputs.filter(\.requiresGrad).reduce(0) { $0 + $1.count }, sourceLocation: sourceLocation)
        #expect(result.mismatches.isEmpty, "\(result.mismatches.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test("matmul, all four transpose combinations, odd shapes and one-row products",
          arguments: [(false, false), (true, false), (false, true), (true, true)], [(1, 3, 5), (4, 7, 3), (5, 1, 2)])
    func matmul(transposes: (Bool, Bool), sizes: (Int, Int, Int)) {
        let (ta, tb) = transposes
        let (m, k, n) = sizes
        let a = GradientCheck.tensor(ta ? [k, m] : [m, k], seed: 1)
        let b = GradientCheck.tensor(tb ? [n, k] : [k, n], seed: 2)
        expectGradients([a, b]) { tape, x in tape.matmul(x[0], x[1], transposeA: ta, transposeB: tb) }
    }

    @Test("linear with each activation", arguments: Activation.allCases)
    func linear(_ activation: Activation) {
        // Inputs whose pre-activations all stay 0.1 away from the relu kink (a perturbation of one
        // input by h moves a pre-activation by at most h · Σ|w| < 0.04): the first such seed.
        var seed: UInt64 = 0
        var x, w, b: Tensor
        repeat {
            seed += 1
            x = GradientCheck.tensor([3, 5], seed: seed * 3)
            w = GradientCheck.tensor([4, 5], low: -0.5, high: 0.5, seed: seed * 3 + 1)
            b = GradientCheck.tensor([4], seed: seed * 3 + 2)
        } while !Tape().linear(x, weight: w, bias: b).values.allSatisfy { abs($0) > 0.1 }
        expectGradients([x, w, b]) { tape, t in tape.linear(t[0], weight: t[1], bias: t[2], activation: activation) }
    }

    @Test("linear skips the input gradient when the input needs none")
    func linearNoInputGradient() {
        let x = GradientCheck.tensor([2, 3], seed: 6, requiresGrad: false)
        let w = GradientCheck.tensor([2, 3], seed: 7)
        let b = GradientCheck.tensor([2], seed: 8)
        expectGradients([x, w, b]) { tape, t in tape.linear(t[0], weight: t[1], bias: t[2], activation: .tanh) }
        #expect(x.gradData == nil)
    }

    @Test("add with row broadcast (bias)")
    func addRowBroadcast() {
        expectGradients([GradientCheck.tensor([3, 4], seed: 9), GradientCheck.tensor([4], seed: 10)]) { tape, t in
            tape.addRowBroadcast(t[0], t[1])
        }
    }

    @Test("elementwise add, subtract, multiply, scale")
    func binary() {
        let a = GradientCheck.tensor([2, 3], seed: 11), b = GradientCheck.tensor([2, 3], seed: 12)
        expectGradients([a, b]) { tape, t in tape.add(t[0], t[1]) }
        expectGradients([a, b]) { tape, t in tape.subtract(t[0], t[1]) }
        expectGradients([a, b]) { tape, t in tape.multiply(t[0], t[1]) }
        expectGradients([a]) { tape, t in tape.scale(t[0], by: -1.75) }
    }

    @Test("the same tensor used twice accumulates both contributions")
    func reuse() {
        let a = GradientCheck.tensor([3, 2], seed: 13)
        expectGradients([a]) { tape, t in tape.multiply(t[0], t[0]) }
        expectGradients([a]) { tape, t in tape.add(tape.exp(t[0]), tape.scale(t[0], by: 3)) }
    }

    @Test("exp and log")
    func expLog() {
        expectGradients([GradientCheck.tensor([2, 4], low: -3, high: 3, seed: 14)]) { tape, t in tape.exp(t[0]) }
        expectGradients([GradientCheck.tensor([2, 4], low: 0.5, high: 4, seed: 15)]) { tape, t in tape.log(t[0]) }
    }

    @Test("relu, leaky relu, tanh, sigmoid as standalone ops")
    func activations() {
        let x = GradientCheck.tensor([3, 5], low: -4, high: 4, avoid: [0], gap: 0.05, seed: 16)
        expectGradients([x]) { tape, t in tape.relu(t[0]) }
        expectGradients([x]) { tape, t in tape.leakyRelu(t[0]) }
        expectGradients([x]) { tape, t in tape.tanh(t[0]) }
        expectGradients([x]) { tape, t in tape.sigmoid(t[0]) }
    }

    @Test("sum and mean, of everything and per row")
    func reductions() {
        let x = GradientCheck.tensor([4, 3], seed: 17)
        expectGradients([x]) { tape, t in tape.sum(t[0]) }
        expectGradients([x]) { tape, t in tape.mean(t[0]) }
        expectGradients([x]) { tape, t in tape.sumRows(t[0]) }
        expectGradients([x]) { tape, t in tape.meanRows(t[0]) }
    }

    @Test("concatenation along columns")
    func concat() {
        expectGradients([GradientCheck.tensor([3, 2], seed: 18), GradientCheck.tensor([3, 4], seed: 19)]) { tape, t in
            tape.concatColumns(t[0], t[1])
        }
    }

    @Test("reparameterization z = mu + eps * exp(logvar / 2)")
    func reparameterize() {
        let eps = GradientCheck.tensor([3, 2], seed: 22, requiresGrad: false)
        expectGradients([GradientCheck.tensor([3, 2], seed: 20), GradientCheck.tensor([3, 2], seed: 21)]) { tape, t in
            tape.reparameterize(mean: t[0], logVariance: t[1], noise: eps)
        }
    }

    @Test("binary cross-entropy from logits, including large logits")
    func bce() {
        let target = GradientCheck.tensor([3, 4], low: 0, high: 1, seed: 23, requiresGrad: false)
        expectGradients([GradientCheck.tensor([3, 4], low: -6, high: 6, seed: 24)]) { tape, t in
            tape.binaryCrossEntropyWithLogits(t[0], target: target)
        }
        // Stable where a naive log(sigmoid) overflows: finite loss and gradient at |logit| = 100.
        let tape = Tape()
        let logits = Tensor(shape: [1, 2], values: [100, -100], requiresGrad: true)
        let loss = tape.binaryCrossEntropyWithLogits(logits, target: Tensor(shape: [1, 2], values: [0, 1]))
        tape.backward(from: loss)
        #expect(abs(loss.scalar - 200) < 1e-3)
        #expect(logits.gradient! == [1, -1])
    }

    @Test("squared and absolute error sums")
    func regressionLosses() {
        let target = GradientCheck.tensor([3, 4], seed: 25, requiresGrad: false)
        let prediction = GradientCheck.tensor([3, 4], avoid: target.values, gap: 0.05, seed: 26)
        expectGradients([prediction]) { tape, t in tape.squaredErrorSum(t[0], target: target) }
        expectGradients([prediction]) { tape, t in tape.absoluteErrorSum(t[0], target: target) }
    }

    @Test("Gaussian KL to N(0, I)")
    func kl() {
        expectGradients([GradientCheck.tensor([3, 4], seed: 27), GradientCheck.tensor([3, 4], seed: 28)]) { tape, t in
            tape.gaussianKL(mean: t[0], logVariance: t[1])
        }
    }

    @Test("Gaussian KL per latent dimension, and its sum equals the scalar KL")
    func klPerDimension() {
        expectGradients([GradientCheck.tensor([3, 4], seed: 29), GradientCheck.tensor([3, 4], seed: 30)]) { tape, t in
            tape.gaussianKLPerDimension(mean: t[0], logVariance: t[1])
        }
        let mean = GradientCheck.tensor([5, 3], seed: 31), logVariance = GradientCheck.tensor([5, 3], seed: 32)
        let tape = Tape()
        let total = tape.gaussianKL(mean: mean, logVariance: logVariance).values[0]
        let parts = tape.gaussianKLPerDimension(mean: mean, logVariance: logVariance).values
        #expect(abs(parts.reduce(0, +) - total) <= 1e-5 * abs(total))
    }

    @Test("floored sum: elements below the floor pass no gradient, the weight scales the rest")
    func flooredSum() {
        // Values at least 0.05 from the floor 0.1, so a central difference never crosses it.
        let x = Tensor(shape: [4], values: [-0.5, 0.3, 0.02, 0.9], requiresGrad: true)
        let control = FlooredSumControl(weight: 2.5, floor: 0.1)
        expectGradients([x]) { tape, t in tape.flooredSum(t[0], control: control) }
        let tape = Tape()
        let y = tape.flooredSum(x, control: control)
        #expect(abs(y.values[0] - 2.5 * (0.1 + 0.3 + 0.1 + 0.9)) < 1e-6)
        x.zeroGrad()
        tape.backward(from: y)
        #expect(x.gradient == [0, 2.5, 0, 2.5])
        // Decisions made elsewhere (a whole batch split over workers) override the local comparison.
        control.counts = [true, false, true, false]
        x.zeroGrad()
        tape.backward(from: y)
        #expect(x.gradient == [2.5, 0, 2.5, 0])
    }

    @Test("a gradient check catches a wrong gradient")
    func checkerCanFail() {
        // scale by 2 forward, but pretend the op is x ↦ 3x: compare scale(2)'s gradient with scale(3)'s values.
        let x = GradientCheck.tensor([2, 2], seed: 29)
        let result = GradientCheck.run([x]) { tape, t in
            let y = Tensor(shape: t[0].shape, requiresGrad: true)
            tape.record(output: y, forward: { for i in 0..<4 { y.data[i] = 2 * t[0].data[i] } },
                        backward: { for i in 0..<4 { t[0].gradData![i] = 3 * y.gradData![i] }; _ = t[0] })
            return y
        }
        #expect(result.mismatches.count == 4)
    }
}
