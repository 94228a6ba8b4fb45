import Foundation
import Testing
@testable import ImageIO

@Suite struct LinePlotTests {
    static let runColors = [RGBColor.categorical(0), RGBColor.categorical(1)]

    /// Two runs' train (solid) and test (dashed) losses over 20 epochs.
    static func lossCurves() -> [LineSeries] {
        var series: [LineSeries] = []
        for (run, color) in runColors.enumerated() {
            let start = Float(180 + 30 * run)
            let train = (0..<20).map { start * exp(-Float($0) / 6) + 95 }
            let test = train.map { $0 + 6 }
            series.append(LineSeries(name: "run \(run + 1) train", values: train, color: color))
            series.append(LineSeries(name: "run \(run + 1) test", values: test, color: color, style: .dashed))
        }
        return series
    }

    /// One straight line from `a` to `b`, ranges [-1, 11] × [-1, 11], no grid lines and no legend.
    static func singleLine(from a: PlotPoint, to b: PlotPoint, style: LineStyle = .solid,
                           lineWidth: Int = 2) -> LinePlot {
        LinePlot(series: [LineSeries(name: "line", points: [a, b], color: .red, style: style)],
                 options: LinePlotOptions(lineWidth: lineWidth, xRange: AxisRange(low: -1, high: 11),
                                          yRange: AxisRange(low: -1, high: 11), showGridLines: false, showLegend: false))
    }

    @Test func lossChartDecodesWithIntegerEpochTicksAndLegendOutside() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plot = LinePlot(series: Self.lossCurves(),
                            options: LinePlotOptions(title: "Loss", xLabel: "epoch", yLabel: "loss"))
        let url = dir.file("loss.png")
        try plot.writePNG(to: url)
        let image = try RGBImage.readPNG(from: url)
        #expect(image.width == 800 && image.height == 500)
        #expect(image == plot.image)
        // Epochs 1...20: whole-number ticks only.
        #expect(plot.xTicks.values.allSatisfy { $0 == $0.rounded() })
        #expect(plot.xTicks.labels.allSatisfy { !$0.contains(".") })
        #expect(plot.xTicks.step >= 1 && (plot.xTicks.values.first ?? 99) <= 5)
        // The legend sits right of the plot area, inside the image, and shows every run's color.
        let legend = try #require(plot.legendArea)
        #expect(legend.x > plot.plotArea.maxX)
        #expect(legend.maxX <= image.width && legend.maxY <= image.height)
        for color in Self.runColors {
            #expect(image.count(of: color, within: legend) > 20)
            #expect(image.count(of: color, within: plot.plotArea) > 200)
        }
        #expect(image.count(of: .black, within: legend) > 100)  // the names
    }

    @Test func solidLineCoversItsPathAndNothingElse() {
        let a = PlotPoint(x: 0, y: 0), b = PlotPoint(x: 10, y: 5)
        let plot = Self.singleLine(from: a, to: b)
        let image = plot.image
        #expect(image[x: plot.pixelPosition(x: 0, y: 0).x, y: plot.pixelPosition(x: 0, y: 0).y] == .red)
        #expect(image[x: plot.pixelPosition(x: 10, y: 5).x, y: plot.pixelPosition(x: 10, y: 5).y] == .red)
        for i in 0...100 {
            let t = Float(i) / 100
            #expect(image.has(.red, near: plot.pixelPosition(x: 10 * t, y: 5 * t)), "gap at t = \(t)")
        }
        // Every red pixel is within two pixels of the ideal line, and between its ends.
        let start = plot.pixelPosition(x: 0, y: 0), end = plot.pixelPosition(x: 10, y: 5)
        var red = 0
        for y in 0..<image.height {
            for x in 0..<image.width where image[x: x, y: y] == .red {
                red += 1
                let along = Double(x - start.x) / Double(end.x - start.x)
                let lineY = Double(start.y) + along * Double(end.y - start.y)
                #expect(abs(Double(y) - lineY) <= 2.5 && along > -0.01 && along < 1.01, "stray pixel (\(x), \(y))")
            }
        }
        #expect(red >= 2 * (end.x - start.x))
    }

    @Test func dashedLineHasRegularGaps() {
        let dashed = Self.singleLine(from: PlotPoint(x: 0, y: 2), to: PlotPoint(x: 10, y: 2), style: .dashed)
        let solid = Self.singleLine(from: PlotPoint(x: 0, y: 2), to: PlotPoint(x: 10, y: 2))
        let start = dashed.pixelPosition(x: 0, y: 2), end = dashed.pixelPosition(x: 10, y: 2)
        var runs: [(isRed: Bool, length: Int)] = []
        for x in start.x...end.x {
            let isRed = dashed.image[x: x, y: start.y] == .red
            #expect(solid.image[x: x, y: start.y] == .red)
            if let last = runs.last, last.isRed == isRed {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((isRed, 1))
            }
        }
        let gaps = runs.filter { !$0.isRed }
        #expect(gaps.count >= 10)
        // Width 2: 8 steps on and 6 off, stamped with 2×2 squares, give runs of 9 red and 5 background pixels
        // (the last dash may be cut short).
        #expect(runs.first?.isRed == true)
        #expect(runs.dropLast().filter(\.isRed).allSatisfy { $0.length == 9 })
        #expect(gaps.dropLast().allSatisfy { $0.length == 5 })
        #expect(dashed.image.count(of: .red) < solid.image.count(of: .red) * 2 / 3)
    }

    @Test func legendShowsALineSampleForEachSeries() throws {
        let plot = LinePlot(series: [
            LineSeries(name: "train", points: [PlotPoint(x: 1, y: 3), PlotPoint(x: 5, y: 1)], color: .red),
            LineSeries(name: "test", points: [PlotPoint(x: 1, y: 4), PlotPoint(x: 5, y: 2)], color: .orange,
                       style: .dashed),
        ])
        let legend = try #require(plot.legendArea)
        #expect(plot.plotArea.intersection(legend).width == 0)
        let solidSample = plot.image.count(of: .red, within: legend)
        let dashedSample = plot.image.count(of: .orange, within: legend)
        #expect(solidSample == 2 * 24)  // 12 · textScale long, lineWidth 2 thick
        #expect(dashedSample > 0 && dashedSample < solidSample)
    }

    @Test func insideLegendAvoidsTheCornerWithLines() throws {
        // A line across the top right: the legend should go to the top left.
        let plot = LinePlot(series: [
            LineSeries(name: "high", points: [PlotPoint(x: 6, y: 10), PlotPoint(x: 10, y: 10)], color: .red),
            LineSeries(name: "low", points: [PlotPoint(x: 0, y: 0), PlotPoint(x: 10, y: 0)], color: .orange),
        ], options: LinePlotOptions(legendPlacement: .insideBestCorner))
        let legend = try #require(plot.legendArea)
        #expect(plot.plotArea.intersection(legend) == legend)
        #expect(legend.x < plot.plotArea.x + plot.plotArea.width / 2)
        #expect(legend.y < plot.plotArea.y + plot.plotArea.height / 2)
    }

    @Test func nonFinitePointsAreSkippedAndBreakTheLine() {
        let points = [PlotPoint(x: 0, y: 0), PlotPoint(x: 1, y: .nan), PlotPoint(x: 2, y: 2),
                      PlotPoint(x: .infinity, y: 3), PlotPoint(x: 4, y: 4), PlotPoint(x: 5, y: 5)]
        let plot = LinePlot(series: [LineSeries(name: "gappy", points: points, color: .red)],
                            options: LinePlotOptions(showGridLines: false, showLegend: false))
        #expect(abs(plot.xRange.low - -0.25) < 1e-9 && abs(plot.xRange.high - 5.25) < 1e-9)
        let image = plot.image
        // (2, 2) stands alone between non-finite points: drawn as a disc.
        let lone = plot.pixelPosition(x: 2, y: 2)
        #expect(image[x: lone.x, y: lone.y] == .red)
        // Nothing joins (0, 0) to (2, 2) or (2, 2) to (4, 4)...
        #expect(!image.has(.red, near: plot.pixelPosition(x: 1, y: 1), radius: 3))
        #expect(!image.has(.red, near: plot.pixelPosition(x: 3, y: 3), radius: 3))
        // ... but (4, 4) to (5, 5) is a line.
        #expect(image.has(.red, near: plot.pixelPosition(x: 4.5, y: 4.5)))
    }

    @Test func emptySeriesSinglePointsAndNoSeriesRender() {
        let none = LinePlot(series: [])
        #expect(none.image.width == 800 && none.legendArea == nil)
        let plot = LinePlot(series: [
            LineSeries(name: "empty", points: [], color: .orange),
            LineSeries(name: "all NaN", values: [.nan, .nan], color: .lightBlue),
            LineSeries(name: "one", points: [PlotPoint(x: 3, y: 7)], color: .red),
        ], options: LinePlotOptions(width: 400, height: 300))
        #expect(plot.image.width == 400 && plot.image.height == 300)
        let point = plot.pixelPosition(x: 3, y: 7)
        #expect(plot.image[x: point.x, y: point.y] == .red)
        #expect(plot.xTicks.labels == ["3"])  // 3 ± 0.5: the only whole number
        // All three appear in the legend, even the ones with nothing to draw.
        let legend = plot.legendArea ?? PixelRect(x: 0, y: 0, width: 0, height: 0)
        #expect(plot.image.count(of: .orange, within: legend) > 0)
        #expect(plot.image.count(of: .lightBlue, within: legend) > 0)
        #expect(plot.image.count(of: .orange, within: plot.plotArea) == 0)
    }

    @Test func fixedRangesClipFarAwayLines() {
        let plot = LinePlot(series: [
            LineSeries(name: "far", points: [PlotPoint(x: -1e30, y: -1e30), PlotPoint(x: 1e30, y: 1e30)], color: .red),
            LineSeries(name: "diagonal", points: [PlotPoint(x: -100, y: -100), PlotPoint(x: 100, y: 100)],
                       color: .orange),
        ], options: LinePlotOptions(xRange: AxisRange(low: 0, high: 1), yRange: AxisRange(low: 0, high: 1),
                                    showLegend: false))
        let area = plot.plotArea
        #expect(plot.image.count(of: .orange) == plot.image.count(of: .orange, within: area))
        #expect(plot.image.count(of: .orange) > area.width)
        #expect(plot.image.has(.orange, near: plot.pixelPosition(x: 0.5, y: 0.5)))
    }

    @Test func integerTicksOnlyWhenAsked() {
        #expect(niceTicks(from: 0.5, to: 3.5, targetCount: 10, integersOnly: true).labels == ["1", "2", "3"])
        #expect(niceTicks(from: 0.5, to: 3.5, targetCount: 10).labels.contains("1.5"))
        #expect(niceTicks(from: 0, to: 100, targetCount: 6, integersOnly: true).step == 20)
        let fractional = LinePlot(series: [LineSeries(name: "f", points: [PlotPoint(x: 0.5, y: 1), PlotPoint(x: 2, y: 2)],
                                                      color: .red)])
        #expect(fractional.xTicks.labels.contains { $0.contains(".") })
    }
}
