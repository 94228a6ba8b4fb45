import ArgumentParser
import Foundation
import ImageIO
import MNISTData
import TensorCore
import VAEModel
import VAERun

extension Activation: ExpressibleByArgument {
    /// Hidden layers take relu, leaky-relu or tanh (identity and sigmoid are for outputs only).
    public init?(argument: String) {
        guard Activation.allValueStrings.contains(argument) else { return nil }
        self.init(rawValue: argument)
    }

    public static var allValueStrings: [String] { [Activation.relu, .leakyRelu, .tanh].map(\.rawValue) }
}
extension OutputActivation: ExpressibleByArgument {}
extension ReconstructionLoss: ExpressibleByArgument {}
extension DatasetKind: ExpressibleByArgument {}

/// `--model`: which saved model `sample`, `reconstruct` and the other commands that use one read.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model.safetensors file or a run folder. (default: the most recent run under ./\(RunFolder.defaultRoot))",
        valueName: "path"))
    var model: String?

    /// Reads the model `--model` names (or the most recent run's) with its settings, for commands that
    /// only run it: OpenBLAS is set to one thread, since a few small products would only make threads spin.
    func loadModel() throws -> SavedModel {
        BLAS.setThreadCount(1)
        return try SavedModel.read(from: resolveModelURL())
    }

    /// The model file to read, saying which one when it was found by default.
    func resolveModelURL() throws -> URL {
        if let model { return try RunFolder.modelURL(for: model) }
        let root = URL(fileURLWithPath: RunFolder.defaultRoot, isDirectory: true)
        guard let run = try RunFolder.latest(in: root) else { throw RunFolderError.noRuns(root: RunFolder.defaultRoot) }
        let relative = RunFolder.defaultRoot + "/" + run.url.lastPathComponent + "/" + Checkpoint.modelFileName
        printError("Using model \(relative) (the most recent run)")
        return run.modelURL
    }
}

/// Parses a comma list of positive integers such as `512,256`.
func parseWidths(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else { return nil }
    return values
}

/// `text` as one shell word: as it is when it holds only letters, digits and `_ . / - + , : @ =`,
/// else in single quotes (a quote inside written as '\'').
func shellQuoted(_ text: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+,:@=")
    if !text.isEmpty && text.allSatisfy(plain.contains) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A problem found while a command runs (bad data, a model that does not fit the request):
/// printed as "Error: …" without usage help, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The URL of an output file named by `-o`, checked before any work (`TextOutput.check`): its folder must
/// exist, and the path must be free, a regular file, a device or a FIFO (links are followed).
///
/// `-` names standard output (`/dev/stdout`). When the output is standard output, by `-` or by a path
/// that leads there, the command's own report lines go to standard error, so that the file's bytes
/// reach the pipe alone: `vae sample -o - | display`.
func outputURL(_ path: String) throws -> URL {
    let url = URL(fileURLWithPath: path == "-" ? "/dev/stdout" : path)
    try TextOutput.check(url)
    if StandardStreams.isStandardOutput(url.path) { StandardStreams.reportToStandardError() }
    return url
}

/// Refuses a model without an image size (the Swiss roll) for a command that draws images.
func requireImageModel(_ saved: SavedModel, command: String) throws {
    guard saved.model.configuration.imageHeight != nil else {
        throw CommandError("\(displayPath(saved.url)) is not an image model; '\(command)' draws images "
            + "(use 'vae sample' or 'vae latents' for the Swiss roll).")
    }
}

/// `--data`: the images a command shows or encodes a saved model with.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Data folder. (default: the data the model was trained on)", valueName: "dir"))
    var data: String?
}
