// The evaluation part of the benchmark: the importance-weighted estimator (`vae evaluate`) on the
// decoder's own sgemm shapes, on each thread count, alternating with the PyTorch estimator.

import Dispatch
import Foundation
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

/// The estimator on one thread count, in one round.
struct EvaluationRun: Codable, Sendable {
    var round: Int
    var threads: Int
    var images: Int
    var samples: Int
    var seconds: Double
    var imagesPerSecond: Double
    /// GEMM work done per second: (encoder once + decoder k times per image) × 2 × multiply-adds.
    var achievedGFLOPS: Double
    /// achievedGFLOPS / the decoder shapes' sgemm rate on this thread count, percent.
    var sgemmPercent: Double
}

/// Everything the evaluation part measured.
struct EvaluationBenchResult: Codable, Sendable {
    var samples: Int
    var images: Int
    /// Rows per decoder pass (the estimator's `rowsPerPass`).
    var rowsPerPass: Int
    /// The decoder's products at `rowsPerPass` rows, measured right before each estimator run on its
    /// thread count (all threads at once), in run order.
    var sgemm: [SGEMMResult]
    var runs: [EvaluationRun]
    /// PyTorch's estimator (`Scripts/peers/torch_evaluate.py`) per round, when the peers run.
    var peerRuns: [PeerRun]
    var summary: String
}

extension Bench {
    // MARK: evaluation

    /// Times `LikelihoodEstimator` with `evaluationSamples` samples on the first `evaluationImages` test
    /// images of `dataset` (a model initialised from the seed: the speed does not depend on the weights).
    func measureEvaluation(dataset: MNISTDataset, model: VAE, dataFolder: String) -> EvaluationBenchResult {
        let c = model.configuration
        let images = dataset.test ?? dataset.train
        let count = min(evaluationImages, images.count)
        var inputs = [Float](repeating: 0, count: count * c.inputSize)
        var unused = SeededGenerator(seed: 0)
        inputs.withUnsafeMutableBufferPointer { images.fillBatch(indices: 0..<count, into: $0, generator: &unused) }
        let rows = LikelihoodEstimator(model: model, samples: evaluationSamples, seed: seed).rowsPerPass
        let decoder = decoderShapes(model: model, rows: rows)
        let flopsPerImage = Double(evaluationSamples) * decoder.reduce(0) { $0 + $1.flops } / Double(rows)
            + 2 * Double(model.encoder.layers.reduce(0) { $0 + $1.inputSize * $1.outputSize } + 2 * model.meanHead.inputSize * c.latent)
        print("\nevaluation: k = \(formatCount(evaluationSamples)), \(formatCount(count)) test images, "
              + "\(rows) rows per decoder pass, \(formatFixed(flopsPerImage / 1e9, decimals: 2)) GFLOP per image")
        BLAS.setThreadCount(1)
        // The sgemm rate is measured right before each estimator run, on the same thread count: a shared
        // machine's speed drifts within a minute, and a share is only meaningful against its neighbour.
        var sgemm: [SGEMMResult] = []
        var runs: [EvaluationRun] = []
        var peerRuns: [PeerRun] = []
        for round in 1...rounds {
            for t in threads {
                let reference = measureSGEMM(shapes: decoder, batch: rows, concurrency: t, verbose: false)
                sgemm.append(reference)
                let estimator = LikelihoodEstimator(model: model, samples: evaluationSamples, threads: t, seed: seed)
                let start = DispatchTime.now().uptimeNanoseconds
                _ = estimator.estimate(inputs: inputs)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                let achieved = flopsPerImage * Double(count) / seconds / 1e9
                let run = EvaluationRun(round: round, threads: t, images: count, samples: evaluationSamples,
                                        seconds: seconds, imagesPerSecond: Double(count) / seconds,
                                        achievedGFLOPS: achieved, sgemmPercent: 100 * achieved / reference.combinedGFLOPS)
                runs.append(run)
                print("  round \(round): threads=\(t) images/s=\(formatFixed(run.imagesPerSecond, decimals: 1)) "
                      + "GFLOP/s=\(formatFixed(achieved, decimals: 1)) against decoder sgemm "
                      + "\(formatFixed(reference.combinedGFLOPS, decimals: 1)) GFLOP/s just before: sgemm%=\(Int(run.sgemmPercent.rounded()))")
            }
            guard let runner = peers, let most = threads.max(), most >= 2 else { continue }
            let run = runPeerScript(runner: runner, script: "torch_evaluate.py", peer: "torch", threads: most,
                                    arguments: ["--data", dataFolder, "-k", String(evaluationSamples),
                                                "--limit", String(count)], round: round)
            peerRuns.append(run)
            print("  round \(round): PyTorch estimator \(most) threads: "
                  + (run.imagesPerSecond.map { "images/s=\(formatFixed($0, decimals: 1))" } ?? "\(run.status) (\(run.note ?? ""))"))
        }
        let summary = evaluationSummary(runs: runs, peerRuns: peerRuns)
        return EvaluationBenchResult(samples: evaluationSamples, images: count, rowsPerPass: rows, sgemm: sgemm,
                                     runs: runs, peerRuns: peerRuns, summary: summary)
    }

    /// The decoder's products as the estimator runs them: [rows × in] · Wᵀ per layer, W as the layer stores it.
    func decoderShapes(model: VAE, rows: Int) -> [GEMMShape] {
        (model.decoder.layers + [model.outputLayer]).map { layer in
            let name = layer.weight.name.hasSuffix(".weight") ? String(layer.weight.name.dropLast(7)) : layer.weight.name
            return GEMMShape(name: name + " forward", kind: "forward", m: rows, n: layer.outputSize, k: layer.inputSize,
                             transposeA: false, transposeB: layer.layout.forwardTranspose == .transposed, beta: 1)
        }
    }

    /// `summary evaluation …`: the medians per thread count and the ratio to PyTorch's estimator.
    func evaluationSummary(runs: [EvaluationRun], peerRuns: [PeerRun]) -> String {
        var parts: [String] = []
        var vaeRates: [Int: Double] = [:]
        for t in Set(runs.map(\.threads)).sorted() {
            let mine = runs.filter { $0.threads == t }
            let rate = median(mine.map(\.imagesPerSecond)), share = median(mine.map(\.sgemmPercent))
            vaeRates[t] = rate
            parts.append("threads=\(t) images/s=\(formatFixed(rate, decimals: 1)) sgemm%=\(Int(share.rounded()))")
        }
        var line = "summary evaluation k=\(evaluationSamples) " + parts.joined(separator: " | ")
        let peerRates = peerRuns.compactMap(\.imagesPerSecond)
        if !peerRates.isEmpty, let threads = peerRuns.first?.threads, let mine = vaeRates[threads] {
            let theirs = median(peerRates)
            line += " | PyTorch \(threads) threads images/s=\(formatFixed(theirs, decimals: 1)) "
                + "vae/PyTorch \(formatFixed(mine / theirs, decimals: 2))×"
        }
        return line
    }
}
