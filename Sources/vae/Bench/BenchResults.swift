// The benchmark's result types (the JSON schema `vae-bench/7`: since /4 a step's optimizer share holds the
// weight and bias gradients too when there are several threads; since /5 sgemm is measured in every round
// and a peer ratio is the median of the rounds' ratios; since /6 each training run is compared with sgemm
// sampled between its own epochs; since /7 the optimizer share holds the weight and bias gradients on one
// thread too) and its kernel settings.

import ArgumentParser
import Foundation
import TensorCore
import VAEModel

/// Which OpenBLAS kernel choice a benchmark run stands for.
enum KernelSetting: String, ExpressibleByArgument, CaseIterable, Codable, Sendable {
    /// The environment as it is (CI's setting; this machine's environment may force a core type).
    case env
    /// OpenBLAS's own choice: `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` unset.
    case auto

    /// The OpenBLAS variables that decide the kernels.
    static let variables = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]

    /// The setting the current environment corresponds to: `env` when either variable is set, else `auto`.
    static var detected: KernelSetting {
        let environment = ProcessInfo.processInfo.environment
        return variables.contains { environment[$0] != nil } ? .env : .auto
    }
}

/// One matrix product of a training step, as `Tape.linear` issues it.
struct GEMMShape: Codable, Equatable, Sendable {
    /// e.g. `encoder.0 forward`.
    var name: String
    /// Which product of the layer: `forward` (x·Wᵀ), `weightGradient` (dZᵀ·x) or `inputGradient` (dZ·W).
    var kind: String
    var m: Int
    var n: Int
    var k: Int
    var transposeA: Bool
    var transposeB: Bool
    /// Scale of the existing C (the forward product adds onto the bias rows).
    var beta: Float

    /// 2·m·n·k.
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    /// Row stride of A as stored.
    var lda: Int { transposeA ? m : k }
    /// Row stride of B as stored.
    var ldb: Int { transposeB ? k : n }

    /// The product in matrix notation with stored shapes, e.g. `[128×784]·[400×784]ᵀ`.
    var notation: String {
        let a = transposeA ? "[\(k)×\(m)]ᵀ" : "[\(m)×\(k)]"
        let b = transposeB ? "[\(n)×\(k)]ᵀ" : "[\(k)×\(n)]"
        return a + "·" + b
    }

    /// The products of one training step of `model` on `batch` rows, exactly as the step's recorded
    /// graph declares them (forward layer by layer, then the backward products in recording order;
    /// the first layer's input gradient is not among them, since the data needs none).
    static func trainingStep(of model: VAE, batch: Int) -> [GEMMShape] {
        VAEGraph(model: model, batchSize: batch).matrixProducts.map { product in
            let suffix = switch product.role {
            case .forward: " forward"
            case .weightGradient: " dW"
            case .inputGradient: " dX"
            }
            return GEMMShape(name: product.name + suffix, kind: product.role.rawValue, m: product.m, n: product.n,
                             k: product.k, transposeA: product.transposeA, transposeB: product.transposeB,
                             beta: product.beta)
        }
    }
}

/// The measured speed of one shape.
struct GEMMMeasurement: Codable, Sendable {
    var shape: GEMMShape
    /// Floating-point operations of one call.
    var flops: Double
    /// The rate of its timed samples, GFLOP/s: their median, or all their calls over all their time for
    /// the rate a training run is compared with.
    var gflops: Double
    /// Seconds per call at that rate.
    var secondsPerCall: Double
}

/// Single-thread sgemm over the products of one training step.
struct SGEMMResult: Codable, Sendable {
    /// Rows per product (the batch, or a worker's share of it).
    var batch: Int
    /// Threads running products at the same time, each calling single-threaded sgemm (as the
    /// trainer's workers do); the rates are their total.
    var threads: Int
    var shapes: [GEMMMeasurement]
    /// Σ flops / Σ (flops / rate): the rate of the whole step's products, each weighted by its FLOPs.
    var combinedGFLOPS: Double
    /// Σ flops of the step per example.
    var flopsPerExample: Double
}

/// Step timings of the timed epochs, per step.
struct StepBreakdown: Codable, Sendable {
    /// Optimizer steps in the timed epochs.
    var steps: Int
    /// Wall time per step (epoch time / steps), ms.
    var stepMilliseconds: Double
    var batchPreparationMilliseconds: Double
    /// The workers' forward and backward passes, short of the weight gradients.
    var forwardBackwardMilliseconds: Double
    /// The weight and bias gradients and Adam (`StepTimings.optimizer`).
    var optimizerMilliseconds: Double
    /// Wall time not inside the three parts (loss bookkeeping, progress), ms per step.
    var otherMilliseconds: Double
    /// Shares of the step's wall time, percent.
    var batchPreparationPercent: Double
    var forwardBackwardPercent: Double
    var optimizerPercent: Double
}

/// Training throughput on one worker-thread count in one round.
struct TrainingResult: Codable, Sendable {
    /// 1-based round (rounds alternate with the peers).
    var round: Int
    var threads: Int
    /// True for the trainer as `vae train` runs it (the first layer skips the data's zeros on sparse
    /// batches), false for the dense path (every product through sgemm).
    var skipsZeroInputs: Bool
    var batchSize: Int
    var warmupEpochs: Int
    var epochs: Int
    /// Images trained in the timed epochs.
    var images: Int
    /// Wall time of the timed epochs, s.
    var seconds: Double
    var imagesPerSecond: Double
    /// Images/s of each timed epoch.
    var epochImagesPerSecond: [Double]
    /// GEMM work of the dense step at this speed (gemmFlopsPerImage × images / s), GFLOP/s; with
    /// zeros skipped the work actually done is less, so the share of sgemm can pass 100 %.
    var achievedGFLOPS: Double
    /// The sgemm rate this is compared with, GFLOP/s: on 1 thread the step's products at the whole
    /// batch; on T threads the total of T threads running them at once at a worker's share of the batch.
    /// Sampled between the run's epochs (a pass of every shape before each timed epoch and one after
    /// the last), over all the passes' time, so that a slow stretch of a shared machine falls on both.
    var sgemmGFLOPS: Double
    /// achievedGFLOPS / sgemmGFLOPS, percent.
    var sgemmPercent: Double
    /// Passes of the step's shapes behind `sgemmGFLOPS` (timed epochs + 1).
    var sgemmPasses: Int
    /// The round's sgemm rate on this thread count measured in a window of its own before the round's
    /// runs on it (`SGEMMRound`, median per shape of 7 samples), GFLOP/s: what vae-bench/5 compared with.
    var separateWindowSGEMMGFLOPS: Double
    /// achievedGFLOPS / separateWindowSGEMMGFLOPS, percent.
    var separateWindowSGEMMPercent: Double
    var step: StepBreakdown
    /// Training loss per example of the last timed epoch (same seed and threads ⇒ same value).
    var finalLoss: Double
}

/// One run of a peer implementation (`Scripts/peers/`), read from the JSON line it prints.
struct PeerRun: Codable, Sendable {
    var round: Int
    /// `jax` or `torch`.
    var peer: String
    var threads: Int
    /// `measured` or `failed`.
    var status: String
    var note: String?
    var imagesPerSecond: Double?
    var finalLoss: Double?
    /// The peer's own result line, verbatim.
    var resultLine: String?
}

/// The median images/s of one contender over the rounds.
struct ContenderResult: Codable, Sendable {
    /// `vae`, `vae-dense` (the dense path), `jax` or `torch`.
    var name: String
    var threads: Int
    /// Images/s of each round that measured.
    var roundImagesPerSecond: [Double]
    var medianImagesPerSecond: Double
}

/// vae's speed over a peer's on the same thread count, measured in the same run.
struct PeerRatio: Codable, Sendable {
    /// e.g. `vae/JAX 1 core`.
    var label: String
    var threads: Int
    var peer: String
    /// The median of `roundRatios`.
    var ratio: Double
    /// Per round in which both measured: vae's images/s over the peer's, the two runs back to back, so
    /// that a slow stretch of a shared machine falls on both.
    var roundRatios: [Double]
    /// vae's median images/s over the peer's median (rounds minutes apart mixed).
    var ratioOfMedians: Double
}

/// The sgemm rate of one round on `threads` threads, measured in a window of its own just before the
/// round's runs on that thread count (each run is compared with passes taken between its own epochs).
struct SGEMMRound: Codable, Sendable {
    var round: Int
    var threads: Int
    /// One thread on the whole batch, or the total of `threads` threads each on its share at once, GFLOP/s.
    var gflops: Double
}

/// The outcome of a measurement that runs another `vae` subcommand.
struct CommandMeasurement: Codable, Sendable {
    /// `measured`, `skipped` (subcommand missing) or `failed`.
    var status: String
    /// Why it was skipped or failed.
    var note: String?
    /// The arguments after `vae`.
    var arguments: [String]
    /// Peak RSS of the child, MB (train). Linux counts into a child's peak the peak of its parent's own
    /// memory when it started it (the parent's pages are the child's until `exec`), so the benchmark
    /// runs its children first, before it loads anything; `spawningProcessPeakRSSMegabytes` is that floor.
    var peakRSSMegabytes: Double?
    /// This process's own peak RSS (`VmHWM`) when it started the child, MB: the child's figure is at
    /// least this, so it is the child's own only when it is larger.
    var spawningProcessPeakRSSMegabytes: Double?
    /// Wall time of each run, ms.
    var wallMilliseconds: [Double]?
    /// Median wall time, ms.
    var medianMilliseconds: Double?
}

/// Everything measured under one kernel setting.
struct BenchSettingResult: Codable, Sendable {
    var kernels: KernelSetting
    /// OpenBLAS variables as this process saw them (absent = unset).
    var environment: [String: String]
    var openblasCoreName: String
    var openblasConfiguration: String
    var dataFolder: String
    var dataOrigin: String
    var trainImages: Int
    /// Share of the training images' pixels that are nonzero (0.19 for MNIST, 0.50 for Fashion-MNIST).
    var inputDensity: Double
    var layers: [Int]
    var multiplyAddsPerExample: Int
    /// GEMM FLOPs of one training step per image, from the shapes the step runs (3.28 MFLOP for the default model).
    var gemmFlopsPerImage: Double
    /// 3 × 2 × multiply-adds: counts an input-gradient product for the first layer too, which is not run.
    var nominalFlopsPerImage: Double
    var seed: UInt64
    var sgemm: SGEMMResult
    /// The same products at each worker's share of the batch (for multi-thread runs): for each
    /// thread count T > 1, first on one thread, then on T threads at once (`threads` = T, total rate).
    var sgemmPerWorker: [SGEMMResult]
    /// Every round's sgemm rate per thread count, measured in a window of its own just before that
    /// round's training on it.
    var sgemmRounds: [SGEMMRound]
    /// Every round's training runs, in the order they ran.
    var training: [TrainingResult]
    /// Every round's peer runs (empty without --peers).
    var peerRuns: [PeerRun]
    /// Median images/s per contender and thread count, and vae's ratios to the peers.
    var contenders: [ContenderResult]
    var ratios: [PeerRatio]
    /// The evaluation estimator's speed (absent with --skip-evaluation).
    var evaluation: EvaluationBenchResult?
    /// The benchmark's own peak RSS at the end, MB (`selfPeakRSSBytes`).
    var benchPeakRSSMegabytes: Double
    /// 1-, 5- and 15-minute load averages when the run started and ended (other work on the
    /// machine shows up here and lowers the figures).
    var loadAverageAtStart: [Double]?
    var loadAverageAtEnd: [Double]?
    var train: CommandMeasurement
    var sample: CommandMeasurement
    /// The printed summary lines.
    var summary: [String]
}

/// The JSON result file: machine facts and one entry per kernel setting.
struct BenchReport: Codable, Sendable {
    var schema: String
    /// ISO 8601, UTC, when the file was first written.
    var date: String
    /// `model name` of /proc/cpuinfo with its family and model numbers and vector extensions.
    var cpuModel: String
    /// What the binary's Swift code was generated for (`vae --version`).
    var buildTarget: String
    /// The first `cpu MHz` of /proc/cpuinfo (the clock when the file was first written).
    var cpuMHz: Double?
    var logicalCPUs: Int
    var settings: [BenchSettingResult]

    static let currentSchema = "vae-bench/7"
}

/// Errors of the benchmark command itself.
enum BenchError: Error, CustomStringConvertible, LocalizedError {
    case resultFile(path: String, reason: String)
    case noTrainingImages(folder: String)

    var description: String {
        switch self {
        case .resultFile(let path, let reason): return "result file \(path): \(reason)"
        case .noTrainingImages(let folder): return "no training images in \(folder)"
        }
    }

    var errorDescription: String? { description }
}
