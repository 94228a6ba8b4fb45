import Foundation
import SafeTensors
import Testing

/// Every subcommand, for checks that cover all help texts.
let allCommands = ["train", "sample", "reconstruct", "evaluate", "score", "encode", "latents", "manifold", "interpolate",
                   "traverse", "info", "plot", "download", "bench"]

/// The ARGUMENTS and OPTIONS sections of a help text, wrapped lines joined and spaces collapsed.
func optionText(_ help: String) -> String {
    guard let start = help.range(of: "ARGUMENTS:") ?? help.range(of: "OPTIONS:") else { return "" }
    return help[start.lowerBound...].split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

@Suite("interface")
struct InterfaceTests {
    @Test("every help text shows defaults one way, '(default: x)', as ArgumentParser writes them", arguments: allCommands)
    func defaultsOneWay(command: String) throws {
        try withSandbox { sandbox in
            let help = try sandbox.vaeSucceeds(command, "--help").stdout
            let options = optionText(help)
            #expect(!options.isEmpty, "\(command) --help has an OPTIONS section\n\(help)")
            var searchFrom = options.startIndex
            while let found = options.range(of: "default", options: .caseInsensitive, range: searchFrom..<options.endIndex) {
                let before = options[options.startIndex..<found.lowerBound]
                let after = options[found.upperBound...]
                #expect(before.hasSuffix("(") || before.hasSuffix("; "),
                        "'default' not as '(default: x)': …\(before.suffix(50))\(options[found])\(after.prefix(30))…")
                #expect(after.hasPrefix(": "), "'default' without ': ': …\(before.suffix(50))\(options[found])\(after.prefix(30))…")
                searchFrom = found.upperBound
            }
        }
    }

    @Test("train's output activation is --output-activation; -o/--out is its run folder; --output points to the new name")
    func trainFlagNames() throws {
        try withSandbox { sandbox in
            let help = try sandbox.vaeSucceeds("train", "--help").stdout
            #expect(help.contains("--output-activation") && help.contains("-o, --out <dir>"), "\(help)")
            #expect(!help.contains("--output <"), "\(help)")
            try sandbox.vaeSucceeds("train", "-o", "myrun", "--epochs", "1", "--limit", "64", "--hidden", "8", "--sample-every", "0",
                                    "--loss", "mse", "--output-activation", "tanh")
            let config = try JSONSerialization.jsonObject(with: sandbox.data("myrun/config.json")) as? [String: Any]
            #expect((config?["model"] as? [String: Any])?["output"] as? String == "tanh")
            let old = try expectFailureWritesNothing(sandbox, ["train", "--output", "tanh", "--loss", "mse"],
                                                     mentioning: ["--output is now --output-activation"])
            #expect(old.status == 64, "\(old)")
            try expectFailureWritesNothing(sandbox, ["train", "--loss", "bce", "--output-activation", "tanh"],
                                           mentioning: ["--output-activation sigmoid"])
        }
    }

    @Test("-n is short for --n in every command that has --n; reconstruct --nrow wraps the pairs of rows")
    func shortN() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "8", "--sample-every", "0")
            for command in ["sample", "reconstruct", "encode", "latents", "score"] {
                let help = try sandbox.vaeSucceeds(command, "--help").stdout
                #expect(help.contains("-n, --n <n>"), "\(command) --help\n\(help)")
            }
            try sandbox.vaeSucceeds("sample", "-n", "4", "--nrow", "2", "-o", "s.png")
            try expectGrayPNG(sandbox, "s.png", width: 62, height: 62)
            try sandbox.vaeSucceeds("reconstruct", "-n", "5", "--nrow", "2", "-o", "r.png")
            // 5 images, 2 a row: 3 pairs of rows (originals over reconstructions), the last pair half empty.
            let image = try expectGrayPNG(sandbox, "r.png", width: 2 * 30 + 2, height: 6 * 30 + 2)
            #expect(tile(image, x: 32, y: 122).allSatisfy { $0 == 0 }, "the sixth place of the third pair is empty")
            #expect(tile(image, x: 32, y: 152).allSatisfy { $0 == 0 }, "and so is its reconstruction's")
            try sandbox.vaeSucceeds("reconstruct", "-o", "default.png")
            try expectGrayPNG(sandbox, "default.png", width: 242, height: 62)
            try sandbox.vaeSucceeds("encode", "-n", "3", "-o", "codes.csv")
            #expect(try sandbox.text("codes.csv").split(separator: "\n").count == 4, "a header and 3 rows")
        }
    }

    @Test("--dataset: the same names in train and download; fashion-mnist found in data/fashion-mnist and stored by name")
    func datasetNames() throws {
        try withSandbox { sandbox in
            for command in ["train", "download"] {
                let help = optionText(try sandbox.vaeSucceeds(command, "--help").stdout)
                #expect(help.contains("values: mnist, fashion-mnist, kmnist, swiss-roll"), "\(command): \(help)")
            }
            try expectFailureWritesNothing(sandbox, ["download", "--dataset", "swiss-roll"], mentioning: ["swiss-roll", "generated"])
            try writeIDXFolder(sandbox, "data/fashion-mnist", height: 28, width: 28, train: 40, test: 10)
            let train = try sandbox.vaeSucceeds("train", "--dataset", "fashion-mnist", "--epochs", "1", "--hidden", "8",
                                                "--sample-every", "0")
            #expect(train.stdout.contains("Fashion-MNIST in data/fashion-mnist: 40 train"), "\(train)")
            let metadata = try SafeTensorsFile(contentsOf: sandbox.url("runs/run-001/model.safetensors")).metadata
            let training = try JSONSerialization.jsonObject(with: Data((metadata["vae_training"] ?? "").utf8)) as? [String: Any]
            #expect(training?["dataset"] as? String == "fashion-mnist" && training?["dataFolder"] == nil, "\(metadata)")
            // Later commands find the data again by name.
            try sandbox.vaeSucceeds("reconstruct", "-n", "2", "-o", "r.png")
            try expectFailureWritesNothing(sandbox, ["train", "--dataset", "kmnist"], mentioning: ["kmnist", "data/kmnist",
                                                                                                  "vae download --dataset kmnist"])
            try expectFailureWritesNothing(sandbox, ["train", "--dataset", "fashion-mnist", "--data", "data/fashion-mnist"],
                                           mentioning: ["--dataset fashion-mnist", "--data"])
        }
    }

    @Test("checkpoints and config.json hold the data folder as given, no absolute path and no escaped slashes")
    func noAbsolutePaths() throws {
        try withSandbox { sandbox in
            try writeIDXFolder(sandbox, "sets/digits", height: 28, width: 28)
            try sandbox.vaeSucceeds("train", "--data", "sets/digits", "--epochs", "1", "--hidden", "8", "-o", "runs/a")
            let sandboxPath = sandbox.directory.standardizedFileURL.path
            let files = ["runs/a/config.json", "runs/a/model.safetensors", "runs/a/metrics.jsonl"]
            for file in files {
                var bytes = try sandbox.data(file)
                if file.hasSuffix(".safetensors") {
                    // The JSON header only: 8 bytes of length, then the header (the tensors are binary).
                    let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                    bytes = bytes.dropFirst(8).prefix(length)
                }
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(!text.contains(sandboxPath) && !text.contains(sandbox.root.path), "\(file) holds an absolute path")
                #expect(!text.contains("\\/"), "\(file) escapes slashes")
            }
            #expect(try sandbox.text("runs/a/config.json").contains("\"dataFolder\" : \"sets/digits\""))
        }
    }

    @Test("TERM=dumb on a terminal, and output into files, get no escape codes; a real terminal gets its progress bar")
    func noEscapeCodesOnDumbTerminals() throws {
        try withSandbox { sandbox in
            let arguments = ["train", "--epochs", "1", "--limit", "512", "--batch-size", "32", "--hidden", "8", "--sample-every", "0",
                             "--log-interval", "4"]
            let dumb = try sandbox.vaeOnTerminal(arguments: arguments + ["-o", "dumb"], environment: ["TERM": "dumb"])
            #expect(dumb.status == 0, "\(dumb)")
            #expect(!dumb.output.contains(0x1B), "TERM=dumb must get no escape byte\n\(dumb)")
            #expect(dumb.text.contains("batch 4/16"), "a dumb terminal gets the plain progress lines\n\(dumb)")
            let piped = try sandbox.vae(arguments: arguments + ["-o", "piped"])
            #expect(piped.succeeded && !piped.output.utf8.contains(0x1B), "\(piped)")
            // The same run on a terminal that takes escape codes draws its bar: the harness sees them.
            let xterm = try sandbox.vaeOnTerminal(arguments: arguments + ["-o", "xterm"], environment: ["TERM": "xterm"])
            #expect(xterm.status == 0 && xterm.output.contains(0x1B), "\(xterm)")
        }
    }

    @Test("the epoch summary lines of a real run fit 80 columns")
    func summaryFits() throws {
        try withSandbox { sandbox in
            let result = try sandbox.vaeSucceeds("train", "--epochs", "2", "--limit", "64", "--hidden", "8", "--sample-every", "0")
            let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") && $0.contains(" train ") }
            #expect(lines.count == 2, "\(result)")
            for line in lines { #expect(line.count <= 80, "\(line.count) columns: \(line)") }
        }
    }
}
