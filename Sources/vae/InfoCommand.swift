import ArgumentParser
import Foundation
import VAERun

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a saved model: architecture, parameters, training settings, epochs and last losses.",
        discussion: """
            Reads the model file (its tensors and its metadata: vae_config, vae_training, epochs_completed) and, \
            when the model lies in a run folder, the last line of metrics.jsonl. --json prints all of it as one \
            JSON object.

            Example: vae info runs/run-001 --json
            """)

    @Argument(help: ArgumentHelp("A model.safetensors file or a run folder. (default: the most recent run under ./\(RunFolder.defaultRoot))",
                                 valueName: "model"))
    var path: String?
    @OptionGroup var modelOptions: ModelOptions
    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if path != nil && modelOptions.model != nil { throw ValidationError("Give the model once: as an argument or with --model.") }
    }

    func run() throws {
        var options = modelOptions
        if let path { options.model = path }
        let info = try ModelInfo(options.loadModel())
        if json {
            say(encodeJSONPretty(info))
        } else {
            for line in info.lines { say(line) }
        }
    }
}
