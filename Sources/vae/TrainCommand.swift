import ArgumentParser
import Foundation
import MNISTData
import TensorCore
import VAEModel
import VAERun

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a VAE and save it in a run folder.",
        discussion: """
            Without --data or --dataset, uses ./data/mnist if it holds training images, else the bundled \
            MNIST subset (4,000 training and 1,000 test images). --dataset fashion-mnist (or kmnist) uses \
            data/fashion-mnist, else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist). \
            The run folder (-o/--out; default: runs/run-NNN) receives model.safetensors, trainer-state.safetensors, \
            config.json, metrics.jsonl and samples/. With --resume, --epochs counts the further epochs to train. \
            Ctrl-C (or SIGTERM) stops after the current batch: the run folder keeps the last complete epoch and \
            the command to continue is printed (a run stopped in its first epoch leaves no folder); a second \
            Ctrl-C stops at once.
            """)

    /// Defaults shown in the help, from the one place the run takes them from.
    private static let images = ArchitectureDefaults.forDataset(.mnist), roll = ArchitectureDefaults.forDataset(.swissRoll)
    private static let training = TrainingSettings()

    // Model
    @Option(parsing: .unconditional, help: "Training epochs (with --resume: further epochs).")
    var epochs: Int = 10
    @Option(parsing: .unconditional, help: ArgumentHelp("Examples per batch. (default: \(training.batchSize))", valueName: "n"))
    var batchSize: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Adam learning rate. (default: \(training.learningRate))", valueName: "rate"))
    var lr: Float?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Latent dimensions. (default: \(images.latent); \(roll.latent) for the Swiss roll)", valueName: "n"))
    var latent: Int?
    @Option(help: ArgumentHelp("Hidden widths, a comma list such as 512,256. (default: \(widths(images.hidden)); "
                               + "\(widths(roll.hidden)) for the Swiss roll)", valueName: "widths"))
    var hidden: String?
    @Option(help: "Hidden activation. (default: \(images.activation.rawValue))")
    var activation: Activation?
    @Option(help: "Reconstruction loss. (default: \(images.loss.rawValue); \(roll.loss.rawValue) for the Swiss roll)")
    var loss: ReconstructionLoss?
    @Option(name: .customLong("output-activation"),
            help: ArgumentHelp("The decoder's output activation; tanh scales the data to [-1, 1]. "
                + "(default: \(images.output.rawValue); \(roll.output.rawValue) for the Swiss roll)"))
    var outputActivation: OutputActivation?
    /// The flag's old name, kept hidden only to point at the new one (a bare --output would otherwise be
    /// taken for --out, the run folder).
    @Option(name: .customLong("output"), help: ArgumentHelp(visibility: .private))
    var renamedOutput: String?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Weight of the KL term. (default: \(images.beta); \(roll.beta) for the Swiss roll)", valueName: "beta"))
    var beta: Float?
    @Flag(help: "Train a conditional VAE (the one-hot label goes to the encoder and decoder).")
    var conditional = false
    @Option(name: .customLong("kl-warmup"), parsing: .unconditional,
            help: ArgumentHelp("KL warm-up: beta rises linearly from 0 over the first N epochs, per batch; 0 is off. (default: 0)",
                               valueName: "epochs"))
    var klWarmup: Int?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Free bits: each latent dimension's KL, averaged over the batch, counts as at least this many "
                               + "nats; 0 is off. (default: 0)", valueName: "nats"))
    var freeBits: Float?

    // Data
    @Option(help: ArgumentHelp("A folder of MNIST-style IDX files (train-images-idx3-ubyte[.gz], ...).", valueName: "dir"))
    var data: String?
    @Option(help: ArgumentHelp("Data set: MNIST (from --data, ./data/mnist or the bundled subset), Fashion-MNIST or KMNIST "
                + "(from data/NAME or /usr/share/datasets/NAME), or the 2-D Swiss-roll toy. (default: mnist)"))
    var dataset: DatasetKind?
    @Option(parsing: .unconditional, help: ArgumentHelp("Train on the first N training examples only.", valueName: "n"))
    var limit: Int?
    @Flag(help: "Dynamic binarization: each pixel drawn as Bernoulli(intensity) every time it is used.")
    var binarize = false

    // Run
    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed. (default: \(training.seed))", valueName: "n"))
    var seed: UInt64?
    @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads. (default: the number of cores, at most 4)", valueName: "n"))
    var threads: Int?
    @Option(name: [.customShort("o"), .long],
            help: ArgumentHelp("Run folder. (default: the next runs/run-NNN; with --resume, the resumed run)", valueName: "dir"))
    var out: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("When not on a terminal, print a progress line every N batches.", valueName: "n"))
    var logInterval: Int = 50
    @Option(help: ArgumentHelp("Continue a run: its folder or its model.safetensors.", valueName: "run"))
    var resume: String?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Write a sample grid every N epochs; 0 is never. (default: \(training.sampleEvery))", valueName: "n"))
    var sampleEvery: Int?

    func validate() throws {
        if renamedOutput != nil {
            throw ValidationError("--output is now --output-activation (sigmoid, tanh or linear); the run folder is -o/--out.")
        }
        // The rules for each setting, and the memory training would need, are the ones saved settings
        // are checked by (VAERun's SettingsValidation).
        if let problem = TrainingSettings.epochsProblem(epochs) { throw ValidationError(problem + ".") }
        if let hidden, parseWidths(hidden) == nil {
            throw ValidationError("--hidden must be a comma list of positive widths such as 400 or 512,256 (got '\(hidden)').")
        }
        guard logInterval > 0 else { throw ValidationError("--log-interval must be at least 1 (got \(logInterval)).") }
        if dataset == .swissRoll && (data != nil || binarize || conditional) {
            throw ValidationError("--dataset swiss-roll takes no --data, --binarize or --conditional.")
        }
        if let dataset, dataset == .fashionMNIST || dataset == .kmnist, data != nil {
            throw ValidationError("--dataset \(dataset.rawValue) and --data name two sources of images; give one of them.")
        }
        if let problem = request.problems.first { throw ValidationError(problem + ".") }
    }

    /// The flags as a request (nil: not given).
    var request: RunRequest {
        var request = RunRequest()
        request.hidden = hidden.flatMap(parseWidths)
        request.latent = latent
        request.activation = activation
        request.outputActivation = outputActivation
        request.loss = loss
        request.beta = beta
        request.conditional = conditional
        request.dataFolder = data
        request.dataset = dataset
        request.limit = limit
        request.binarize = binarize
        request.batchSize = batchSize
        request.learningRate = lr
        request.seed = seed
        request.threads = threads
        request.sampleEvery = sampleEvery
        request.klWarmupEpochs = klWarmup
        request.freeBits = freeBits
        request.out = out
        request.resume = resume
        return request
    }

    func run() throws {
        Interrupts.install()
        let session = try TrainingSession(plan: TrainingPlan.make(request))
        report(session)

        let last = session.nextEpoch + epochs - 1
        let onTerminal = redrawsLines(on: STDERR_FILENO)
        var bar: ProgressBar?
        // A run that stops (an exploding loss, a failed write) erases its progress line before the error is printed.
        defer { bar?.finish() }
        let outcome: TrainingOutcome
        do {
            outcome = try session.train(epochs: epochs, progress: { epoch, p in
                let speed = Double(p.examples) / max(p.elapsed, 1e-9)
                if onTerminal {
                    if bar == nil { bar = ProgressBar(epoch: epoch, epochCount: last, totalBatches: session.batchesPerEpoch) }
                    bar?.update(completed: p.batch, loss: p.runningLoss, imagesPerSecond: speed)
                } else if p.batch % logInterval == 0 && p.batch < p.batchCount {
                    say("epoch \(epoch)/\(last)  batch \(p.batch)/\(p.batchCount)  loss \(formatFixed(p.runningLoss, decimals: 2))"
                        + "  \(formatCount(Int(speed))) img/s")
                }
            }, finished: { record in
                bar?.finish()
                bar = nil
                say(record.summaryLine(lastEpoch: last))
            }, stopRequested: { Interrupts.requested != nil })
        } catch let error as TrainingError {
            throw error
        } catch {
            // A write that failed (a full disk): the folder still holds the last complete epoch.
            guard session.savedEpoch > 0 else { throw error }
            let shown = displayPath(session.run.url)
            throw CommandError("\(error) Epoch \(session.savedEpoch) is kept in \(shown); once that is fixed, continue with: "
                + "vae train --resume \(shellQuoted(shown)) --epochs \(last - session.savedEpoch)")
        }
        let shown = displayPath(session.run.url)
        if case let .stopped(epoch, kept) = outcome {
            bar?.finish()
            let signal = Interrupts.requested ?? SIGINT
            printError(interruptionLine(signal: signal, epoch: epoch, kept: kept, last: last, folder: session.run.url))
            throw ExitCode(Interrupts.exitStatus(for: signal))
        }
        say("Saved \(shown)/\(Checkpoint.modelFileName) (metrics in \(shown)/metrics.jsonl"
            + (session.settings.training.sampleEvery > 0 ? ", sample grids in \(shown)/samples/)" : ")"))
    }

    /// What a stopped run kept and the command that continues it, e.g. "Interrupted in epoch 4 (Ctrl-C):
    /// kept epoch 3 in runs/run-003; continue with: vae train --resume runs/run-003 --epochs 7".
    private func interruptionLine(signal: Int32, epoch: Int, kept: Int, last: Int, folder: URL) -> String {
        let shown = displayPath(folder)
        let head = "Interrupted in epoch \(epoch) (\(Interrupts.name(of: signal)))"
        guard kept > 0 else {
            let what = FileManager.default.fileExists(atPath: folder.path) ? "the files it made in \(shown) were removed"
                : "\(shown) was removed"
            return head + ": no epoch was complete, so nothing was kept and \(what)."
        }
        return head + ": kept epoch \(kept) in \(shown); continue with: vae train --resume \(shellQuoted(shown)) --epochs \(last - kept)"
    }

    private func report(_ session: TrainingSession) {
        let m = session.settings.model, t = session.settings.training
        if let note = session.data.note { say("Note: \(note)") }
        say("Data: \(session.data.description)")
        say("Model: \(m.summary); \(formatCount(session.model.parameterCount)) parameters")
        let resumed = session.nextEpoch > 1 ? ", resuming after epoch \(session.nextEpoch - 1)" : ""
        var extras = ""
        if t.klSchedule.warmupEpochs > 0 { extras += ", KL warm-up \(t.klSchedule.warmupEpochs) epochs" }
        if t.klSchedule.freeBits > 0 { extras += ", free bits \(t.klSchedule.freeBits) nats" }
        say("Run: \(displayPath(session.run.url)) (batch \(t.batchSize), lr \(t.learningRate), seed \(t.seed), "
            + "threads \(t.threads)\(extras)\(resumed))")
    }
}

/// Widths as the --hidden flag takes them: `[512, 256]` → "512,256".
private func widths(_ hidden: [Int]) -> String { hidden.map(String.init).joined(separator: ",") }
