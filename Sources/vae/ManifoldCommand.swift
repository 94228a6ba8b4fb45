import ArgumentParser
import Foundation
import MNISTData
import VAEModel
import VAERun

struct Manifold: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifold",
        abstract: "Decode a grid of latent vectors over two dimensions (Kingma & Welling's manifold figure).",
        discussion: """
            Dimension i runs across and j up over the N(0,1) quantiles z = Phi^-1(p) for the steps probabilities \
            p = (k + 0.5)/steps, k = 0…steps-1 (for 20 steps from -1.96 to 1.96); every other dimension is 0. By \
            default i and j are the two dimensions with the largest KL on the first 2,000 test images (the ones \
            the model uses most). A conditional model decodes class --label K, or without --label writes one \
            grid per class, to NAME-class-K.png beside -o.

            Example: vae manifold --model runs/run-001 --steps 20 --dims 3,7 -o manifold.png
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: ArgumentHelp("Grid points per dimension.", valueName: "n"))
    var steps: Int = 20
    @Option(help: ArgumentHelp("The two latent dimensions, across and up. (default: the two with the largest KL)", valueName: "i,j"))
    var dims: String?
    @Option(help: ArgumentHelp("Class to decode (conditional models only).", valueName: "k"))
    var label: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file (- for standard output).", valueName: "file"))
    var output: String = "manifold.png"

    func validate() throws {
        guard (2...60).contains(steps) else { throw ValidationError("--steps must be between 2 and 60 (got \(steps)).") }
        if let dims {
            let parts = dims.split(separator: ",", omittingEmptySubsequences: false).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts.allSatisfy({ $0 >= 0 }), parts[0] != parts[1] else {
                throw ValidationError("--dims takes two different latent dimensions, such as 0,1 (got '\(dims)').")
            }
        }
        if let label, label < 0 { throw ValidationError("--label must be 0 or more (got \(label)).") }
        guard !output.isEmpty else { throw ValidationError("-o/--output needs a file name.") }
    }

    func run() throws {
        let url = try outputURL(output)
        let saved = try modelOptions.loadModel()
        try requireImageModel(saved, command: "manifold")
        let model = saved.model, c = model.configuration
        guard c.latent >= 2 else { throw CommandError("\(displayPath(saved.url)) has a 1-dimensional latent; the manifold needs two dimensions.") }
        if let label, !c.isConditional {
            throw CommandError("--label \(label) needs a conditional model; \(displayPath(saved.url)) is unconditional.")
        }
        if let label, label >= c.classes { throw CommandError("--label must be below \(c.classes) for this model (got \(label)).") }
        try saved.requireMemory(examples: steps * steps, advice: "use fewer --steps")
        let chosen: (across: Int, down: Int)
        if let dims {
            let parts = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 < c.latent }) else {
                throw CommandError("--dims \(dims): this model's latent dimensions are 0…\(c.latent - 1).")
            }
            chosen = (parts[0], parts[1])
        } else {
            let usage = try LatentUsage.measure(model, data: RunData.load(for: saved, dataFolder: dataOptions.data, labels: .whenConditional))
            chosen = (usage.order[0], usage.order[1])
            say("Dimensions \(chosen.across) and \(chosen.down): the largest KL on \(formatCount(usage.examples)) \(usage.split) images "
                + "(\(formatFixed(usage.kl[chosen.across], decimals: 2)) and \(formatFixed(usage.kl[chosen.down], decimals: 2)) nats)")
        }
        let labels: [Int?] = c.isConditional ? (label.map { [$0] } ?? Array(0..<c.classes)) : [nil]
        if c.isConditional && label == nil {
            for k in 0..<c.classes { _ = try outputURL(Self.classFile(url, k).path) }
        }
        for k in labels {
            let target = c.isConditional && label == nil ? Self.classFile(url, k ?? 0) : url
            let grid = LatentPictures.manifold(model, dimensions: chosen, steps: steps, label: k).picture
            try grid.writePNG(to: target, gray: true)
            say("Wrote \(displayPath(target)): \(steps)×\(steps) decoded latents, z[\(chosen.across)] across and "
                + "z[\(chosen.down)] up\(k.map { ", class \($0)" } ?? ""), \(grid.image.width)×\(grid.image.height) pixels")
        }
    }

    /// `manifold.png` → `manifold-class-3.png`.
    static func classFile(_ url: URL, _ label: Int) -> URL {
        let stem = url.deletingPathExtension().lastPathComponent, ext = url.pathExtension
        return url.deletingLastPathComponent().appendingPathComponent("\(stem)-class-\(label)" + (ext.isEmpty ? "" : ".\(ext)"))
    }
}
