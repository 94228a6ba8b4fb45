import ImageIO
import Testing
import VAEModel
@testable import VAERun

@Suite("latent scatter")
struct LatentScatterTests {
    /// Column and row of data (x, y) by the documented map: low → first pixel of the plot area, high → last,
    /// y upwards.
    static func expectedPixel(_ chart: ScatterPlot, x: Double, y: Double) -> PixelPoint {
        let area = chart.plotArea
        let column = area.x + Int(((x - chart.xRange.low) / (chart.xRange.high - chart.xRange.low) * Double(area.width - 1)).rounded())
        let row = area.maxY - 1 - Int(((y - chart.yRange.low) / (chart.yRange.high - chart.yRange.low) * Double(area.height - 1)).rounded())
        return PixelPoint(x: column, y: row)
    }

    @Test("a 2-d latent mean lands on its pixel in its class's colour; ranges enclose the means with a 5 % margin")
    func knownLatents() {
        let means: [Float] = [0, 0, 2, 1, -1, -2]
        let encoded = EncodedExamples(indices: [0, 1, 2],
                                      encoding: Encoding(count: 3, latent: 2, mean: means, logVariance: [Float](repeating: 0, count: 6)),
                                      labels: [0, 3, 7])
        let scatter = LatentScatter(encoded, classNames: (0..<10).map(String.init), title: "test")
        #expect(!scatter.isProjected && scatter.isColouredByClass)
        #expect(abs(scatter.chart.xRange.low - -1.15) < 1e-9 && abs(scatter.chart.xRange.high - 2.15) < 1e-9)
        #expect(abs(scatter.chart.yRange.low - -2.15) < 1e-9 && abs(scatter.chart.yRange.high - 1.15) < 1e-9)
        for (index, label) in [0, 3, 7].enumerated() {
            let pixel = Self.expectedPixel(scatter.chart, x: Double(means[2 * index]), y: Double(means[2 * index + 1]))
            #expect(scatter.chart.image[x: pixel.x, y: pixel.y] == RGBColor.categorical(label),
                    "point \(index) at \(pixel) should be class \(label)'s colour")
        }
        #expect(scatter.chart.legendArea.map { $0.x >= scatter.chart.plotArea.maxX } == true, "the legend stands outside the data")
    }

    @Test("without labels one colour and no legend; a 3-d latent is projected on its principal components")
    func unlabelledAndProjected() {
        // Means s·(1, 1, 0) for s = −2, −1, 1, 2, with ±0.1 along z[2] uncorrelated with s: the first component
        // is (1, 1, 0)/√2 and the centre 0.
        let means: [Float] = [-2, -2, 0.1, -1, -1, -0.1, 1, 1, -0.1, 2, 2, 0.1]
        let encoded = EncodedExamples(indices: Array(0..<4),
                                      encoding: Encoding(count: 4, latent: 3, mean: means, logVariance: [Float](repeating: 0, count: 12)),
                                      labels: nil)
        let scatter = LatentScatter(encoded, classNames: [], title: "test")
        #expect(scatter.isProjected && !scatter.isColouredByClass && scatter.chart.legendArea == nil)
        // The last point lies 2√2 along PC 1 from the centre, and ±0.1 along PC 2.
        #expect(abs(Double(scatter.points[6]) - 2 * 2.0.squareRoot()) < 1e-5 && abs(abs(Double(scatter.points[7])) - 0.1) < 1e-5)
        let pixel = Self.expectedPixel(scatter.chart, x: Double(scatter.points[6]), y: Double(scatter.points[7]))
        #expect(scatter.chart.image[x: pixel.x, y: pixel.y] == RGBColor.categorical(0))
    }
}
