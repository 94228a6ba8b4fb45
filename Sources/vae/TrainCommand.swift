import ArgumentParser
import Foundation
import MNISTData
import TensorCore
import VAEModel

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a VAE and save it in a run folder.",
        discussion: """
            Without --data, uses ./data/mnist if it exists, else the bundled MNIST subset \
            (4,000 training and 1,000 test images). The run folder (default runs/run-NNN) receives \
            model.safetensors, trainer-state.safetensors, config.json, metrics.jsonl and samples/. \
            With --resume, --epochs counts the further epochs to train.
            """)

    // Model
    @Option(parsing: .unconditional, help: "Training epochs (with --resume: further epochs).")
    var epochs: Int = 10
    @Option(parsing: .unconditional, help: ArgumentHelp("Examples per batch (default 128).", valueName: "n"))
    var batchSize: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Adam learning rate (default 1e-3).", valueName: "rate"))
    var lr: Float?
    @Option(parsing: .unconditional, help: ArgumentHelp("Latent dimensions (default 20; 2 for the Swiss roll).", valueName: "n"))
    var latent: Int?
    @Option(help: ArgumentHelp("Hidden widths, a comma list such as 512,256 (default 400; 128,128 for the Swiss roll).",
                               valueName: "widths"))
    var hidden: String?
    @Option(help: "Hidden activation: relu, leaky-relu or tanh (default relu).")
    var activation: Activation?
    @Option(help: "Reconstruction loss: bce, mse or l1 (default bce; mse for the Swiss roll).")
    var loss: ReconstructionLoss?
    @Option(help: "Output activation: sigmoid, tanh (data scaled to [-1, 1]) or linear (default: sigmoid; linear for the Swiss roll).")
    var output: OutputActivation?
    @Option(parsing: .unconditional, help: ArgumentHelp("Weight of the KL term (default 1.0; 0.1 for the Swiss roll).", valueName: "beta"))
    var beta: Float?
    @Flag(help: "Train a conditional VAE (the one-hot label goes to the encoder and decoder).")
    var conditional = false

    // Data
    @Option(help: ArgumentHelp("A folder of MNIST-style IDX files (train-images-idx3-ubyte[.gz], ...).", valueName: "dir"))
    var data: String?
    @Option(help: "mnist (images from --data or the default folder) or swiss-roll (2-D toy).")
    var dataset: DatasetKind?
    @Option(parsing: .unconditional, help: ArgumentHelp("Train on the first N training examples only.", valueName: "n"))
    var limit: Int?
    @Flag(help: "Dynamic binarization: each pixel drawn as Bernoulli(intensity) every time it is used.")
    var binarize = false

    // Run
    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed (default 1).", valueName: "n"))
    var seed: UInt64?
    @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads (default: the number of cores, at most 4).", valueName: "n"))
    var threads: Int?
    @Option(help: ArgumentHelp("Run folder (default: the next runs/run-NNN; with --resume, the resumed run).",
                               valueName: "dir"))
    var out: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("When not on a terminal, print a progress line every N batches.", valueName: "n"))
    var logInterval: Int = 50
    @Option(help: ArgumentHelp("Continue a run: its folder or its model.safetensors.", valueName: "run"))
    var resume: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Write a sample grid every N epochs, 0 for never (default 1).", valueName: "n"))
    var sampleEvery: Int?

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be at least 1 (got \(epochs)).") }
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize)).") }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number (got \(lr)).") }
        if let latent, latent <= 0 { throw ValidationError("--latent must be at least 1 (got \(latent)).") }
        if let hidden, parseWidths(hidden) == nil {
            throw ValidationError("--hidden must be a comma list of positive widths such as 400 or 512,256 (got '\(hidden)').")
        }
        if let beta, !(beta >= 0 && beta.isFinite) { throw ValidationError("--beta must be a number ≥ 0 (got \(beta)).") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1 (got \(limit)).") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be between 1 and 64 (got \(threads)).") }
        guard logInterval > 0 else { throw ValidationError("--log-interval must be at least 1 (got \(logInterval)).") }
        if let sampleEvery, sampleEvery < 0 { throw ValidationError("--sample-every must be 0 or more (got \(sampleEvery)).") }
        if loss == .bce, let output, output != .sigmoid {
            throw ValidationError("--loss bce needs --output sigmoid; use --loss mse or l1 with --output \(output.rawValue).")
        }
        if dataset == .swissRoll && (data != nil || binarize || conditional) {
            throw ValidationError("--dataset swiss-roll takes no --data, --binarize or --conditional.")
        }
    }

    func run() throws {
        var resumeRun: RunFolder?
        var saved: RunConfiguration?
        if let resume {
            let modelURL = try RunFolder.modelURL(for: resume)
            let run = RunFolder(url: modelURL.deletingLastPathComponent())
            resumeRun = run
            saved = try loadRunConfiguration(run, modelURL: modelURL)
        }
        let prepared = try makeConfiguration(saved: saved, resumePath: resume)
        let configuration = prepared.configuration, data = prepared.data
        if data.train.featureCount != configuration.model.inputSize {
            throw CommandError("The data has \(data.train.featureCount) values per example but the model in "
                + "\(resume ?? "the run") expects \(configuration.model.inputSize); use data with the same image size.")
        }
        let run: RunFolder
        if let out {
            run = RunFolder(url: URL(fileURLWithPath: out, isDirectory: true))
        } else if let resumeRun {
            run = resumeRun
        } else {
            run = RunFolder.next(in: URL(fileURLWithPath: RunFolder.defaultRoot, isDirectory: true))
        }
        if FileManager.default.fileExists(atPath: run.modelURL.path)
            && run.url.standardizedFileURL.path != resumeRun?.url.standardizedFileURL.path {
            throw CommandError("\(displayPath(run.url)) already holds a trained run; continue it with --resume \(displayPath(run.url)), "
                + "or choose another --out.")
        }
        let folderExisted = FileManager.default.fileExists(atPath: run.url.path)
        do {
            try train(configuration: configuration, data: data, run: run, resumeRun: resumeRun)
        } catch {
            // A new run that failed before its first checkpoint leaves no half-made folder behind.
            if !folderExisted && !FileManager.default.fileExists(atPath: run.modelURL.path) {
                try? FileManager.default.removeItem(at: run.url)
            }
            throw error
        }
    }

    private func train(configuration: RunConfiguration, data: LoadedData, run: RunFolder, resumeRun: RunFolder?) throws {
        let session = try TrainingSession(run: run, configuration: configuration, data: data, resumeFrom: resumeRun)
        report(session: session, run: run)

        let first = session.nextEpoch, last = session.nextEpoch + epochs - 1
        let onTerminal = isTerminal(STDERR_FILENO)
        for epoch in first...last {
            let bar = onTerminal ? ProgressBar(epoch: epoch, epochCount: last, totalBatches: batchCount(session)) : nil
            let record = try session.runEpoch { p in
                let speed = Double(p.examples) / max(p.elapsed, 1e-9)
                if let bar {
                    bar.update(completed: p.batch, loss: p.runningLoss, imagesPerSecond: speed)
                } else if p.batch % logInterval == 0 && p.batch < p.batchCount {
                    say("epoch \(epoch)/\(last)  batch \(p.batch)/\(p.batchCount)  loss \(formatFixed(p.runningLoss, decimals: 2))"
                        + "  \(formatThousands(Int(speed))) img/s")
                }
            }
            bar?.finish()
            say(summaryLine(record, last: last))
        }
        let shown = displayPath(run.url)
        say("Saved \(shown)/\(Checkpoint.modelFileName) (metrics in \(shown)/metrics.jsonl"
            + (configuration.training.sampleEvery > 0 ? ", sample grids in \(shown)/samples/)" : ")"))
    }

    private func batchCount(_ session: TrainingSession) -> Int {
        (session.data.train.count + session.trainer.batchSize - 1) / session.trainer.batchSize
    }

    private func summaryLine(_ r: EpochRecord, last: Int) -> String {
        func f(_ v: Double) -> String { formatFixed(v, decimals: 2) }
        var line = "epoch \(r.epoch)/\(last)  train loss \(f(r.trainLoss)) (recon \(f(r.trainReconstruction)) + KL \(f(r.trainKL)))"
        if let t = r.testLoss, let rc = r.testReconstruction, let kl = r.testKL {
            line += "  test loss \(f(t)) (recon \(f(rc)) + KL \(f(kl)))"
        }
        return line + "  \(formatThousands(Int(r.imagesPerSecond))) img/s  \(formatFixed(r.seconds, decimals: 1)) s"
    }

    private func report(session: TrainingSession, run: RunFolder) {
        let m = session.configuration.model, t = session.configuration.training
        say("Data: \(session.data.description)")
        let sizes = ([m.inputSize] + m.hidden + [m.latent]).map(String.init).joined(separator: "-")
        say("Model: \(m.isConditional ? "conditional " : "")VAE \(sizes), \(m.activation.rawValue), "
            + "\(m.output.rawValue) output, \(m.loss.rawValue) loss, beta \(m.beta); "
            + "\(formatThousands(session.model.parameterCount)) parameters")
        let resumed = session.nextEpoch > 1 ? ", resuming after epoch \(session.nextEpoch - 1)" : ""
        say("Run: \(displayPath(run.url)) (batch \(t.batchSize), lr \(t.learningRate), seed \(t.seed), "
            + "threads \(t.threads)\(resumed))")
    }

    private func loadRunConfiguration(_ run: RunFolder, modelURL: URL) throws -> RunConfiguration {
        guard let data = try? Data(contentsOf: run.configurationURL),
              let configuration = try? JSONDecoder().decode(RunConfiguration.self, from: data) else {
            throw CheckpointError.stateMismatch(path: run.configurationURL.path,
                                                reason: "config.json is missing or unreadable next to \(modelURL.lastPathComponent)")
        }
        guard FileManager.default.fileExists(atPath: run.trainerStateURL.path) else {
            throw CheckpointError.notFound(path: run.trainerStateURL.path,
                                           hint: "--resume needs the trainer state saved beside the model by 'vae train'.")
        }
        return configuration
    }

    /// The run's configuration (explicit flags, else the resumed run's values, else the defaults) and its data.
    private func makeConfiguration(saved: RunConfiguration?, resumePath: String?) throws -> PreparedRun {
        let kind = dataset ?? saved?.training.dataset ?? .mnist
        let isRoll = kind == .swissRoll
        var training = saved?.training ?? TrainingSettings(dataset: kind)
        training.dataset = kind
        if let data { training.dataFolder = data }
        if let limit { training.limit = limit }
        if let batchSize { training.batchSize = batchSize }
        if let lr { training.learningRate = lr }
        if let seed { training.seed = seed }
        if let sampleEvery { training.sampleEvery = sampleEvery }
        if saved == nil {
            training.threads = threads ?? min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4)
        } else if let threads {
            training.threads = threads
        }

        let chosenLoss = loss ?? saved?.model.loss ?? (isRoll ? .mse : .bce)
        let chosenOutput = output ?? saved?.model.output ?? (isRoll ? .linear : (chosenLoss == .bce ? .sigmoid : .sigmoid))
        if saved == nil {
            training.scaling = (binarize ? PixelScaling.binarized : chosenOutput == .tanh ? .symmetric : .unit).rawValue
        } else if binarize {
            training.scaling = PixelScaling.binarized.rawValue
        }
        let requested = VAEConfiguration(
            inputSize: 0,
            hidden: hidden.flatMap(parseWidths) ?? saved?.model.hidden ?? (isRoll ? [128, 128] : [400]),
            latent: latent ?? saved?.model.latent ?? (isRoll ? 2 : 20),
            activation: activation ?? saved?.model.activation ?? .relu,
            output: chosenOutput, loss: chosenLoss,
            beta: beta ?? saved?.model.beta ?? (isRoll ? 0.1 : 1),
            classes: conditional ? 10 : (saved?.model.classes ?? 0))
        if let saved {
            var differences: [String] = []
            if requested.hidden != saved.model.hidden { differences.append("--hidden \(requested.hidden) vs saved \(saved.model.hidden)") }
            if requested.latent != saved.model.latent { differences.append("--latent \(requested.latent) vs saved \(saved.model.latent)") }
            if requested.activation != saved.model.activation {
                differences.append("--activation \(requested.activation.rawValue) vs saved \(saved.model.activation.rawValue)")
            }
            if requested.output != saved.model.output { differences.append("--output \(requested.output.rawValue) vs saved \(saved.model.output.rawValue)") }
            if requested.loss != saved.model.loss { differences.append("--loss \(requested.loss.rawValue) vs saved \(saved.model.loss.rawValue)") }
            if requested.beta != saved.model.beta { differences.append("--beta \(requested.beta) vs saved \(saved.model.beta)") }
            if requested.classes != saved.model.classes { differences.append("--conditional vs saved unconditional") }
            if !differences.isEmpty {
                throw CheckpointError.architectureMismatch(path: resumePath ?? "", differences: differences)
            }
            let data = try LoadedData.load(training, requireLabels: saved.model.isConditional)
            return PreparedRun(configuration: RunConfiguration(model: saved.model, training: training), data: data)
        }
        // The input size and image size come from the data.
        let data = try LoadedData.load(training, requireLabels: requested.classes > 0)
        training.dataDescription = data.description
        var model = requested
        model.inputSize = data.train.featureCount
        model.imageHeight = data.imageHeight
        model.imageWidth = data.imageWidth
        let problems = model.problems
        if !problems.isEmpty { throw CommandError(problems.joined(separator: "; ")) }
        return PreparedRun(configuration: RunConfiguration(model: model, training: training), data: data)
    }
}

/// A run's configuration and the data it trains on (loaded once).
private struct PreparedRun {
    let configuration: RunConfiguration
    let data: LoadedData
}

/// A path relative to the current directory when it lies inside it, else the full path.
func displayPath(_ url: URL) -> String {
    let current = FileManager.default.currentDirectoryPath
    let path = url.standardizedFileURL.path
    if path.hasPrefix(current + "/") { return String(path.dropFirst(current.count + 1)) }
    return path
}
