import ArgumentParser

@main
struct VAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Train variational autoencoders on MNIST-style images and sample from them.",
        discussion: """
            Start with 'vae train' (uses the bundled MNIST subset when no data is given); then \
            'vae sample' and 'vae reconstruct' read the most recent run's model.
            """,
        subcommands: [Train.self, Sample.self, Reconstruct.self, Download.self, Bench.self])
}
