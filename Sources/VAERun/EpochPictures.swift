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

    /// The first `count` examples (top row) over the model's reconstructions of them, decoded from the
    /// encoder's mean (the PyTorch example's per-epoch reconstruction picture).
    public static func reconstructions(_ model: VAE, examples: EvaluationExamples, count: Int, imagesPerRow: Int? = nil,
                                       source: String) throws -> GrayImage {
        let c = model.configuration
        guard let height = c.imageHeight, let width = c.imageWidth else {
            preconditionFailure("ModelPictures.reconstructions: the model has no image size")
        }
        let rows = examples.first(count)
        let reconstructions = model.reconstruct(inputs: rows.values, labels: try rows.labels(for: c, source: source))
        return makeComparisonGrid(originals: rows.values, reconstructions: reconstructions, count: rows.count,
                                  imagesPerRow: imagesPerRow, imageHeight: height, imageWidth: width, normalization: .forOutput(c.output))
    }

    /// Training points and generated points (both N×2, row-major) in two colours on labelled axes. The axes
    /// span the training points with a 10 % margin (so every epoch's plot of a run has the same axes; generated
    /// points beyond them are clipped) and the legend stands right of the plot, off the data; 820 × 640 pixels,
    /// so the plot area stays about square.
    public static func swissRoll(training: [Float], generated: [Float], title: String) -> ScatterPlot {
        let xs = stride(from: 0, to: training.count, by: 2).map { training[$0] }
        let ys = stride(from: 1, to: training.count, by: 2).map { training[$0] }
        return ScatterPlot(series: [
            ScatterSeries(name: "training data", interleaved: training, color: .lightBlue),
            ScatterSeries(name: "generated", interleaved: generated, color: .orange),
        ], options: ScatterPlotOptions(width: 820, height: 640, title: title, xLabel: "x (standardised)", yLabel: "y (standardised)",
                                       xRange: AxisRange.enclosing(xs, marginFraction: 0.1),
                                       yRange: AxisRange.enclosing(ys, marginFraction: 0.1),
                                       legendPlacement: .outsideRight))
    }
}

/// The pictures written after an epoch: the same latent vectors decoded every epoch (a grid; one labelled row
/// per class for a conditional model) and the first test images over their reconstructions, or for points a
/// scatter of fresh samples over the data; and the loss curves of the run so far.
struct EpochPictures {
    let settings: RunSettings
    let folder: RunFolder
    let data: RunData
    /// Fixed latent vectors (and labels) for the grids, so grids are comparable across epochs.
    private let latents: [Float]
    private let labels: [Int]?
    /// Images per grid row (and per class in a conditional grid).
    static let imagesPerRow = 8

    init(settings: RunSettings, folder: RunFolder, data: RunData) {
        self.settings = settings
        self.folder = folder
        self.data = data
        let c = settings.model
        let count = c.isConditional ? c.classes * Self.imagesPerRow : 64
        var generator = settings.training.streams.sampleGrid
        var z = [Float](repeating: 0, count: count * c.latent)
        z.withUnsafeMutableBufferPointer { generator.fillNormal($0) }
        latents = z
        labels = c.isConditional ? (0..<count).map { $0 / Self.imagesPerRow } : nil
    }

    /// `samples/epoch-NNN.png`.
    func url(epoch: Int) -> URL {
        folder.samplesURL.appendingPathComponent(String(format: "epoch-%03d.png", epoch))
    }

    /// `samples/recon-epoch-NNN.png`.
    func reconstructionURL(epoch: Int) -> URL {
        folder.samplesURL.appendingPathComponent(String(format: "recon-epoch-%03d.png", epoch))
    }

    /// `curves.png` in the run folder.
    var curvesURL: URL { folder.url.appendingPathComponent("curves.png") }

    /// Writes the sample pictures for `epoch` of `model`.
    func write(epoch: Int, model: VAE) throws {
        let c = settings.model
        try writing(url(epoch: epoch)) { url in
            if let points = data.points {
                var generator = settings.training.streams.pointPlot
                let generated = model.sample(count: points.count / 2, generator: &generator)
                try ModelPictures.swissRoll(training: points, generated: generated, title: "Swiss roll, epoch \(epoch)")
                    .writePNG(to: url)
            } else if c.imageHeight != nil {
                let images = model.decode(latents: latents, labels: labels)
                if c.isConditional {
                    let names = data.classNames.count == c.classes ? data.classNames : (0..<c.classes).map(String.init)
                    try LatentPictures.labeledGrid(images: images, configuration: c, imagesPerRow: Self.imagesPerRow,
                                                   rowLabels: names, columnLabels: [], title: nil)
                        .writePNG(to: url, gray: true)
                } else {
                    try ModelPictures.grid(images: images, configuration: c).writePNG(to: url)
                }
            }
        }
        if c.imageHeight != nil {
            try writing(reconstructionURL(epoch: epoch)) { url in
                try ModelPictures.reconstructions(model, examples: data.evaluationExamples, count: Self.imagesPerRow,
                                                  source: data.sourceName).writePNG(to: url)
            }
        }
    }

    /// Redraws `curves.png` from the run's records so far.
    func writeCurves(records: [EpochRecord]) throws {
        guard !records.isEmpty else { return }
        try writing(curvesURL) { url in
            try LossCurves.chart([NamedMetrics(name: folder.url.lastPathComponent, records: records)],
                                 title: "Loss per epoch: \(folder.url.lastPathComponent)").writePNG(to: url)
        }
    }

    /// Runs `body`, reporting a failure as a checkpoint write error naming `url`.
    private func writing(_ url: URL, _ body: (URL) throws -> Void) throws {
        do { try body(url) } catch {
            throw CheckpointError.writeFailed(path: displayPath(url), reason: Checkpoint.writeFailureReason(error))
        }
    }
}
