import Foundation
import NN
import SeededRandom
import TensorCore
import Testing
@testable import VAEModel

/// One case of the float64 reference file `Tests/Fixtures/vae_golden.json`.
struct GoldenCase: Decodable, CustomTestStringConvertible {
    struct Array: Decodable { let shape: [Int]; let data: [Double] }
    struct Expected: Decodable {
        // Flat row-major lists; shapes as in the parameters and [batch, ·] for activations.
        let mu, logvar, z, recon: [Double]
        let recon_loss, kl, loss: Double
        let grads: [String: [Double]]
        let adam_step1: [String: [Double]]
    }
    let name: String
    let input_dim: Int
    let hidden: [Int]
    let latent: Int
    let batch: Int
    let activation: String
    let output: String
    let loss: String
    let beta: Double
    let conditional_classes: Int
    let labels: [Int]?
    let params: [String: Array]
    let x: Array
    let eps: Array
    let expected: Expected

    var testDescription: String { name }

    static func loadAll() throws -> [GoldenCase] {
        struct File: Decodable { let cases: [GoldenCase] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/vae_golden.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }

    var configuration: VAEConfiguration {
        VAEConfiguration(
            inputSize: input_dim, hidden: hidden, latent: latent,
            activation: activation == "leaky_relu" ? .leakyRelu : Activation(rawValue: activation)!,
            output: OutputActivation(rawValue: output)!, loss: ReconstructionLoss(rawValue: loss)!,
            beta: Float(beta), classes: conditional_classes)
    }

    /// A graph for this case with the reference parameters, inputs and noise loaded and run forward.
    func makeGraph() throws -> VAEGraph {
        var generator = SeededGenerator(seed: 0)
        let model = VAE(configuration: configuration, generator: &generator)
        #expect(Set(model.referenceParameters.map(\.name)) == Set(params.keys), "parameter names match the reference")
        for p in model.referenceParameters {
            let reference = try #require(params[p.name])
            #expect(reference.shape == p.shape, "\(p.name) shape")
            p.setReferenceValues(reference.data.map(Float.init))
        }
        let graph = VAEGraph(model: model, batchSize: batch, keepReconstruction: true)
        graph.input.values = x.data.map(Float.init)
        graph.noise.values = eps.data.map(Float.init)
        if let labelTensor = graph.labels {
            let labels = try #require(labels)
            labelTensor.fill(0)
            for (row, label) in labels.enumerated() { labelTensor[row, label] = 1 }
        }
        graph.forward()
        return graph
    }
}

/// The largest |actual − expected| / (atol + rtol·|expected|) over all elements; ≤ 1 passes.
func worstError(_ actual: [Float], _ expected: [Double], absolute: Double, relative: Double) -> Double {
    precondition(actual.count == expected.count)
    var worst = 0.0
    for (a, e) in zip(actual, expected) {
        worst = max(worst, abs(Double(a) - e) / (absolute + relative * abs(e)))
    }
    return worst
}

@Suite("Golden reference: the whole VAE against float64 values from an independent framework")
struct GoldenTests {
    static let cases = (try? GoldenCase.loadAll()) ?? []

    @Test("the fixture holds the five reference cases")
    func fixtureLoads() throws {
        let cases = try GoldenCase.loadAll()
        #expect(cases.count == 5)
    }

    @Test("forward: mu, logvar, z, recon and the three losses", arguments: cases)
    func forward(_ golden: GoldenCase) throws {
        let graph = try golden.makeGraph()
        let out = graph.output
        let e = golden.expected
        #expect(worstError(out.mean.values, e.mu, absolute: 1e-5, relative: 1e-5) <= 1)
        #expect(worstError(out.logVariance.values, e.logvar, absolute: 1e-5, relative: 1e-5) <= 1)
        #expect(worstError(out.latent.values, e.z, absolute: 1e-5, relative: 1e-5) <= 1)
        let recon = try #require(out.reconstruction)
        #expect(worstError(recon.values, e.recon, absolute: 1e-5, relative: 1e-5) <= 1)
        #expect(worstError([out.reconstructionLoss.scalar], [e.recon_loss], absolute: 1e-6, relative: 1e-5) <= 1)
        #expect(worstError([out.kl.scalar], [e.kl], absolute: 1e-6, relative: 1e-5) <= 1)
        #expect(worstError([out.loss.scalar], [e.loss], absolute: 1e-6, relative: 1e-5) <= 1)
    }

    @Test("backward: every parameter's gradient", arguments: cases)
    func gradients(_ golden: GoldenCase) throws {
        let graph = try golden.makeGraph()
        graph.backward()
        for p in graph.model.referenceParameters {
            let expected = try #require(golden.expected.grads[p.name])
            let error = worstError(try #require(p.referenceGradient), expected, absolute: 1e-5, relative: 1e-4)
            #expect(error <= 1, "gradient of \(p.name): worst scaled error \(error)")
        }
    }

    @Test("one Adam step from the reference gradients", arguments: cases)
    func adamStep(_ golden: GoldenCase) throws {
        let graph = try golden.makeGraph()
        graph.backward()
        let adam = Adam(parameters: graph.model.parameters)
        adam.update()
        for p in graph.model.referenceParameters {
            let expected = try #require(golden.expected.adam_step1[p.name])
            let error = worstError(p.referenceValues, expected, absolute: 1e-6, relative: 1e-6)
            #expect(error <= 1, "\(p.name) after one Adam step: worst scaled error \(error)")
        }
    }

    @Test("gradients accumulate over two backward passes until zeroGrad", arguments: cases.prefix(1))
    func accumulation(_ golden: GoldenCase) throws {
        let graph = try golden.makeGraph()
        graph.backward()
        graph.backward()
        let weight = try #require(graph.model.referenceParameter(named: "output.weight"))
        let expected = try #require(golden.expected.grads["output.weight"]).map { 2 * $0 }
        #expect(worstError(try #require(weight.referenceGradient), expected, absolute: 1e-5, relative: 1e-4) <= 1)
        for p in graph.model.parameters { p.zeroGrad() }
        graph.backward()
        let single = try #require(golden.expected.grads["output.weight"])
        #expect(worstError(try #require(weight.referenceGradient), single, absolute: 1e-5, relative: 1e-4) <= 1)
    }
}
