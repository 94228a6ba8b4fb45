import Foundation
import Testing
@testable import ImageIO

@Suite struct NiceTickTests {
    @Test func knownRanges() {
        let unit = niceTicks(from: -1.1, to: 1.1)
        #expect(unit.step == 0.5)
        #expect(unit.values == [-1, -0.5, 0, 0.5, 1])
        #expect(unit.labels == ["-1.0", "-0.5", "0.0", "0.5", "1.0"])

        let tens = niceTicks(from: 0, to: 10)
        #expect(tens.step == 2)
        #expect(tens.labels == ["0", "2", "4", "6", "8", "10"])

        let small = niceTicks(from: 0.013, to: 0.087)
        #expect(small.step == 0.02)
        #expect(small.labels == ["0.02", "0.04", "0.06", "0.08"])

        let wide = niceTicks(from: -13, to: 117)
        #expect(wide.step == 50)
        #expect(wide.labels == ["0", "50", "100"])

        let signs = niceTicks(from: -1, to: 1, targetCount: 3)
        #expect(signs.labels == ["-1", "0", "1"])
    }

    @Test func degenerateRangeGivesOneTick() {
        #expect(niceTicks(from: 3, to: 3).values == [3])
        #expect(niceTicks(from: .nan, to: 1).values == [0])
    }

    @Test func randomRangesGiveNiceSteps() {
        var random = TestRandom(seed: 7)
        for _ in 0..<500 {
            let magnitude = pow(10, Double(random.unit()) * 8 - 4)
            let a = (Double(random.unit()) - 0.5) * magnitude * 10
            let b = a + (Double(random.unit()) + 1e-3) * magnitude
            let target = 2 + Int(random.next() % 9)
            let ticks = niceTicks(from: a, to: b, targetCount: target)
            let exponent = floor(log10(ticks.step))
            let mantissa = ticks.step / pow(10, exponent)
            #expect([1.0, 2.0, 5.0].contains { abs(mantissa - $0) < 1e-9 }, "step \(ticks.step)")
            #expect(ticks.values.count <= target)
            #expect(ticks.values.count == ticks.labels.count)
            #expect(ticks.values.allSatisfy { $0 >= a - 1e-9 * abs(a) - 1e-12 && $0 <= b + 1e-9 * abs(b) + 1e-12 })
            for value in ticks.values {
                let k = value / ticks.step
                #expect(abs(k - k.rounded()) < 1e-6)
            }
            // The step is the smallest nice one: the next smaller nice step would exceed the target count.
            #expect(ticks.step >= (b - a) / Double(target - 1) * (1 - 1e-9))
            // Labels are distinct and parse back to the values.
            #expect(Set(ticks.labels).count == ticks.labels.count)
            for (value, label) in zip(ticks.values, ticks.labels) {
                let parsed = Double(label) ?? .nan
                #expect(abs(parsed - value) <= ticks.step * 1e-6, "\(label) vs \(value)")
            }
        }
    }

    @Test func axisRangeAddsFivePercentMargin() {
        let range = AxisRange.enclosing([0, 10, 4, .nan, 2])
        #expect(abs(range.low - -0.5) < 1e-12 && abs(range.high - 10.5) < 1e-12)
        let single = AxisRange.enclosing([3, 3])
        #expect(single.low == 2.5 && single.high == 3.5)
        let empty = AxisRange.enclosing([Float]())
        #expect(empty.low == 0 && empty.high == 1)
    }
}

@Suite struct ScatterPlotTests {
    static let training = RGBColor.lightBlue
    static let generated = RGBColor.orange

    /// A noisy Swiss roll (2-D spiral) with a fixed seed.
    static func swissRoll(count: Int, seed: UInt64, noise: Float) -> [PlotPoint] {
        var random = TestRandom(seed: seed)
        return (0..<count).map { _ in
            let t = 1.5 * Float.pi * (1 + 2 * random.unit())
            return PlotPoint(x: t * cos(t) + noise * (random.unit() - 0.5), y: t * sin(t) + noise * (random.unit() - 0.5))
        }
    }

    /// Training points on the boundary of [0, 10]² and one generated point at (6, 4).
    static func squarePlot(title: String? = nil, showLegend: Bool = true) -> ScatterPlot {
        var square: [PlotPoint] = []
        for i in 0...20 {
            let s = Float(i) / 2
            square += [PlotPoint(x: s, y: 0), PlotPoint(x: s, y: 10), PlotPoint(x: 0, y: s), PlotPoint(x: 10, y: s)]
        }
        return ScatterPlot(series: [
            ScatterSeries(name: "training", points: square, color: training),
            ScatterSeries(name: "generated", points: [PlotPoint(x: 6, y: 4)], color: generated),
        ], options: ScatterPlotOptions(title: title, showLegend: showLegend))
    }

    private func count(_ color: RGBColor, in image: RGBImage, within rect: PixelRect? = nil) -> Int {
        let area = rect ?? PixelRect(x: 0, y: 0, width: image.width, height: image.height)
        var n = 0
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX where image[x: x, y: y] == color { n += 1 }
        }
        return n
    }

    @Test func pngDecodesBackAtTheRightSizeOnWhite() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plot = Self.squarePlot(title: "Square")
        let url = dir.file("square.png")
        try plot.writePNG(to: url)
        let image = try RGBImage.readPNG(from: url)
        #expect(image.width == 640 && image.height == 640)
        #expect(image == plot.image)
        for (x, y) in [(0, 0), (639, 0), (0, 639), (639, 639), (320, 2)] {
            #expect(image[x: x, y: y] == .white)
        }
        #expect(count(.white, in: image) > image.width * image.height / 2)
        #expect(count(Self.training, in: image) > 0)
        #expect(count(Self.generated, in: image) > 0)
    }

    @Test func dataPointsLandAtTheirMappedPixels() {
        let plot = Self.squarePlot()
        let area = plot.plotArea
        #expect(area.width > 400 && area.height > 400)
        // x range [-0.5, 10.5]: 6 maps to 6.5 / 11 of the way across, 4 to 4.5 / 11 of the way up.
        let expected = PixelPoint(x: area.x + Int((6.5 / 11 * Double(area.width - 1)).rounded()),
                                  y: area.maxY - 1 - Int((4.5 / 11 * Double(area.height - 1)).rounded()))
        #expect(plot.pixelPosition(x: 6, y: 4) == expected)
        #expect(plot.image[x: expected.x, y: expected.y] == Self.generated)
        // The whole radius-2 disc is there, and nothing generated-colored elsewhere (legend aside).
        let disc = PixelRect(x: expected.x - 2, y: expected.y - 2, width: 5, height: 5)
        #expect(count(Self.generated, in: plot.image, within: disc) == 21)
        let legend = plot.legendArea ?? PixelRect(x: 0, y: 0, width: 0, height: 0)
        #expect(count(Self.generated, in: plot.image) - count(Self.generated, in: plot.image, within: legend) == 21)
        // Corners of the data square, (0, 0) bottom-left and (10, 10) top-right.
        let origin = plot.pixelPosition(x: 0, y: 0)
        let corner = plot.pixelPosition(x: 10, y: 10)
        #expect(origin.x == area.x + Int((0.5 / 11 * Double(area.width - 1)).rounded()))
        #expect(corner.y == area.maxY - 1 - Int((10.5 / 11 * Double(area.height - 1)).rounded()))
        // The legend may cover a corner, so look at the same plot without it.
        let bare = Self.squarePlot(showLegend: false)
        #expect(bare.plotArea == area)
        #expect(bare.image[x: origin.x, y: origin.y] == Self.training)
        #expect(bare.image[x: corner.x, y: corner.y] == Self.training)
        // Range edges map to the plot-area edges.
        #expect(plot.pixelPosition(x: -0.5, y: -0.5) == PixelPoint(x: area.x, y: area.maxY - 1))
    }

    @Test func pointsAreClippedToThePlotArea() {
        // The margin is 0 so the extreme points sit on the plot-area edge; their discs must not cross the frame.
        let points = [PlotPoint(x: 0, y: 0), PlotPoint(x: 1, y: 1)]
        let plot = ScatterPlot(series: [ScatterSeries(name: "edge", points: points, color: .red)],
                               options: ScatterPlotOptions(marginFraction: 0, showLegend: false))
        let area = plot.plotArea
        #expect(plot.image[x: area.x, y: area.maxY - 1] == .red)
        #expect(plot.image[x: area.maxX - 1, y: area.y] == .red)
        let inside = count(.red, in: plot.image, within: area)
        #expect(inside == 2 * 8)  // quarter discs: 3×3 pixels minus the far corner
        #expect(count(.red, in: plot.image) == inside)
        #expect(plot.image[x: area.x - 1, y: area.maxY - 1] == .black)  // frame
    }

    @Test func frameTicksAndLabelsAreDrawn() {
        let plot = Self.squarePlot()
        let area = plot.plotArea
        let image = plot.image
        // Frame one pixel outside the plot area.
        #expect(image[x: area.x - 1, y: area.y + 10] == .black)
        #expect(image[x: area.maxX, y: area.y + 10] == .black)
        #expect(image[x: area.x + 10, y: area.maxY] == .black)
        #expect(plot.xTicks.labels == ["0", "2", "4", "6", "8", "10"])
        #expect(plot.yTicks.labels == plot.xTicks.labels)
        // A tick mark below the frame at every x tick, left of it at every y tick.
        for value in plot.xTicks.values {
            let px = plot.pixelPosition(x: Float(value), y: 0).x
            #expect(image[x: px, y: area.maxY + 3] == .black)
        }
        for value in plot.yTicks.values {
            let py = plot.pixelPosition(x: 0, y: Float(value)).y
            #expect(image[x: area.x - 4, y: py] == .black)
        }
        // Tick label text sits below the x-axis ticks, centered on the tick.
        let px = plot.pixelPosition(x: 4, y: 0).x
        let labelBox = PixelRect(x: px - 5, y: area.maxY + 1 + 6 + 4, width: 10, height: 14)
        #expect(count(.black, in: image, within: labelBox) > 20)
    }

    @Test func titleAndAxisLabelTextStaysInsideItsBox() {
        let plot = Self.squarePlot(title: "Swiss roll")
        let image = plot.image
        let size = BitmapFont.textSize("Swiss roll", scale: 2)
        let frame = PixelRect(x: plot.plotArea.x - 1, y: plot.plotArea.y - 1,
                              width: plot.plotArea.width + 2, height: plot.plotArea.height + 2)
        let titleBox = PixelRect(x: frame.x + (frame.width - size.width) / 2, y: 12, width: size.width, height: size.height)
        // Everything above the y-tick labels is the title.
        var inkAbove = 0
        for y in 0..<35 {
            for x in 0..<640 where image[x: x, y: y] != .white {
                inkAbove += 1
                #expect(titleBox.contains(x: x, y: y), "stray ink at (\(x), \(y))")
            }
        }
        #expect(inkAbove > 50)
        // The x-axis title "x" is centered under the plot, in the bottom margin.
        let xSize = BitmapFont.textSize("x", scale: 2)
        let frameCenter = plot.plotArea.x - 1 + (plot.plotArea.width + 2 - xSize.width) / 2
        let xBox = PixelRect(x: frameCenter, y: plot.plotArea.maxY + 1 + 6 + 4 + 14 + 8, width: xSize.width, height: xSize.height)
        #expect(count(.black, in: image, within: xBox) == 4 * 9)  // 'x' has 9 lit font pixels
        // The y-axis title is rotated near the left edge.
        let yBox = PixelRect(x: 12, y: plot.plotArea.y, width: 18, height: plot.plotArea.height)
        #expect(count(.black, in: image, within: yBox) > 0)
    }

    @Test func legendShowsBothSeries() throws {
        let plot = Self.squarePlot()
        let legend = try #require(plot.legendArea)
        #expect(plot.plotArea.intersection(legend) == legend)
        #expect(count(Self.training, in: plot.image, within: legend) > 20)
        #expect(count(Self.generated, in: plot.image, within: legend) > 20)
        #expect(count(.black, in: plot.image, within: legend) > 50)  // the names
    }

    @Test func legendAvoidsTheCornerHoldingData() throws {
        // A dense cluster in the top-right corner should push the legend elsewhere.
        var random = TestRandom(seed: 8)
        let cluster = (0..<200).map { _ in PlotPoint(x: 9 + random.unit(), y: 9 + random.unit()) }
        let plot = ScatterPlot(series: [
            ScatterSeries(name: "cluster", points: cluster + [PlotPoint(x: 0, y: 0)], color: Self.training),
        ])
        let legend = try #require(plot.legendArea)
        #expect(legend.x < plot.plotArea.x + plot.plotArea.width / 2 || legend.y > plot.plotArea.y + plot.plotArea.height / 2)
    }

    @Test func interleavedSeriesAndDegenerateInputs() {
        let series = ScatterSeries(name: "s", interleaved: [1, 2, 3, 4], color: .red)
        #expect(series.points == [PlotPoint(x: 1, y: 2), PlotPoint(x: 3, y: 4)])
        let empty = ScatterPlot(series: [])
        #expect(empty.image.width == 640 && empty.legendArea == nil)
        let one = ScatterPlot(series: [ScatterSeries(name: "one", points: [PlotPoint(x: 5, y: .nan), PlotPoint(x: 2, y: 2)],
                                                     color: .red)],
                              options: ScatterPlotOptions(width: 300, height: 200))
        #expect(one.image.width == 300 && one.image.height == 200)
        #expect(one.image[x: one.pixelPosition(x: 2, y: 2).x, y: one.pixelPosition(x: 2, y: 2).y] == .red)
    }

    /// Renders a Swiss-roll plot and an MNIST-like grid; written to `IMAGEIO_SAMPLE_DIR` when set
    /// (for looking at them), otherwise to a temporary folder.
    @Test func sampleImagesRenderAndDecode() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let output = ProcessInfo.processInfo.environment["IMAGEIO_SAMPLE_DIR"].map { URL(fileURLWithPath: $0) } ?? dir.url
        let plot = ScatterPlot(series: [
            ScatterSeries(name: "training data", points: Self.swissRoll(count: 1500, seed: 9, noise: 1.0), color: Self.training),
            ScatterSeries(name: "VAE samples", points: Self.swissRoll(count: 500, seed: 10, noise: 2.5), color: Self.generated),
        ], options: ScatterPlotOptions(title: "Swiss roll: data vs. samples (epoch 10)"))
        let plotURL = output.appendingPathComponent("sample-scatter.png")
        try plot.writePNG(to: plotURL)
        #expect(try RGBImage.readPNG(from: plotURL) == plot.image)

        // Blurry discs of varying size stand in for digits.
        var random = TestRandom(seed: 11)
        var images = [Float](repeating: 0, count: 64 * 28 * 28)
        for k in 0..<64 {
            let cx = 8 + 12 * random.unit(), cy = 8 + 12 * random.unit(), r = 3 + 6 * random.unit()
            for y in 0..<28 {
                for x in 0..<28 {
                    let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot()
                    images[k * 784 + y * 28 + x] = max(0, min(1, (r + 1 - d) / 2))
                }
            }
        }
        let grid = makeImageGrid(images: images, imageCount: 64, imageHeight: 28, imageWidth: 28)
        let gridURL = output.appendingPathComponent("sample-grid.png")
        try grid.writePNG(to: gridURL)
        #expect(try GrayImage.readPNG(from: gridURL) == grid)

        // Every glyph of the font.
        let lines = ["THE QUICK BROWN FOX JUMPS OVER", "the lazy dog, jumping quickly!",
                     "0123456789 -.,:;()[]=+_/%!?'*<>|"]
        var sheet = RGBImage(width: 400, height: 3 * 30 + 10)
        for (row, line) in lines.enumerated() {
            sheet.drawText(line, x: 5, y: 5 + 30 * row, scale: 2)
        }
        let sheetURL = output.appendingPathComponent("sample-font.png")
        try sheet.writePNG(to: sheetURL)
        #expect(try RGBImage.readPNG(from: sheetURL) == sheet)
    }
}
