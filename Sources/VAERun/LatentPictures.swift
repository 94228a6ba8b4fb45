import Foundation
import MNISTData
import ImageIO
import VAEModel

/// A picture of decoded latent vectors: the labelled grid and the z (and labels) each tile decodes.
public struct LatentGrid {
    /// The picture (gray pixels, white margins with text).
    public let picture: LabeledImageGrid
    /// The latent vector of each decoded tile, [tiles, L] in tile order (real images have none).
    public let latents: [Float]
}

/// Pictures that decode chosen latent vectors of an image model: the manifold over two dimensions, walks
/// between two codes, traversals of single dimensions, and one image decoded with every class.
public enum LatentPictures {
    /// Text size of titles and labels.
    static let textScale = 1

    /// Kingma & Welling's manifold: z_i (across) and z_j (down, largest at the top) run over the quantiles
    /// `normalQuantileGrid(steps:)` = Φ⁻¹((k + ½)/steps), every other dimension 0, each z decoded
    /// (with `label` for a conditional model). Tile (row r, column c) decodes z_i = q[c], z_j = q[steps − 1 − r].
    public static func manifold(_ model: VAE, dimensions: (across: Int, down: Int), steps: Int, label: Int?) -> LatentGrid {
        let c = model.configuration
        let quantiles = normalQuantileGrid(steps: steps).map(Float.init)
        var z = [Float](repeating: 0, count: steps * steps * c.latent)
        for row in 0..<steps {
            for column in 0..<steps {
                let tile = row * steps + column
                z[tile * c.latent + dimensions.across] = quantiles[column]
                z[tile * c.latent + dimensions.down] = quantiles[steps - 1 - row]
            }
        }
        let labels = label.map { [Int](repeating: $0, count: steps * steps) }
        var title = "Decoded z over N(0,1) quantiles: z[\(dimensions.across)] across, z[\(dimensions.down)] up, others 0"
        if let label { title += ", class \(label)" }
        return grid(model, latents: z, labels: labels, imagesPerRow: steps,
                    rowLabels: quantiles.reversed().map { formatFixed(Double($0), decimals: 1) },
                    columnLabels: quantiles.map { formatFixed(Double($0), decimals: 1) }, title: title)
    }

    /// One row per listed dimension k: z = `base` with z_k = base_k + v for `steps` offsets v evenly spaced
    /// in [−range, range]; rows labelled with the dimension and its KL.
    public static func traversal(_ model: VAE, base: [Float], label: Int?, dimensions: [Int], kl: [Double],
                                 range: Float, steps: Int, title: String) -> LatentGrid {
        let offsets = (0..<steps).map { steps == 1 ? 0 : -range + 2 * range * Float($0) / Float(steps - 1) }
        var z: [Float] = []
        for k in dimensions {
            for offset in offsets {
                var row = base
                row[k] += offset
                z += row
            }
        }
        let labels = label.map { [Int](repeating: $0, count: dimensions.count * steps) }
        return grid(model, latents: z, labels: labels, imagesPerRow: steps,
                    rowLabels: dimensions.map { "z[\($0)] KL \(formatFixed(kl[$0], decimals: 2))" },
                    columnLabels: offsets.map { ($0 > 0 ? "+" : "") + formatFixed(Double($0), decimals: 1) }, title: title)
    }

    /// Rows that walk between pairs of latent vectors (`latentPath`), each row `steps` decoded tiles, with
    /// the real images at both ends when given ([rows, H·W] each, tiles 0 and steps + 1 of the row).
    public static func interpolation(_ model: VAE, starts: [[Float]], ends: [[Float]], labels: [(Int, Int)]?,
                                     steps: Int, spherical: Bool, realStarts: [Float]?, realEnds: [Float]?,
                                     rowLabels: [String], title: String) -> LatentGrid {
        let c = model.configuration, pixels = c.inputSize
        let withReal = realStarts != nil && realEnds != nil
        var images: [Float] = [], z: [Float] = []
        for row in starts.indices {
            let path = latentPath(from: starts[row], to: ends[row], steps: steps, spherical: spherical)
            // A conditional walk also moves the label: the start's for the first half, the end's after.
            let pathLabels = labels.map { pair in (0..<steps).map { $0 < (steps + 1) / 2 ? pair[row].0 : pair[row].1 } }
            let decoded = model.decode(latents: path, labels: pathLabels)
            if let realStarts { images += realStarts[row * pixels..<(row + 1) * pixels] }
            images += decoded
            if let realEnds { images += realEnds[row * pixels..<(row + 1) * pixels] }
            z += path
        }
        let columns = steps + (withReal ? 2 : 0)
        let tValues = (0..<steps).map { steps == 1 ? "0" : formatFixed(Double($0) / Double(steps - 1), decimals: 2) }
        let columnLabels = withReal ? ["image"] + tValues + ["image"] : tValues
        return LatentGrid(picture: labeledGrid(images: images, configuration: c, imagesPerRow: columns, rowLabels: rowLabels,
                                               columnLabels: columnLabels, title: title), latents: z)
    }

    /// The analogy picture of a conditional model: for each input image (first column), its mean encoded with
    /// its own label, decoded with every class (one column per class).
    public static func allLabels(_ model: VAE, inputs: ExampleRows, labels: [Int], classNames: [String],
                                 title: String) -> LatentGrid {
        let c = model.configuration, pixels = c.inputSize
        let means = model.encode(inputs: inputs.values, labels: labels).mean
        var images: [Float] = [], z: [Float] = []
        for row in 0..<inputs.count {
            let mean = Array(means[row * c.latent..<(row + 1) * c.latent])
            let repeated = [[Float]](repeating: mean, count: c.classes).flatMap { $0 }
            images += inputs.values[row * pixels..<(row + 1) * pixels]
            images += model.decode(latents: repeated, labels: Array(0..<c.classes))
            z += repeated
        }
        let names = classNames.count == c.classes ? classNames : (0..<c.classes).map(String.init)
        return LatentGrid(picture: labeledGrid(images: images, configuration: c, imagesPerRow: c.classes + 1,
                                               rowLabels: labels.map { names[$0] }, columnLabels: ["input"] + names.map(shortName),
                                               title: title), latents: z)
    }

    /// Column labels must fit a tile: Fashion-MNIST's long names are cut to their first word.
    static func shortName(_ name: String) -> String {
        String(name.split(whereSeparator: { $0 == " " || $0 == "/" }).first ?? Substring(name)).prefix(5).description
    }

    /// Decodes `latents` and lays them out with labels.
    static func grid(_ model: VAE, latents: [Float], labels: [Int]?, imagesPerRow: Int, rowLabels: [String],
                     columnLabels: [String], title: String) -> LatentGrid {
        let images = model.decode(latents: latents, labels: labels)
        return LatentGrid(picture: labeledGrid(images: images, configuration: model.configuration, imagesPerRow: imagesPerRow,
                                               rowLabels: rowLabels, columnLabels: columnLabels, title: title),
                          latents: latents)
    }

    /// A `LabeledImageGrid` of decoded images in the model's grey range, padding 2.
    static func labeledGrid(images: [Float], configuration c: VAEConfiguration, imagesPerRow: Int, rowLabels: [String],
                            columnLabels: [String], title: String?) -> LabeledImageGrid {
        guard let height = c.imageHeight, let width = c.imageWidth else {
            preconditionFailure("LatentPictures: the model has no image size")
        }
        return LabeledImageGrid(images: images, imageCount: images.count / (height * width), imageHeight: height,
                                imageWidth: width, imagesPerRow: imagesPerRow, normalization: .forOutput(c.output),
                                rowLabels: rowLabels, columnLabels: columnLabels, title: title, textScale: textScale)
    }
}
