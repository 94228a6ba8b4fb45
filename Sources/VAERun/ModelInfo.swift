import Foundation
import MNISTData
import VAEModel

extension VAEConfiguration {
    /// One line describing the architecture: "VAE 784-400-20, relu, sigmoid output, bce loss, beta 1.0"
    /// ("conditional VAE …" with labels).
    public var summary: String {
        let sizes = ([inputSize] + hidden + [latent]).map(String.init).joined(separator: "-")
        return "\(isConditional ? "conditional " : "")VAE \(sizes), \(activation.rawValue), \(output.rawValue) output, "
            + "\(loss.rawValue) loss, beta \(beta)"
    }
}

/// What a saved model is: architecture, training settings, progress and the last losses, from the model
/// file and (when it lies in a run folder) the run's `metrics.jsonl`. Encoded as JSON by `vae info --json`.
public struct ModelInfo: Codable, Sendable {
    public var file: String
    public var fileBytes: Int
    public var architecture: String
    public var parameters: Int
    /// "28×28 images" or "2-D points".
    public var input: String
    public var configuration: VAEConfiguration
    /// Nil for a file without training settings.
    public var training: TrainingSettings?
    public var epochsCompleted: Int?
    /// The last epoch's record from the run folder's metrics, if there is one.
    public var lastEpoch: EpochRecord?
    /// The header's `__metadata__` entries (key → value) as stored.
    public var metadata: [String: String]

    /// Reads everything about the model file at `saved.url`.
    public init(_ saved: SavedModel) throws {
        let c = saved.model.configuration
        file = displayPath(saved.url)
        let attributes = try? FileManager.default.attributesOfItem(atPath: saved.url.path)
        fileBytes = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        architecture = c.summary
        parameters = saved.model.parameterCount
        if let height = c.imageHeight, let width = c.imageWidth {
            input = "\(width)×\(height) images"
        } else {
            input = "\(c.inputSize)-D points"
        }
        configuration = c
        training = saved.hasTrainingSettings ? saved.settings.training : nil
        epochsCompleted = saved.epochsCompleted
        metadata = saved.metadata
        lastEpoch = try MetricsLog(url: RunFolder(url: saved.url.deletingLastPathComponent()).metricsURL).records().last
    }

    /// The text `vae info` prints, one fact per line.
    public var lines: [String] {
        var lines = ["Model: \(file) (\(formatCount(fileBytes)) bytes)",
                     "Architecture: \(architecture)",
                     "Parameters: \(formatCount(parameters)), input \(input), latent \(configuration.latent)"
                         + (configuration.isConditional ? ", \(configuration.classes) classes" : "")]
        if let t = training {
            let data = t.dataset == .swissRoll ? "Swiss roll"
                : (t.dataFolder.map { "data folder \($0)" } ?? (t.dataset == .mnist ? "default data" : t.dataset.rawValue))
            lines.append("Training data: \(t.dataDescription.isEmpty ? data : t.dataDescription)"
                + (t.limit.map { ", first \(formatCount($0)) examples" } ?? ""))
            lines.append("Training: batch \(t.batchSize), lr \(t.learningRate), seed \(t.seed), threads \(t.threads), "
                + "pixels \(t.scaling.rawValue)")
        } else {
            lines.append("Training settings: none in the file (not written by 'vae train')")
        }
        lines.append("Epochs: \(epochsCompleted.map(String.init) ?? "unknown")")
        if let r = lastEpoch {
            var losses = "Last epoch (\(r.epoch)): train loss \(formatFixed(r.trainLoss, decimals: 2)) "
                + "(recon \(formatFixed(r.trainReconstruction, decimals: 2)) + KL \(formatFixed(r.trainKL, decimals: 2)))"
            if let test = r.testLoss, let rc = r.testReconstruction, let kl = r.testKL {
                losses += ", test loss \(formatFixed(test, decimals: 2)) (recon \(formatFixed(rc, decimals: 2)) + KL \(formatFixed(kl, decimals: 2)))"
            }
            lines.append(losses)
        } else {
            lines.append("Metrics: no metrics.jsonl beside the model")
        }
        let keys = metadata.keys.sorted().map { "\($0) (\(formatCount(metadata[$0]?.utf8.count ?? 0)) bytes)" }
        lines.append("Checkpoint metadata: \(keys.joined(separator: ", "))")
        return lines
    }
}
