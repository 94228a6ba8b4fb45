import Foundation
import Testing
@testable import ImageIO

@Suite struct ClassScatterTests {
    /// `perClass` Gaussian-ish points around ten class centers on a circle of radius 2.5.
    static func classSeries(perClass: Int, seed: UInt64) -> [ScatterSeries] {
        var random = TestRandom(seed: seed)
        return (0..<10).map { k in
            let angle = Float(k) / 10 * 2 * Float.pi
            let points = (0..<perClass).map { _ in
                PlotPoint(x: 2.5 * cos(angle) + (random.unit() + random.unit() - 1) * 0.8,
                          y: 2.5 * sin(angle) + (random.unit() + random.unit() - 1) * 0.8)
            }
            return ScatterSeries(name: "\(k)", points: points, color: .categorical(k))
        }
    }

    @Test func paletteHasTenDistinctColorsFarFromWhite() {
        let palette = RGBColor.categorical
        #expect(palette.count >= 10)
        #expect(Set(palette).count == palette.count)
        func distance(_ a: RGBColor, _ b: RGBColor) -> Int {
            abs(Int(a.red) - Int(b.red)) + abs(Int(a.green) - Int(b.green)) + abs(Int(a.blue) - Int(b.blue))
        }
        for (i, a) in palette.enumerated() {
            #expect(distance(a, .white) > 150, "\(a) too pale")
            for b in palette[(i + 1)...] {
                #expect(distance(a, b) > 60, "\(a) and \(b) too alike")
            }
        }
        #expect(RGBColor.categorical(0) == RGBColor(red: 31, green: 119, blue: 180))
        #expect(RGBColor.categorical(12) == RGBColor.categorical(2))
    }

    @Test func tenClassesWithSmallPointsAndOutsideLegend() throws {
        var series = Self.classSeries(perClass: 500, seed: 21)
        // A known point, drawn last so nothing covers it.
        series[9].points.append(PlotPoint(x: 1.5, y: -2))
        let plot = ScatterPlot(series: series, options: ScatterPlotOptions(
            width: 700, height: 600, title: "Latent means by class", xLabel: "z1", yLabel: "z2", pointRadius: 1,
            xRange: AxisRange(low: -4, high: 4), yRange: AxisRange(low: -4, high: 4), legendPlacement: .outsideRight))
        #expect(plot.xRange == AxisRange(low: -4, high: 4) && plot.yRange == AxisRange(low: -4, high: 4))
        // The legend is off the data, inside the image, one row per class.
        let legend = try #require(plot.legendArea)
        #expect(legend.x > plot.plotArea.maxX)
        #expect(legend.maxX <= plot.image.width && legend.maxY <= plot.image.height)
        #expect(legend.height > 10 * 18)
        for k in 0..<10 {
            #expect(plot.image.count(of: .categorical(k), within: legend) > 20, "class \(k) swatch")
            #expect(plot.image.count(of: .categorical(k), within: plot.plotArea) > 200, "class \(k) points")
        }
        // The known point lands on its mapped pixel with a 3×3 square of its class color.
        let pixel = plot.pixelPosition(x: 1.5, y: -2)
        let area = plot.plotArea
        #expect(pixel.x == area.x + Int((5.5 / 8 * Double(area.width - 1)).rounded()))
        #expect(pixel.y == area.maxY - 1 - Int((2.0 / 8 * Double(area.height - 1)).rounded()))
        #expect(plot.image.count(of: .categorical(9), within: PixelRect(x: pixel.x - 1, y: pixel.y - 1, width: 3, height: 3)) == 9)
    }

    @Test func pointsOutsideFixedRangesAreClipped() {
        let plot = ScatterPlot(series: [
            ScatterSeries(name: "in", points: [PlotPoint(x: 0.5, y: 0.5)], color: .red),
            ScatterSeries(name: "out", points: [PlotPoint(x: 5, y: 0.5), PlotPoint(x: -3, y: -3)], color: .orange),
        ], options: ScatterPlotOptions(xRange: AxisRange(low: 0, high: 1), yRange: AxisRange(low: 0, high: 1),
                                       showLegend: false))
        #expect(plot.image.count(of: .orange) == 0)
        #expect(plot.image.count(of: .red) == 21)
    }

    @Test func tallOutsideLegendWrapsIntoColumns() throws {
        let series = (0..<30).map { k in
            ScatterSeries(name: "class \(k)", points: [PlotPoint(x: Float(k), y: Float(k % 7))], color: .categorical(k))
        }
        let plot = ScatterPlot(series: series, options: ScatterPlotOptions(width: 700, height: 300,
                                                                          legendPlacement: .outsideRight))
        let legend = try #require(plot.legendArea)
        let frameHeight = plot.plotArea.height + 2
        #expect(legend.height <= frameHeight)
        #expect(legend.maxX <= plot.image.width)
        #expect(legend.x > plot.plotArea.maxX)
        #expect(legend.width > 2 * BitmapFont.textSize("class 29", scale: 2).width)  // at least two columns
        #expect(plot.plotArea.width > 150)
    }
}
