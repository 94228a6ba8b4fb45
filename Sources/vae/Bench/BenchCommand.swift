// `vae bench`: the speed benchmark. Measures single-thread sgemm on the model's own matrix shapes,
// training throughput on 1 and 2 threads (in rounds, alternating with the JAX and PyTorch peers when
// given), where a step's time goes, peak memory of `vae train` and the latency of `vae sample --n 64`;
// prints summary lines with the shares of the sgemm rate and the peer ratios, and writes a JSON file.

import ArgumentParser
import Dispatch
import Foundation
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

/// `vae bench`: measures training speed, sgemm efficiency, memory and sampling latency.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training speed, sgemm efficiency, peak memory and sampling latency.",
        discussion: """
        Trains the default model (784-400-20, batch 128, Adam) on the training images of --data for \
        --epochs timed epochs after --warmup-epochs untimed ones, on each --threads count, first as \
        `vae train` runs it (the first layer skipping the zero pixels of sparse batches), then on the \
        dense path (every product through sgemm); measures \
        single-thread sgemm on the step's own matrix shapes; first of all runs `vae train` and \
        `vae sample --n 64` as child processes for peak memory and latency, while the benchmark itself \
        is small, since Linux counts the parent's memory into a child's peak (skipped with a note when \
        those subcommands are missing). A training run is compared with sgemm on the step's shapes \
        sampled between its own epochs (a pass of every shape before each timed epoch and one after the \
        last, all their calls over all their time), so that a slow stretch of a shared machine falls on \
        both; the share of a rate measured in a window of its own before the round's runs is printed \
        beside it as `window`. \
        With --rounds N the training measurement runs N times, and with --peers RUNNER each round runs \
        the peers (JAX on each thread count, PyTorch on the largest) on the same data and epochs right \
        next to vae's run on that thread count, vae first in odd rounds and last in even ones. A share \
        of the sgemm rate or a ratio to a peer is the median of the rounds' own. Then it times vae \
        evaluate's estimator \
        (--evaluation-samples per image on --evaluation-images test images) against the decoder's own sgemm \
        shapes on each thread count, alternating with PyTorch's estimator when the peers run. Prints summary lines and writes (or, \
        with --append, extends) a JSON file. Scripts/bench.sh --peers sets all this up.
        """)

    @Option(help: "Data folder in the MNIST layout. (default: ./data/mnist if present, else the bundled subset)")
    var data: String?

    @Option(help: ArgumentHelp("Hidden layer widths of the model, comma-separated, e.g. 1024 or 512,256; wider models "
                               + "show how the share of the sgemm rate grows with the work per step.",
                               valueName: "widths"))
    var hidden = "400"

    @Option(help: "Timed training epochs per thread count.")
    var epochs = 3

    @Option(help: "Untimed warm-up epochs before the timed ones.")
    var warmupEpochs = 1

    @Option(parsing: .upToNextOption, help: "Worker-thread counts to train with.")
    var threads: [Int] = [1, 2]

    @Option(help: "Rounds of the training measurement (each with its own sgemm measurement and peer runs); medians are taken over them.")
    var rounds = 1

    @Option(help: "Importance samples per image of the evaluation measurement (vae evaluate's estimator).")
    var evaluationSamples = 1000

    @Option(help: "Test images of the evaluation measurement.")
    var evaluationImages = 100

    @Flag(help: "Do not measure the evaluation estimator.")
    var skipEvaluation = false

    @Option(help: ArgumentHelp("Scripts/peers/run.sh, to run the JAX and PyTorch peers in each round (installed beforehand with its --setup-only).",
                               valueName: "runner"))
    var peers: String?

    @Option(help: "Seed of the model's initialisation and of training.")
    var seed: UInt64 = 1

    @Option(help: "Kernel setting this run stands for: env (environment unchanged) or auto (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset). (default: env if either variable is set, else auto)")
    var kernels: KernelSetting?

    @Option(help: "JSON result file. (default: bench-results/bench-<UTC date>.json)")
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

    @Option(help: "The vae executable for the child processes. (default: this program)")
    var vae: String?

    func validate() throws {
        guard let widths = parseWidths(hidden) else {
            throw ValidationError("--hidden must be a comma list of positive widths such as 400 or 512,256 (got '\(hidden)').")
        }
        if peers != nil && widths != VAEConfiguration.defaultHidden {
            throw ValidationError("--peers trains the default model (--hidden 400); drop --peers to measure --hidden \(hidden).")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
        guard warmupEpochs >= 0 else { throw ValidationError("--warmup-epochs must be 0 or more (got \(warmupEpochs))") }
        guard !threads.isEmpty, threads.allSatisfy({ $0 >= 1 && $0 <= 256 }) else {
            throw ValidationError("--threads needs counts between 1 and 256 (got \(threads))")
        }
        guard sgemmSampleMilliseconds > 0 else { throw ValidationError("--sgemm-sample-milliseconds must be positive") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1 (got \(rounds))") }
        guard evaluationSamples >= 1 else { throw ValidationError("--evaluation-samples must be at least 1") }
        guard evaluationImages >= 1 else { throw ValidationError("--evaluation-images must be at least 1") }
        if let peers, !FileManager.default.fileExists(atPath: peers) {
            throw ValidationError("--peers: no file \(peers) (pass Scripts/peers/run.sh)")
        }
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
        let cpu = cpuDescription()
        print("CPU: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) logical CPUs")
        print("build: vae \(BuildTarget.versionLine)")
        let loadAtStart = loadAverages()
        if let load = loadAtStart {
            print("load average: \(load.map { formatFixed($0, decimals: 2) }.joined(separator: " "))"
                  + (load[0] > 0.5 ? "  (warning: the machine is busy; figures will be low)" : ""))
        }

        // Child processes first, while this process is small: vae train (peak memory) and vae sample
        // (latency). Linux counts into a child's peak the memory of the process that started it.
        let location = try DataLocation.resolve(explicitFolder: data)
        var trainMeasurement = CommandMeasurement(status: "skipped", note: "--skip-commands given",
                                                  arguments: splitArguments(trainArguments, data: location.folder.path))
        var sampleMeasurement = CommandMeasurement(status: "skipped", note: "--skip-commands given",
                                                   arguments: splitArguments(sampleArguments, data: location.folder.path))
        if !skipCommands {
            (trainMeasurement, sampleMeasurement) = measureCommands(dataFolder: location.folder.path)
        }

        // Data and model.
        let dataset = try MNISTDataset(folder: location.folder)
        let images = dataset.train
        guard images.count > 0 else { throw BenchError.noTrainingImages(folder: location.folder.path) }
        let configuration = VAEConfiguration(inputSize: images.featureCount, hidden: parseWidths(hidden) ?? VAEConfiguration.defaultHidden)
        var initGenerator = SeededGenerator(seed: seed)
        let probeModel = VAE(configuration: configuration, generator: &initGenerator)
        let layerSizes = [configuration.inputSize] + configuration.hidden + [configuration.latent]
        let batchSize = 128
        let stepShapes = GEMMShape.trainingStep(of: probeModel, batch: batchSize)
        let gemmFlopsPerImage = stepShapes.reduce(0) { $0 + $1.flops } / Double(batchSize)
        let nominalFlopsPerImage = 6 * Double(probeModel.multiplyAddsPerExample)
        let inputDensity = Double(images.pixels.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }) / Double(max(images.pixels.count, 1))
        print("data: \(location.description), \(formatCount(images.count)) training images, "
              + "\(formatFixed(100 * inputDensity, decimals: 1)) % of their pixels nonzero")
        print("model: \(layerSizes.map(String.init).joined(separator: "-")), "
              + "\(formatCount(probeModel.multiplyAddsPerExample)) multiply-adds per example; "
              + "GEMM work per training image \(formatFixed(gemmFlopsPerImage / 1e6, decimals: 2)) MFLOP "
              + "(3 × 2 × multiply-adds would be \(formatFixed(nominalFlopsPerImage / 1e6, decimals: 2)); "
              + "the first layer's input gradient is not computed)")

        // sgemm on the step's shapes: in full once (per shape), then again in every round, just before
        // the training on the same thread count that it is compared with.
        BLAS.setThreadCount(1)
        print("\nsgemm, 1 OpenBLAS thread, batch \(batchSize):")
        let sgemm = measureSGEMM(shapes: stepShapes, batch: batchSize, verbose: true)
        print("  combined, weighted by the step's FLOPs: \(formatFixed(sgemm.combinedGFLOPS, decimals: 1)) GFLOP/s")
        /// Rows of one worker's share of the batch on `t` threads (the whole batch on one).
        func workerRows(_ t: Int) -> Int { (batchSize + t - 1) / t }
        var perWorker: [SGEMMResult] = []
        for t in Set(threads).sorted() where t > 1 {
            let rows = workerRows(t)
            let shapes = GEMMShape.trainingStep(of: probeModel, batch: rows)
            let alone = measureSGEMM(shapes: shapes, batch: rows, verbose: false)
            let together = measureSGEMM(shapes: shapes, batch: rows, concurrency: t, verbose: false)
            perWorker += [alone, together]
            print("  at a worker's share of the batch (\(rows) rows): "
                  + "\(formatFixed(alone.combinedGFLOPS, decimals: 1)) GFLOP/s on 1 thread, "
                  + "\(formatFixed(together.combinedGFLOPS, decimals: 1)) GFLOP/s in total on \(t) threads at once")
        }
        /// The step's products on `t` threads at a worker's share of the batch, made once per thread count
        /// and kept (its operands and calls per sample serve every measurement on it): sampled between a
        /// training run's epochs, and in a window of its own before each round's runs.
        var samplers: [Int: SGEMMSampler] = [:]
        func sampler(threads t: Int) -> SGEMMSampler {
            if let made = samplers[t] { return made }
            let rows = workerRows(t)
            let made = SGEMMSampler(shapes: GEMMShape.trainingStep(of: probeModel, batch: rows), batch: rows,
                                    concurrency: t, sampleMilliseconds: sgemmSampleMilliseconds)
            samplers[t] = made
            return made
        }
        /// The sgemm rate of `t` threads measured now, in a window of its own.
        func sgemmRate(threads t: Int) -> Double { sampler(threads: t).windowResult().combinedGFLOPS }

        // Training throughput, in rounds; each thread count's run sits next to the peers' runs on it.
        print("\ntraining: the trainer as `vae train` runs it (the first layer skips the zero pixels of batches "
              + "with at most \(formatFixed(100 * Tape.sparseInputDensityLimit, decimals: 0)) % nonzero), then the dense path "
              + "(every product through sgemm; its sgemm% is the share of the roofline), on each thread count")
        print("training: \(formatCount(images.count)) images, batch \(batchSize), "
              + "\(warmupEpochs) warm-up + \(epochs) timed epochs, seed \(seed), \(rounds) round\(rounds == 1 ? "" : "s")"
              + "; each run against sgemm sampled before each timed epoch and after the last"
              + (peers == nil ? "" : "; on each thread count sgemm in a window of its own, then vae and the peers "
                 + "back to back (vae first in odd rounds, last in even ones)"))
        var training: [TrainingResult] = []
        var peerRuns: [PeerRun] = []
        var sgemmRounds: [SGEMMRound] = []
        for round in 1...rounds {
            func train(threads t: Int, skipping: Bool, against rate: Double) throws {
                let result = try measureTraining(data: images, configuration: configuration, threads: t,
                                                 skipsZeroInputs: skipping, batchSize: batchSize, round: round,
                                                 gemmFlopsPerImage: gemmFlopsPerImage, reference: sampler(threads: t),
                                                 separateWindowGFLOPS: rate)
                training.append(result)
                print("  round \(round): " + trainingLine(result)
                      + " against sgemm \(formatFixed(result.sgemmGFLOPS, decimals: 1)) GFLOP/s between its epochs")
            }
            var references: [SGEMMRound] = []
            for t in threads {
                let reference = SGEMMRound(round: round, threads: t, gflops: sgemmRate(threads: t))
                references.append(reference)
                print("  round \(round): sgemm on \(t) thread\(t == 1 ? "" : "s"): "
                      + "\(formatFixed(reference.gflops, decimals: 1)) GFLOP/s")
                let vaeFirst = round % 2 == 1
                if vaeFirst { try train(threads: t, skipping: true, against: reference.gflops) }
                if let runner = peers {
                    let contenders = PeerContender.all(threads: threads).filter { $0.threads == t }
                    for contender in vaeFirst ? contenders : contenders.reversed() {
                        let run = runPeer(contender, runner: runner, dataFolder: location.folder.path, round: round)
                        peerRuns.append(run)
                        print("  round \(round): \(contender.label): "
                              + (run.imagesPerSecond.map { "images/s=\(formatCount(Int($0.rounded())))" }
                                 ?? "\(run.status) (\(run.note ?? ""))"))
                    }
                }
                if !vaeFirst { try train(threads: t, skipping: true, against: reference.gflops) }
            }
            for reference in references { try train(threads: reference.threads, skipping: false, against: reference.gflops) }
            sgemmRounds += references
        }
        let contenders = contenders(training: training, peerRuns: peerRuns)
        let ratios = ratios(training: training, peerRuns: peerRuns, contenders: contenders)
        let evaluation = skipEvaluation ? nil
            : measureEvaluation(dataset: dataset, model: probeModel, dataFolder: location.folder.path)

        let benchRSS = Double(selfPeakRSSBytes()) / 1_048_576
        print("\nmemory: bench process peak RSS \(formatFixed(benchRSS, decimals: 0)) MB; "
              + "vae train: \(describeTrain(trainMeasurement))")
        print("sample: \(describeSample(sampleMeasurement))")

        let summary = summaryLines(cpu: cpu, kernels: kernels, layers: layerSizes, trainImages: images.count, training: training, contenders: contenders, ratios: ratios,
                                   sgemmRounds: sgemmRounds, train: trainMeasurement, sample: sampleMeasurement)
            + (evaluation.map { [$0.summary] } ?? [])
        print("\n" + summary.joined(separator: "\n"))

        let setting = BenchSettingResult(
            kernels: kernels, environment: blasEnvironment, openblasCoreName: BLAS.coreName,
            openblasConfiguration: BLAS.configuration, dataFolder: location.folder.path,
            dataOrigin: location.origin.rawValue, trainImages: images.count, inputDensity: inputDensity, layers: layerSizes,
            multiplyAddsPerExample: probeModel.multiplyAddsPerExample, gemmFlopsPerImage: gemmFlopsPerImage,
            nominalFlopsPerImage: nominalFlopsPerImage, seed: seed, sgemm: sgemm, sgemmPerWorker: perWorker,
            sgemmRounds: sgemmRounds,
            training: training, peerRuns: peerRuns, contenders: contenders, ratios: ratios, evaluation: evaluation,
            benchPeakRSSMegabytes: benchRSS, loadAverageAtStart: loadAtStart,
            loadAverageAtEnd: loadAverages(), train: trainMeasurement,
            sample: sampleMeasurement, summary: summary)
        let path = try writeReport(setting: setting, cpu: cpu)
        print("results: \(path)")
    }

}
