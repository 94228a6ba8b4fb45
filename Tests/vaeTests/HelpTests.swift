import Foundation
import Testing

@Suite("--help")
struct HelpTests {
    @Test("vae --help lists the subcommands")
    func topLevelHelp() throws {
        try withSandbox { sandbox in
            let result = try sandbox.vaeSucceeds("--help")
            for word in ["train", "sample", "reconstruct", "download", "USAGE"] {
                #expect(result.stdout.contains(word), "vae --help should mention \(word)\n\(result)")
            }
            #expect(sandbox.allFiles().isEmpty, "--help writes nothing")
        }
    }

    @Test("each subcommand's --help exits 0 and mentions its main flags",
          arguments: [
              ("train", ["--epochs", "--limit", "--latent", "--hidden", "--beta", "--loss", "--output-activation", "--conditional",
                         "--data", "--dataset", "--seed", "--threads", "--out", "--resume", "--batch-size", "--lr"]),
              ("sample", ["--model", "--n", "--output", "-o", "--nrow", "--seed", "--label"]),
              ("reconstruct", ["--model", "--data", "--n", "--output", "-o"]),
              ("download", ["--dataset", "--dir", "mnist", "fashion-mnist", "kmnist"]),
          ])
    func subcommandHelp(command: String, flags: [String]) throws {
        try withSandbox { sandbox in
            for arguments in [[command, "--help"], ["help", command]] {
                let result = try sandbox.vae(arguments: arguments)
                #expect(result.succeeded, "\(result)")
                #expect(result.stdout.contains("USAGE: vae \(command)"), "\(result)")
                for flag in flags {
                    #expect(result.stdout.contains(flag), "vae \(arguments.joined(separator: " ")) should mention \(flag)\n\(result)")
                }
            }
            #expect(sandbox.allFiles().isEmpty, "--help writes nothing")
        }
    }

    @Test("an unknown subcommand or option fails with usage, exit 64")
    func unknownCommand() throws {
        try withSandbox { sandbox in
            let result = try sandbox.vae("frobnicate")
            expectCleanFailure(result, mentioning: ["frobnicate"])
            #expect(result.status == 64)
            let option = try sandbox.vae("train", "--epoch", "3")
            expectCleanFailure(option, mentioning: ["--epoch"])
            #expect(sandbox.allFiles().isEmpty)
        }
    }
}
