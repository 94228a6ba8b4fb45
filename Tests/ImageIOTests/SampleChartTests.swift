import Foundation
import Testing
@testable import ImageIO

/// Renders the new charts; written to `IMAGEIO_SAMPLE_DIR` when set (for looking at them), otherwise to a
/// temporary folder.
@Suite struct SampleChartTests {
    @Test func sampleChartsRenderAndDecode() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let output = ProcessInfo.processInfo.environment["IMAGEIO_SAMPLE_DIR"].map { URL(fileURLWithPath: $0) } ?? dir.url

        // Loss curves of three runs, train solid and test dashed, with a NaN epoch in one run.
        var series: [LineSeries] = []
        for run in 0..<3 {
            let train = (0..<30).map { 120 * exp(-Float($0) / Float(4 + 2 * run)) + 100 + 3 * Float(run) }
            var test = train.enumerated().map { $0.element + 4 + 0.15 * Float($0.offset) }
            if run == 2 { test[12] = .nan }
            series.append(LineSeries(name: "beta \(run + 1) train", values: train, color: .categorical(run)))
            series.append(LineSeries(name: "beta \(run + 1) test", values: test, color: .categorical(run), style: .dashed))
        }
        let loss = LinePlot(series: series, options: LinePlotOptions(title: "Loss per epoch (ELBO, nats)",
                                                                      xLabel: "epoch", yLabel: "loss"))
        let lossURL = output.appendingPathComponent("sample-loss.png")
        try loss.writePNG(to: lossURL)
        #expect(try RGBImage.readPNG(from: lossURL) == loss.image)

        // Five short epochs: integer ticks.
        let short = LinePlot(series: [
            LineSeries(name: "train", values: [190, 150, 135, 128, 124], color: .categorical(0)),
            LineSeries(name: "test", values: [170, 145, 133, 129, 127], color: .categorical(0), style: .dashed),
        ], options: LinePlotOptions(width: 500, height: 350, title: "5 epochs", xLabel: "epoch", yLabel: "loss"))
        try short.writePNG(to: output.appendingPathComponent("sample-loss-short.png"))

        // Ten classes of 500 points each.
        var random = TestRandom(seed: 5)
        let classes = (0..<10).map { k in
            let angle = Float(k) / 10 * 2 * Float.pi
            let points = (0..<500).map { _ in
                PlotPoint(x: 2.2 * cos(angle) + (random.unit() + random.unit() + random.unit() - 1.5),
                          y: 2.2 * sin(angle) + (random.unit() + random.unit() + random.unit() - 1.5))
            }
            return ScatterSeries(name: "\(k)", points: points, color: .categorical(k))
        }
        let scatter = ScatterPlot(series: classes, options: ScatterPlotOptions(
            width: 700, height: 640, title: "Latent means (test set, 5000 digits)", xLabel: "z1", yLabel: "z2",
            pointRadius: 1, xRange: AxisRange(low: -4.5, high: 4.5), yRange: AxisRange(low: -4.5, high: 4.5),
            legendPlacement: .outsideRight))
        try scatter.writePNG(to: output.appendingPathComponent("sample-classes.png"))

        // A latent traversal: ten rows of eight blurry discs, labelled by dimension.
        var images = [Float](repeating: 0, count: 80 * 28 * 28)
        for k in 0..<80 {
            let cx = 6 + 2 * Float(k % 8), cy = 14 + 6 * sin(Float(k / 8)), r = 4 + Float(k / 8) / 2
            for y in 0..<28 {
                for x in 0..<28 {
                    let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot()
                    images[k * 784 + y * 28 + x] = max(0, min(1, (r + 1 - d) / 2))
                }
            }
        }
        let labels = (0..<10).map { "dim \($0) (KL \(String(format: "%.1f", 3.2 - 0.3 * Float($0))))" }
        let columns = (0..<8).map { String(format: "%.1f", -2 + Float($0) * 4 / 7) }
        let traversal = LabeledImageGrid(images: images, imageCount: 80, imageHeight: 28, imageWidth: 28,
                                         rowLabels: labels, columnLabels: columns, title: "Latent traversal, z ≤ ±2σ")
        try traversal.writePNG(to: output.appendingPathComponent("sample-traversal.png"), gray: true)
        let big = LabeledImageGrid(images: Array(images[0..<(20 * 784)]), imageCount: 20, imageHeight: 28,
                                   imageWidth: 28, imagesPerRow: 10, rowLabels: ["0", "1"],
                                   title: "Samples by class", textScale: 2)
        try big.writePNG(to: output.appendingPathComponent("sample-class-grid.png"))

        // The font, old and new glyphs.
        let lines = ["THE QUICK BROWN FOX JUMPS OVER", "the lazy dog, jumping quickly!",
                     "0123456789 -.,:;()[]=+_/%!?'*<>|", "#&\"~^@$`{}\\ −×±≤≥·°→σμβ §"]
        var sheet = RGBImage(width: 400, height: lines.count * 30 + 10)
        for (row, line) in lines.enumerated() {
            sheet.drawText(line, x: 5, y: 5 + 30 * row, scale: 2)
        }
        try sheet.writePNG(to: output.appendingPathComponent("sample-font-symbols.png"))
    }
}
