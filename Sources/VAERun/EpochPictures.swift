import Foundation
import ImageIO
import SeededRandom
import VAEModel

/// The pictures a model is shown by: image grids of decoded samples, and scatter plots for 2-D points.
public enum ModelPictures {
    /// Decoded images laid out like torchvision's `make_grid` (black padding), grey levels by the
    /// model's output range.
    /// - Parameters:
    ///   - images: [count, H·W] decoder outputs.
    ///   - configuration: the model (image size and output activation).
    ///   - imagesPerRow: default 8; padding: default 2 pixels.
    public static func grid(images: [Float], configuration c: VAEConfiguration, imagesPerRow: Int = 8,
                            padding: Int = 2) -> GrayImage {
        guard let height = c.imageHeight, let width = c.imageWidth else {
            preconditionFailure("ModelPictures.grid: the model has no image size")
        }
        return makeImageGrid(images: images, imageCount: images.count / (height * width), imageHeight: height,
                             imageWidth: width, imagesPerRow: imagesPerRow, padding: padding,
                             normalization: .forOutput(c.output))
    }

    /// Training points and generated points (both N×2, row-major) in two colours on labelled axes.
    public static func swissRoll(training: [Float], generated: [Float], title: String) -> ScatterPlot {
        ScatterPlot(series: [
            ScatterSeries(name: "training data", interleaved: training, color: .lightBlue),
            ScatterSeries(name: "generated", interleaved: generated, color: .orange),
        ], options: ScatterPlotOptions(title: title, xLabel: "x (standardised)", yLabel: "y (standardised)"))
    }
}

/// The sample picture written after an epoch: the same latent vectors decoded every epoch (a grid, one
/// row per class for a conditional model), or for points a scatter of fresh samples over the data.
struct EpochPictures {
    let settings: RunSettings
    let folder: RunFolder
    /// The training points plotted under the samples (points data only).
    let points: [Float]?
    /// Fixed latent vectors (and labels) for the grids, so grids are comparable across epochs.
    private let latents: [Float]
    private let labels: [Int]?

    init(settings: RunSettings, folder: RunFolder, points: [Float]?) {
        self.settings = settings
        self.folder = folder
        self.points = points
        let c = settings.model
        let count = c.isConditional ? c.classes * 8 : 64
        var generator = settings.training.streams.sampleGrid
        var z = [Float](repeating: 0, count: count * c.latent)
        z.withUnsafeMutableBufferPointer { generator.fillNormal($0) }
        latents = z
        labels = c.isConditional ? (0..<count).map { $0 / 8 } : nil
    }

    /// `samples/epoch-NNN.png`.
    func url(epoch: Int) -> URL {
        folder.samplesURL.appendingPathComponent(String(format: "epoch-%03d.png", epoch))
    }

    /// Writes the picture for `epoch` of `model`.
    func write(epoch: Int, model: VAE) throws {
        let url = url(epoch: epoch)
        do {
            if let points {
                var generator = settings.training.streams.pointPlot
                let generated = model.sample(count: points.count / 2, generator: &generator)
                try ModelPictures.swissRoll(training: points, generated: generated, title: "Swiss roll, epoch \(epoch)")
                    .writePNG(to: url)
            } else if settings.model.imageHeight != nil {
                let images = model.decode(latents: latents, labels: labels)
                try ModelPictures.grid(images: images, configuration: settings.model).writePNG(to: url)
            }
        } catch {
            throw CheckpointError.writeFailed(path: url.path, reason: error.description)
        }
    }
}
