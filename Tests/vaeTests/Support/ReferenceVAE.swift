import Foundation
import ImageIO
import SafeTensors

/// An independent forward pass of a saved ReLU / sigmoid VAE in Double, straight from `model.safetensors`
/// (PyTorch layout: y = W·x + b with W [out, in]); the reference the pictures' tiles are checked against.
struct ReferenceVAE {
    struct Layer {
        let weight: [Double], bias: [Double], inputs: Int, outputs: Int
        func callAsFunction(_ x: [Double]) -> [Double] {
            (0..<outputs).map { o in (0..<inputs).reduce(bias[o]) { $0 + weight[o * inputs + $1] * x[$1] } }
        }
    }
    let encoder: [Layer], mean: Layer, decoder: [Layer], output: Layer
    let latent: Int, classes: Int

    init(_ url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        func layer(_ name: String) throws -> Layer {
            let shape = try file.tensor(named: name + ".weight").shape
            return Layer(weight: try file.floatValues(named: name + ".weight").map(Double.init),
                         bias: try file.floatValues(named: name + ".bias").map(Double.init), inputs: shape[1], outputs: shape[0])
        }
        var encoder: [Layer] = [], decoder: [Layer] = []
        while file.contains(tensorNamed: "encoder.\(encoder.count).weight") { encoder.append(try layer("encoder.\(encoder.count)")) }
        while file.contains(tensorNamed: "decoder.\(decoder.count).weight") { decoder.append(try layer("decoder.\(decoder.count)")) }
        self.encoder = encoder
        self.decoder = decoder
        mean = try layer("mu")
        output = try layer("output")
        latent = mean.outputs
        classes = (decoder.first?.inputs ?? output.inputs) - latent
    }

    private func oneHot(_ label: Int?) -> [Double] {
        (0..<classes).map { $0 == label ? 1 : 0 }
    }

    /// μ(x) for pixels x in [0, 1].
    func encodeMean(_ x: [Double], label: Int? = nil) -> [Double] {
        var h = x + oneHot(label)
        for layer in encoder { h = layer(h).map { max($0, 0) } }
        return mean(h)
    }

    /// The decoder's sigmoid output for z, as the bytes a PNG tile holds.
    func decodeBytes(_ z: [Double], label: Int? = nil) -> [UInt8] {
        var h = z + oneHot(label)
        for layer in decoder { h = layer(h).map { max($0, 0) } }
        return output(h).map { byteFromIntensity(Float(1 / (1 + exp(-$0)))) }
    }
}

/// A tile of a grid picture: the `height × width` pixels with top-left corner (x, y).
func tile(_ image: GrayImage, x: Int, y: Int, width: Int = 28, height: Int = 28) -> [UInt8] {
    var pixels: [UInt8] = []
    for row in y..<(y + height) { for column in x..<(x + width) { pixels.append(image[x: column, y: row]) } }
    return pixels
}

/// The top-left pixel of a torchvision-style grid (black padding) of `columns` × `rows` 28×28 tiles with
/// padding 2 inside a labelled picture: the first black run as wide as the grid, from the top.
func gridOrigin(_ image: GrayImage, columns: Int) -> PixelPoint? {
    let width = columns * 30 + 2
    for y in 0..<image.height {
        var run = 0
        for x in 0..<image.width {
            run = image[x: x, y: y] == 0 ? run + 1 : 0
            if run == width { return PixelPoint(x: x - width + 1, y: y) }
        }
    }
    return nil
}

/// The largest difference between two equally long byte arrays.
func largestDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    precondition(a.count == b.count)
    return zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
}
