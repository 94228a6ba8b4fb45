import ArgumentParser
import Foundation

@main
struct VAECommand: ParsableCommand {
    /// The release number; `vae --version` adds the build's CPU target (`BuildTarget`).
    static let versionNumber = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Train variational autoencoders on MNIST-style images and sample from them.",
        discussion: """
            Start with 'vae train' (uses the bundled MNIST subset when no data is given); then \
            'vae sample', 'vae reconstruct', 'vae evaluate' and the other commands read the most recent run's model.
            """,
        version: BuildTarget.versionLine,
        subcommands: [Train.self, Sample.self, Reconstruct.self, Evaluate.self, Score.self, Encode.self, Latents.self,
                      Manifold.self, Interpolate.self, Traverse.self, Info.self, Plot.self, Download.self, Bench.self])

    static func main() {
        #if os(Linux)
        // Serve every allocation of 256 KB or more (images, batches, checkpoints) with its own mapping,
        // returned to the system when freed: glibc would otherwise raise this threshold after the first
        // large free and keep the memory, which grows peak resident memory by the size of a checkpoint.
        _ = glibcMallopt(glibcMmapThreshold, 256 * 1024)
        #endif
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            exit(withError: error)
        }
        if let status = StandardStreams.exitStatus { Foundation.exit(status) }
    }
}

#if os(Linux)
/// glibc's `mallopt` (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_MMAP_THRESHOLD` from <malloc.h>.
private let glibcMmapThreshold: Int32 = -3
#endif
