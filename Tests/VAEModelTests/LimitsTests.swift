import Foundation
import Testing
@testable import VAEModel

@Suite("sizes and memory limits")
struct LimitsTests {
    @Test("the checked parameter count equals the model's for valid configurations, and is nil when it overflows")
    func parameterCount() {
        for c in [VAEConfiguration(inputSize: 784), VAEConfiguration(inputSize: 4, hidden: [3, 5], latent: 2, classes: 10),
                  VAEConfiguration(inputSize: 2, hidden: [128, 128], latent: 2)] {
            #expect(c.checkedParameterCount == VAE.parameterCount(c))
            #expect(c.checkedParameterCount == VAE(zeroedWith: c).parameterCount)
        }
        // 784-400-20: (785·400) + 2·(401·20) + (21·400) + (401·784).
        #expect(VAEConfiguration(inputSize: 784).checkedParameterCount == 785 * 400 + 2 * 401 * 20 + 21 * 400 + 401 * 784)
        #expect(VAEConfiguration(inputSize: 784, hidden: [1 << 62, 1 << 62]).checkedParameterCount == nil)
        #expect(VAEConfiguration(inputSize: .max, latent: 2).checkedParameterCount == nil)
        #expect(VAEConfiguration(inputSize: 784, latent: .max).checkedParameterCount == nil)
        #expect(VAEConfiguration(inputSize: 784, hidden: [-1]).checkedParameterCount == nil)
    }

    @Test("layer shapes follow the reference's names and [out, in] sizes")
    func layerShapes() {
        let shapes = VAEConfiguration(inputSize: 6, hidden: [5, 4], latent: 3, classes: 2).layerShapes
        #expect(shapes.map(\.name) == ["encoder.0", "encoder.1", "mu", "logvar", "decoder.0", "decoder.1", "output"])
        #expect(shapes.map(\.inputSize) == [8, 5, 4, 4, 5, 4, 5])
        #expect(shapes.map(\.outputSize) == [5, 4, 3, 3, 4, 5, 6])
    }

    @Test("an image size must match the input size, sides within 1...8192, both or neither",
          arguments: [(3, 28, "differs from the input size 784"), (28, 0, "width must be between"), (28, 1_000_000, "width must be between"),
                      (-28, -28, "height must be between"), (1_000_000, 1_000_000, "height must be between")] as [(Int, Int, String)])
    func imageSize(height: Int, width: Int, fragment: String) {
        let problems = VAEConfiguration(inputSize: 784, imageHeight: height, imageWidth: width).problems
        #expect(problems.count == 1 && problems[0].contains(fragment), "\(problems)")
    }

    @Test("other configuration rules, each naming its flag")
    func configurationRules() {
        #expect(VAEConfiguration(inputSize: 784, imageHeight: 28, imageWidth: 28).problems.isEmpty)
        #expect(VAEConfiguration(inputSize: 784, imageHeight: 28).problems == ["the image height and width must be given together (got 28 and none)"])
        #expect(VAEConfiguration(inputSize: 784, hidden: Array(repeating: 1, count: 65)).problems.first?.contains("--hidden") == true)
        #expect(VAEConfiguration(inputSize: 784, latent: 0).problems == ["--latent must be at least 1 (got 0)"])
        #expect(VAEConfiguration(inputSize: 784, classes: 257).problems.first?.contains("class count") == true)
        #expect(VAEConfiguration(inputSize: 784, hidden: [1 << 62, 1 << 62]).problems.first?.contains("overflows") == true)
    }

    @Test("memory estimates: the stated formulas, overflow as nil")
    func estimates() throws {
        let c = VAEConfiguration(inputSize: 784)
        let p = try #require(c.checkedParameterCount)
        let a = 4 * 400 + 12 * 20 + 6 * 784
        #expect(MemoryBudget.activationFloatsPerExample(c) == a)
        #expect(MemoryBudget.loadedModelBytes(c) == 12 * p)
        #expect(MemoryBudget.trainingBytes(c, batchSize: 128, threads: 4) == 4 * ((3 + 4) * p + 2 * 128 * a))
        let f = 3 * 784 + 2 * 400 + 3 * 20
        #expect(MemoryBudget.forwardFloatsPerExample(c) == f)
        #expect(MemoryBudget.inferenceBytes(c, examples: 64) == 4 * (3 * p + 64 * f) + 64 * 784)
        #expect(MemoryBudget.trainingBytes(c, batchSize: .max, threads: 1) == nil)
        #expect(MemoryBudget.inferenceBytes(c, examples: .max) == nil)
    }

    @Test("byte counts parse and print in decimal units")
    func bytes() {
        #expect(MemoryBudget.parseByteCount("8G") == 8_000_000_000)
        #expect(MemoryBudget.parseByteCount("500m") == 500_000_000)
        #expect(MemoryBudget.parseByteCount("1.5T") == 1_500_000_000_000)
        #expect(MemoryBudget.parseByteCount("123") == 123)
        for bad in ["", "G", "-1G", "lots", "1e30T", "nan"] { #expect(MemoryBudget.parseByteCount(bad) == nil, "\(bad)") }
        #expect(MemoryBudget.formatBytes(512) == "512 bytes")
        #expect(MemoryBudget.formatBytes(23_400_000_000) == "23.4 GB")
        #expect(MemoryBudget.formatBytes(1_890_000_000_000) == "1.89 TB")
        #expect(MemoryBudget.formatBytes(Int.max) == "9.22 EB")
    }

    @Test("the limit is 3/4 of physical memory, and a refusal gives the number and the limit")
    func limit() throws {
        #expect(MemoryBudget.physicalMemory > 0)
        if ProcessInfo.processInfo.environment[MemoryBudget.limitVariable] == nil {
            #expect(try MemoryBudget.limit() == MemoryBudget.physicalMemory / 4 * 3)
        }
        let problem = try #require(MemoryBudget.problem(bytes: .max, purpose: "doing it", advice: "do less"))
        #expect(problem.hasPrefix("doing it would need 9.22 EB of memory, more than the ") && problem.hasSuffix("; do less"), "\(problem)")
        #expect(MemoryBudget.problem(bytes: nil, atLeast: true, purpose: "x", advice: "y")?.contains("x would need more than 9.22 EB") == true)
        #expect(MemoryBudget.problem(bytes: .max, atLeast: true, purpose: "x", advice: "y")?.contains("x would need at least 9.22 EB") == true)
        #expect(MemoryBudget.problem(bytes: 1000, purpose: "x", advice: "y") == nil)
    }
}
