import ArgumentParser

@main
struct VAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Train variational autoencoders on MNIST-style images and sample from them.",
        subcommands: [Bench.self])

    func run() throws {
        print("vae: the command-line tool is not built yet; see README.md.")
    }
}
