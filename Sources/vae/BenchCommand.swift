// `vae bench`: the speed benchmark. Measures single-thread sgemm on the model's own matrix shapes,
// training throughput on 1 and 2 threads, where a step's time goes, peak memory of `vae train`
// and the latency of `vae sample --n 64`; prints one summary line and writes a JSON result file.
// `Scripts/bench.sh` runs it twice, once per OpenBLAS kernel setting.

import ArgumentParser
import Dispatch
import Foundation
import MNISTData
import TensorCore
import VAEModel

/// Which OpenBLAS kernel choice a benchmark run stands for (the targets differ).
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

/// The project's speed targets (default model, batch 128, 5,000 MNIST training images, 2 cores).
enum BenchTargets {
    /// Minimum training images per second for a kernel setting and worker-thread count, if there is one.
    static func imagesPerSecond(kernels: KernelSetting, threads: Int) -> Double? {
        switch (kernels, threads) {
        case (.env, 1): 30_000
        case (.env, 2): 55_000
        case (.auto, 1): 52_000
        case (.auto, 2): 90_000
        default: nil
        }
    }
    /// Maximum peak resident memory of `vae train` on mnist-5k, megabytes.
    static let trainPeakRSSMegabytes = 64.0
    /// Maximum wall time of `vae sample --n 64`, milliseconds.
    static let sampleMilliseconds = 50.0
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

    /// The products of one training step of `model` on `batch` rows, in the order the step runs them
    /// (forward layer by layer, then per layer the weight gradient and — except for the first layer,
    /// whose input is the data — the input gradient).
    static func trainingStep(of model: VAE, batch: Int) -> [GEMMShape] {
        let layers = model.layers
        var forward: [GEMMShape] = [], backward: [GEMMShape] = []
        for (index, layer) in layers.enumerated() {
            let name = layer.weight.name.hasSuffix(".weight") ? String(layer.weight.name.dropLast(7)) : "layer\(index)"
            let input = layer.inputSize, output = layer.outputSize
            forward.append(GEMMShape(name: name + " forward", kind: "forward", m: batch, n: output, k: input,
                                     transposeA: false, transposeB: true, beta: 1))
            backward.append(GEMMShape(name: name + " dW", kind: "weightGradient", m: output, n: input, k: batch,
                                      transposeA: true, transposeB: false, beta: 0))
            if index > 0 {  // the first encoder layer's input is the data, which needs no gradient
                backward.append(GEMMShape(name: name + " dX", kind: "inputGradient", m: batch, n: input, k: output,
                                          transposeA: false, transposeB: false, beta: 0))
            }
        }
        return forward + backward
    }
}

/// The measured speed of one shape.
struct GEMMMeasurement: Codable, Sendable {
    var shape: GEMMShape
    /// Floating-point operations of one call.
    var flops: Double
    /// Median of the timed samples, GFLOP/s.
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
    var forwardBackwardMilliseconds: Double
    var optimizerMilliseconds: Double
    /// Wall time not inside the three parts (loss bookkeeping, progress), ms per step.
    var otherMilliseconds: Double
    /// Shares of the step's wall time, percent.
    var batchPreparationPercent: Double
    var forwardBackwardPercent: Double
    var optimizerPercent: Double
}

/// A target and whether it is met.
struct TargetCheck: Codable, Sendable {
    /// The threshold (images/s: minimum; MB and ms: maximum).
    var value: Double
    var met: Bool
}

/// Training throughput on one worker-thread count.
struct TrainingResult: Codable, Sendable {
    var threads: Int
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
    /// GEMM work actually done (gemmFlopsPerImage × images / s), GFLOP/s.
    var achievedGFLOPS: Double
    /// achievedGFLOPS / (single-thread combined sgemm × threads), percent.
    var sgemmPercent: Double
    var step: StepBreakdown
    /// Training loss per example of the last timed epoch (same seed and threads ⇒ same value).
    var finalLoss: Double
    var target: TargetCheck?
}

/// The outcome of a measurement that runs another `vae` subcommand.
struct CommandMeasurement: Codable, Sendable {
    /// `measured`, `skipped` (subcommand missing) or `failed`.
    var status: String
    /// Why it was skipped or failed.
    var note: String?
    /// The arguments after `vae`.
    var arguments: [String]
    /// Peak RSS of the child, MB (train).
    var peakRSSMegabytes: Double?
    /// Wall time of each run, ms.
    var wallMilliseconds: [Double]?
    /// Median wall time, ms.
    var medianMilliseconds: Double?
    var target: TargetCheck?
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
    var training: [TrainingResult]
    var benchPeakRSSMegabytes: Double
    /// 1-, 5- and 15-minute load averages when the run started and ended (other work on the
    /// machine shows up here and lowers the figures).
    var loadAverageAtStart: [Double]?
    var loadAverageAtEnd: [Double]?
    var train: CommandMeasurement
    var sample: CommandMeasurement
    /// The printed summary line.
    var summary: String
}

/// The JSON result file: machine facts and one entry per kernel setting.
struct BenchReport: Codable, Sendable {
    var schema: String
    /// ISO 8601, UTC, when the file was first written.
    var date: String
    var cpuModel: String
    /// The first `cpu MHz` of /proc/cpuinfo (the clock when the file was first written).
    var cpuMHz: Double?
    var logicalCPUs: Int
    var settings: [BenchSettingResult]

    static let currentSchema = "vae-bench/1"
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

/// `vae bench`: measures training speed, sgemm efficiency, memory and sampling latency.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training speed, sgemm efficiency, peak memory and sampling latency.",
        discussion: """
        Trains the default model (784-400-20, batch 128, Adam) on the training images of --data for \
        --epochs timed epochs after --warmup-epochs untimed ones, on each --threads count; measures \
        single-thread sgemm on the step's own matrix shapes; runs `vae train` and `vae sample --n 64` \
        as child processes for peak memory and latency (skipped with a note when those subcommands are \
        missing). Prints one summary line and writes (or, with --append, extends) a JSON file. \
        Scripts/bench.sh runs this once per OpenBLAS kernel setting; the speed targets are for \
        the 5,000-image MNIST training set (pass it with --data).
        """)

    @Option(help: "Data folder in the MNIST layout (default: ./data/mnist if present, else the bundled subset).")
    var data: String?

    @Option(help: "Timed training epochs per thread count.")
    var epochs = 3

    @Option(help: "Untimed warm-up epochs before the timed ones.")
    var warmupEpochs = 1

    @Option(parsing: .upToNextOption, help: "Worker-thread counts to train with.")
    var threads: [Int] = [1, 2]

    @Option(help: "Seed of the model's initialisation and of training.")
    var seed: UInt64 = 1

    @Option(help: "Kernel setting this run stands for: env (environment unchanged) or auto (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset). Default: env if either variable is set, else auto.")
    var kernels: KernelSetting?

    @Option(help: "JSON result file (default: bench-results/bench-<UTC date>.json).")
    var json: String?

    @Flag(help: "Add this run's results to an existing --json file instead of replacing it.")
    var append = false

    @Option(help: "Milliseconds per timed sgemm sample (7 samples per shape, median taken).")
    var sgemmSampleMilliseconds = 25.0

    @Option(help: "Runs of `vae sample` to take the median of.")
    var sampleRuns = 5

    @Option(help: "Arguments of the `vae train` child, split at spaces; {data} is the data folder. It runs in a fresh temporary folder.")
    var trainArguments = "train --data {data} --epochs 1"

    @Option(help: "Arguments of the `vae sample` child, split at spaces; runs in the train child's folder.")
    var sampleArguments = "sample --n 64"

    @Flag(help: "Do not run `vae train` and `vae sample` as child processes.")
    var skipCommands = false

    @Option(help: "The vae executable for the child processes (default: this program).")
    var vae: String?

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
        guard warmupEpochs >= 0 else { throw ValidationError("--warmup-epochs must be 0 or more (got \(warmupEpochs))") }
        guard !threads.isEmpty, threads.allSatisfy({ $0 >= 1 && $0 <= 256 }) else {
            throw ValidationError("--threads needs counts between 1 and 256 (got \(threads))")
        }
        guard sgemmSampleMilliseconds > 0 else { throw ValidationError("--sgemm-sample-milliseconds must be positive") }
        guard sampleRuns >= 1 else { throw ValidationError("--sample-runs must be at least 1 (got \(sampleRuns))") }
        if append && json == nil { throw ValidationError("--append needs --json FILE (the file to add to)") }
    }

    func run() throws {
        let kernels = self.kernels ?? KernelSetting.detected
        let environment = ProcessInfo.processInfo.environment
        var blasEnvironment: [String: String] = [:]
        for name in KernelSetting.variables + ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"] {
            if let value = environment[name] { blasEnvironment[name] = value }
        }
        let variableText = KernelSetting.variables.map { "\($0)=\(environment[$0] ?? "(unset)")" }.joined(separator: " ")
        print("vae bench: kernels \(kernels.rawValue) (\(variableText)) → OpenBLAS core \(BLAS.coreName)")
        print("OpenBLAS: \(BLAS.configuration)")
        let cpu = cpuModelName()
        print("CPU: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) logical CPUs")
        let loadAtStart = loadAverages()
        if let load = loadAtStart {
            print("load average: \(load.map { formatFixed($0, decimals: 2) }.joined(separator: " "))"
                  + (load[0] > 0.5 ? "  (warning: the machine is busy; figures will be low)" : ""))
        }

        // Data and model.
        let location = try DataLocation.resolve(explicitFolder: data)
        let dataset = try MNISTDataset(folder: location.folder)
        let images = dataset.train
        guard images.count > 0 else { throw BenchError.noTrainingImages(folder: location.folder.path) }
        let configuration = VAEConfiguration(inputSize: images.featureCount)
        var initGenerator = SeededGenerator(seed: seed)
        let probeModel = VAE(configuration: configuration, generator: &initGenerator)
        let layerSizes = [configuration.inputSize] + configuration.hidden + [configuration.latent]
        let batchSize = 128
        let stepShapes = GEMMShape.trainingStep(of: probeModel, batch: batchSize)
        let gemmFlopsPerImage = stepShapes.reduce(0) { $0 + $1.flops } / Double(batchSize)
        let nominalFlopsPerImage = 6 * Double(probeModel.multiplyAddsPerExample)
        print("data: \(location.description), \(formatThousands(images.count)) training images")
        print("model: \(layerSizes.map(String.init).joined(separator: "-")), "
              + "\(formatThousands(probeModel.multiplyAddsPerExample)) multiply-adds per example; "
              + "GEMM work per training image \(formatFixed(gemmFlopsPerImage / 1e6, decimals: 2)) MFLOP "
              + "(3 × 2 × multiply-adds would be \(formatFixed(nominalFlopsPerImage / 1e6, decimals: 2)); "
              + "the first layer's input gradient is not computed)")

        // sgemm on the step's shapes, single thread.
        BLAS.setThreadCount(1)
        print("\nsgemm, 1 OpenBLAS thread, batch \(batchSize):")
        let sgemm = measureSGEMM(shapes: stepShapes, batch: batchSize, verbose: true)
        print("  combined, weighted by the step's FLOPs: \(formatFixed(sgemm.combinedGFLOPS, decimals: 1)) GFLOP/s")
        var perWorker: [SGEMMResult] = []
        for t in Set(threads).sorted() where t > 1 {
            let rows = (batchSize + t - 1) / t
            let shapes = GEMMShape.trainingStep(of: probeModel, batch: rows)
            let alone = measureSGEMM(shapes: shapes, batch: rows, verbose: false)
            let together = measureSGEMM(shapes: shapes, batch: rows, concurrency: t, verbose: false)
            perWorker += [alone, together]
            print("  at a worker's share of the batch (\(rows) rows): "
                  + "\(formatFixed(alone.combinedGFLOPS, decimals: 1)) GFLOP/s on 1 thread, "
                  + "\(formatFixed(together.combinedGFLOPS, decimals: 1)) GFLOP/s in total on \(t) threads at once")
        }

        // Training throughput.
        print("\ntraining: \(formatThousands(images.count)) images, batch \(batchSize), "
              + "\(warmupEpochs) warm-up + \(epochs) timed epochs, seed \(seed)")
        var training: [TrainingResult] = []
        for t in threads {
            let result = measureTraining(data: images, configuration: configuration, threads: t, batchSize: batchSize,
                                         gemmFlopsPerImage: gemmFlopsPerImage, sgemmGFLOPS: sgemm.combinedGFLOPS,
                                         kernels: kernels)
            training.append(result)
            print("  " + trainingLine(result))
        }

        // Child processes: vae train (peak memory) and vae sample (latency).
        var trainMeasurement = CommandMeasurement(status: "skipped", note: "--skip-commands given",
                                                  arguments: splitArguments(trainArguments, data: location.folder.path))
        var sampleMeasurement = CommandMeasurement(status: "skipped", note: "--skip-commands given",
                                                   arguments: splitArguments(sampleArguments, data: location.folder.path))
        if !skipCommands {
            (trainMeasurement, sampleMeasurement) = measureCommands(dataFolder: location.folder.path)
        }
        let benchRSS = Double(selfPeakRSSBytes()) / 1_048_576
        print("\nmemory: bench process peak RSS \(formatFixed(benchRSS, decimals: 0)) MB; "
              + "vae train: \(describeTrain(trainMeasurement))")
        print("sample: \(describeSample(sampleMeasurement))")

        let summary = summaryLine(kernels: kernels, training: training, sgemm: sgemm, train: trainMeasurement,
                                  sample: sampleMeasurement, benchRSS: benchRSS)
        print("\n" + summary)

        let setting = BenchSettingResult(
            kernels: kernels, environment: blasEnvironment, openblasCoreName: BLAS.coreName,
            openblasConfiguration: BLAS.configuration, dataFolder: location.folder.path,
            dataOrigin: location.origin.rawValue, trainImages: images.count, layers: layerSizes,
            multiplyAddsPerExample: probeModel.multiplyAddsPerExample, gemmFlopsPerImage: gemmFlopsPerImage,
            nominalFlopsPerImage: nominalFlopsPerImage, seed: seed, sgemm: sgemm, sgemmPerWorker: perWorker,
            training: training, benchPeakRSSMegabytes: benchRSS, loadAverageAtStart: loadAtStart,
            loadAverageAtEnd: loadAverages(), train: trainMeasurement,
            sample: sampleMeasurement, summary: summary)
        let path = try writeReport(setting: setting, cpu: cpu)
        print("results: \(path)")
    }

    // MARK: sgemm

    /// Times `cblas_sgemm` on each shape (single-threaded OpenBLAS is assumed set by the caller).
    /// - Parameter concurrency: how many threads run the products at once, each on buffers of its
    ///   own (as the trainer's workers do); the rate is their total.
    private func measureSGEMM(shapes: [GEMMShape], batch: Int, concurrency: Int = 1, verbose: Bool) -> SGEMMResult {
        var generator = SeededGenerator(seed: 0xB1A5)
        var measurements: [GEMMMeasurement] = []
        for shape in shapes {
            let operands = (0..<concurrency).map { _ in GEMMOperands(shape: shape, generator: &generator) }
            defer { for o in operands { o.deallocate() } }
            let box = UncheckedSendable(operands)
            let run = { (calls: Int) in
                if concurrency == 1 {
                    for _ in 0..<calls { box.value[0].call() }
                } else {
                    DispatchQueue.concurrentPerform(iterations: concurrency) { t in
                        for _ in 0..<calls { box.value[t].call() }
                    }
                }
            }
            // Warm up, then size a sample to about sgemmSampleMilliseconds.
            run(3)
            var calls = 1
            while true {
                let t = time { run(calls) }
                if t >= sgemmSampleMilliseconds * 1e-3 / 4 || calls >= 1 << 20 {
                    calls = max(1, Int(Double(calls) * sgemmSampleMilliseconds * 1e-3 / max(t, 1e-9)))
                    break
                }
                calls *= 4
            }
            var rates: [Double] = []
            for _ in 0..<7 {
                let t = time { run(calls) }
                rates.append(shape.flops * Double(calls * concurrency) / t / 1e9)
            }
            let rate = median(rates)
            measurements.append(GEMMMeasurement(shape: shape, flops: shape.flops, gflops: rate,
                                                secondsPerCall: shape.flops / (rate * 1e9)))
            if verbose {
                let label = shape.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                let notation = shape.notation.padding(toLength: 22, withPad: " ", startingAt: 0)
                print("  \(label) \(notation) \(formatFixed(shape.flops / 1e6, decimals: 1).leftPadded(6)) MFLOP "
                      + "\(formatFixed(rate, decimals: 1).leftPadded(6)) GFLOP/s")
            }
        }
        let totalFlops = measurements.reduce(0) { $0 + $1.flops }
        let totalSeconds = measurements.reduce(0) { $0 + $1.secondsPerCall }
        return SGEMMResult(batch: batch, threads: concurrency, shapes: measurements,
                           combinedGFLOPS: totalFlops / totalSeconds / 1e9, flopsPerExample: totalFlops / Double(batch))
    }

    // MARK: training

    /// Trains a fresh model for the warm-up and timed epochs on `threads` workers.
    private func measureTraining(data: ImageSet, configuration: VAEConfiguration, threads: Int, batchSize: Int,
                                 gemmFlopsPerImage: Double, sgemmGFLOPS: Double, kernels: KernelSetting) -> TrainingResult {
        var generator = SeededGenerator(seed: seed)
        let model = VAE(configuration: configuration, generator: &generator)
        let trainer = Trainer(model: model, batchSize: batchSize, threads: threads, seed: seed)
        for _ in 0..<warmupEpochs { _ = trainer.trainEpoch(on: data) }
        var seconds = 0.0, imagesSeen = 0, epochRates: [Double] = [], finalLoss = 0.0
        var parts = StepTimings()
        for _ in 0..<epochs {
            var summary: LossSummary?
            let t = time { summary = trainer.trainEpoch(on: data) }
            let examples = summary?.examples ?? data.count
            seconds += t
            imagesSeen += examples
            epochRates.append(Double(examples) / t)
            finalLoss = summary?.loss ?? .nan
            parts.batchPreparation += trainer.lastTimings.batchPreparation
            parts.forwardBackward += trainer.lastTimings.forwardBackward
            parts.optimizer += trainer.lastTimings.optimizer
        }
        let steps = epochs * ((data.count + batchSize - 1) / batchSize)
        let perStep = { (s: Double) in s / Double(steps) * 1e3 }
        let stepMs = perStep(seconds)
        let step = StepBreakdown(
            steps: steps, stepMilliseconds: stepMs,
            batchPreparationMilliseconds: perStep(parts.batchPreparation),
            forwardBackwardMilliseconds: perStep(parts.forwardBackward),
            optimizerMilliseconds: perStep(parts.optimizer),
            otherMilliseconds: perStep(seconds - parts.batchPreparation - parts.forwardBackward - parts.optimizer),
            batchPreparationPercent: 100 * parts.batchPreparation / seconds,
            forwardBackwardPercent: 100 * parts.forwardBackward / seconds,
            optimizerPercent: 100 * parts.optimizer / seconds)
        let rate = Double(imagesSeen) / seconds
        let achieved = gemmFlopsPerImage * rate / 1e9
        let target = BenchTargets.imagesPerSecond(kernels: kernels, threads: threads).map {
            TargetCheck(value: $0, met: rate >= $0)
        }
        return TrainingResult(threads: threads, batchSize: batchSize, warmupEpochs: warmupEpochs, epochs: epochs,
                              images: imagesSeen, seconds: seconds, imagesPerSecond: rate,
                              epochImagesPerSecond: epochRates, achievedGFLOPS: achieved,
                              sgemmPercent: 100 * achieved / (sgemmGFLOPS * Double(threads)),
                              step: step, finalLoss: finalLoss, target: target)
    }

    // MARK: child processes

    /// Runs `vae train` once (peak memory) and `vae sample` `sampleRuns` times (median latency) in a
    /// temporary folder; each is skipped with a note when the subcommand does not exist.
    private func measureCommands(dataFolder: String) -> (CommandMeasurement, CommandMeasurement) {
        let trainArgs = splitArguments(trainArguments, data: dataFolder)
        let sampleArgs = splitArguments(sampleArguments, data: dataFolder)
        var train = CommandMeasurement(status: "skipped", arguments: trainArgs)
        var sample = CommandMeasurement(status: "skipped", arguments: sampleArgs)
        train.target = nil
        guard let executable = vae ?? currentExecutablePath() else {
            train.note = "cannot find the vae executable (pass --vae PATH)"
            sample.note = train.note
            return (train, sample)
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("vae-bench-\(UUID().uuidString.prefix(8))", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            train.note = "cannot create a temporary folder: \(error.localizedDescription)"
            sample.note = train.note
            return (train, sample)
        }
        defer { try? FileManager.default.removeItem(at: folder) }

        /// Whether the subcommand exists: `vae <subcommand> --help` must print that subcommand's usage
        /// (for an unknown name the root command prints its own help and still exits 0).
        func exists(_ subcommand: String) -> Bool {
            guard let result = try? runMeasured(executable: executable, arguments: [subcommand, "--help"],
                                                workingDirectory: folder, captureFolder: folder) else { return false }
            return result.status == 0 && result.standardOutput.contains("vae \(subcommand)")
        }

        guard let trainName = trainArgs.first, exists(trainName) else {
            train.note = "`vae \(trainArgs.first ?? "train")` does not exist in this build"
            sample.note = "needs a model saved by `vae train`"
            return (train, sample)
        }
        do {
            let result = try runMeasured(executable: executable, arguments: trainArgs, workingDirectory: folder,
                                         captureFolder: folder)
            let megabytes = Double(result.peakRSSBytes) / 1_048_576
            train.peakRSSMegabytes = megabytes
            train.wallMilliseconds = [result.wallSeconds * 1e3]
            train.medianMilliseconds = result.wallSeconds * 1e3
            if result.status == 0 {
                train.status = "measured"
                train.target = TargetCheck(value: BenchTargets.trainPeakRSSMegabytes,
                                           met: megabytes <= BenchTargets.trainPeakRSSMegabytes)
            } else {
                train.status = "failed"
                train.note = "exit status \(result.status): \(result.messageTail())"
            }
        } catch {
            train.status = "failed"
            train.note = "\(error)"
        }
        guard train.status == "measured" else {
            sample.note = "needs a model saved by `vae train`, which failed"
            return (train, sample)
        }
        guard let sampleName = sampleArgs.first, exists(sampleName) else {
            sample.note = "`vae \(sampleArgs.first ?? "sample")` does not exist in this build"
            return (train, sample)
        }
        var times: [Double] = []
        for _ in 0..<sampleRuns {
            do {
                let result = try runMeasured(executable: executable, arguments: sampleArgs, workingDirectory: folder,
                                             captureFolder: folder)
                guard result.status == 0 else {
                    sample.status = "failed"
                    sample.note = "exit status \(result.status): \(result.messageTail())"
                    return (train, sample)
                }
                times.append(result.wallSeconds * 1e3)
            } catch {
                sample.status = "failed"
                sample.note = "\(error)"
                return (train, sample)
            }
        }
        let medianTime = median(times)
        sample.status = "measured"
        sample.wallMilliseconds = times
        sample.medianMilliseconds = medianTime
        sample.target = TargetCheck(value: BenchTargets.sampleMilliseconds, met: medianTime <= BenchTargets.sampleMilliseconds)
        return (train, sample)
    }

    /// Splits an argument template at spaces and fills in `{data}`.
    private func splitArguments(_ template: String, data: String) -> [String] {
        template.split(separator: " ", omittingEmptySubsequences: true).map {
            $0.replacingOccurrences(of: "{data}", with: data)
        }
    }

    // MARK: output

    /// `threads=2 images/s=57,300 GFLOP/s=188 sgemm%=82 step=2.23ms (prep 4% fwd+bwd 86% adam 10%) target 55,000: met`.
    private func trainingLine(_ r: TrainingResult) -> String {
        var line = "threads=\(r.threads) images/s=\(formatThousands(Int(r.imagesPerSecond.rounded()))) "
            + "GFLOP/s=\(formatFixed(r.achievedGFLOPS, decimals: 0)) sgemm%=\(formatFixed(r.sgemmPercent, decimals: 0)) "
            + "step=\(formatFixed(r.step.stepMilliseconds, decimals: 2))ms "
            + "(prep \(formatFixed(r.step.batchPreparationPercent, decimals: 0))% "
            + "fwd+bwd \(formatFixed(r.step.forwardBackwardPercent, decimals: 0))% "
            + "adam \(formatFixed(r.step.optimizerPercent, decimals: 0))%)"
        if let target = r.target {
            line += " target \(formatThousands(Int(target.value))): \(target.met ? "met" : "NOT met")"
        }
        return line
    }

    private func describeTrain(_ m: CommandMeasurement) -> String {
        guard m.status == "measured", let rss = m.peakRSSMegabytes else {
            return "\(m.status) (\(m.note ?? "no reason given"))"
        }
        return "`vae \(m.arguments.joined(separator: " "))` peak RSS \(formatFixed(rss, decimals: 1)) MB "
            + "in \(formatFixed((m.medianMilliseconds ?? 0) / 1e3, decimals: 1)) s"
            + (m.target.map { " (target ≤ \(formatFixed($0.value, decimals: 0)) MB: \($0.met ? "met" : "NOT met"))" } ?? "")
    }

    private func describeSample(_ m: CommandMeasurement) -> String {
        guard m.status == "measured", let medianTime = m.medianMilliseconds else {
            return "\(m.status) (\(m.note ?? "no reason given"))"
        }
        let runs = (m.wallMilliseconds ?? []).map { formatFixed($0, decimals: 1) }.joined(separator: ", ")
        return "`vae \(m.arguments.joined(separator: " "))` median \(formatFixed(medianTime, decimals: 1)) ms "
            + "over \(m.wallMilliseconds?.count ?? 0) runs [\(runs)]"
            + (m.target.map { " (target ≤ \(formatFixed($0.value, decimals: 0)) ms: \($0.met ? "met" : "NOT met"))" } ?? "")
    }

    /// The one line per kernel setting: most threads first, then the others after `|`, then memory and sampling.
    private func summaryLine(kernels: KernelSetting, training: [TrainingResult], sgemm: SGEMMResult,
                             train: CommandMeasurement, sample: CommandMeasurement, benchRSS: Double) -> String {
        var parts = ["summary kernels=\(BLAS.coreName)(\(kernels.rawValue)) sgemm1t=\(formatFixed(sgemm.combinedGFLOPS, decimals: 1))GFLOP/s"]
        for r in training.sorted(by: { $0.threads > $1.threads }) { parts.append(trainingLine(r)) }
        var tail = "benchRSS=\(formatFixed(benchRSS, decimals: 0))MB"
        if let rss = train.peakRSSMegabytes, train.status == "measured" {
            tail += " trainRSS=\(formatFixed(rss, decimals: 1))MB (target 64MB: \(train.target?.met == true ? "met" : "NOT met"))"
        } else {
            tail += " trainRSS=\(train.status)"
        }
        if let ms = sample.medianMilliseconds, sample.status == "measured" {
            tail += " sample64=\(formatFixed(ms, decimals: 0))ms (target 50ms: \(sample.target?.met == true ? "met" : "NOT met"))"
        } else {
            tail += " sample64=\(sample.status)"
        }
        parts.append(tail)
        return parts.joined(separator: " | ")
    }

    /// Writes the JSON result file (adding to it with `--append`) and returns its path.
    private func writeReport(setting: BenchSettingResult, cpu: String) throws -> String {
        let now = Date()
        let path: String
        if let json {
            path = json
        } else {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            path = "bench-results/bench-\(formatter.string(from: now)).json"
        }
        let url = URL(fileURLWithPath: path)
        var report = BenchReport(schema: BenchReport.currentSchema, date: ISO8601DateFormatter().string(from: now),
                                 cpuModel: cpu, cpuMHz: cpuMegahertz(), logicalCPUs: ProcessInfo.processInfo.activeProcessorCount, settings: [])
        if append, FileManager.default.fileExists(atPath: url.path) {
            do {
                report = try JSONDecoder().decode(BenchReport.self, from: Data(contentsOf: url))
            } catch {
                throw BenchError.resultFile(path: path, reason: "cannot add to it, it is not a \(BenchReport.currentSchema) file (\(error))")
            }
            guard report.schema == BenchReport.currentSchema else {
                throw BenchError.resultFile(path: path, reason: "schema \(report.schema), expected \(BenchReport.currentSchema)")
            }
        }
        report.settings.append(setting)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(report).write(to: url, options: .atomic)
        } catch {
            throw BenchError.resultFile(path: path, reason: error.localizedDescription)
        }
        return path
    }
}

/// Seconds `body` takes (monotonic clock).
private func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

/// The median of `values` (mean of the middle two for an even count); NaN when empty.
private func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

private extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// A, B and C buffers for one product, filled with uniform noise.
private struct GEMMOperands {
    let shape: GEMMShape
    let a: UnsafeMutableBufferPointer<Float>
    let b: UnsafeMutableBufferPointer<Float>
    let c: UnsafeMutableBufferPointer<Float>

    init(shape: GEMMShape, generator: inout SeededGenerator) {
        self.shape = shape
        a = .allocate(capacity: shape.m * shape.k)
        b = .allocate(capacity: shape.k * shape.n)
        c = .allocate(capacity: shape.m * shape.n)
        generator.fillUniform(a, low: -1, high: 1)
        generator.fillUniform(b, low: -1, high: 1)
        c.initialize(repeating: 0)
    }

    /// One sgemm call, C = A·B (+ beta·C) as the shape says.
    func call() {
        gemm(transposeA: shape.transposeA ? .transposed : .none, transposeB: shape.transposeB ? .transposed : .none,
             m: shape.m, n: shape.n, k: shape.k, a: UnsafePointer(a.baseAddress!), lda: shape.lda,
             b: UnsafePointer(b.baseAddress!), ldb: shape.ldb, beta: shape.beta, c: c.baseAddress!, ldc: shape.n)
    }

    func deallocate() { a.deallocate(); b.deallocate(); c.deallocate() }
}

/// Carries buffers into a concurrent closure whose threads touch disjoint ones.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
