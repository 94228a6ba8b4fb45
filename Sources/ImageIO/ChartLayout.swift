import Foundation

/// Where a chart puts its legend box.
public enum LegendPlacement: Sendable, Hashable {
    /// Inside the plot area, in the corner that hides the least data.
    case insideBestCorner
    /// To the right of the plot frame, top-aligned with it; the plot area narrows to make room.
    /// Entries wrap into several columns when one column would be taller than the frame.
    case outsideRight
}

/// Text and size settings shared by the charts, resolved into pixel positions by `ChartLayout`.
struct ChartText {
    /// Title centered above the frame, if any.
    var title: String?
    /// Horizontal axis title.
    var xLabel: String
    /// Vertical axis title (drawn rotated).
    var yLabel: String
    /// Integer magnification of the font, at least 1.
    var scale: Int
}

/// A rendered chart: its image, where its parts ended up, and PNG output.
public protocol Chart: Sendable {
    /// The rendered image.
    var image: RGBImage { get }
    /// Frame, plot area, ranges and ticks of the rendered chart.
    var layout: ChartLayout { get }
    /// Where the legend box was drawn (nil if not shown).
    var legendArea: PixelRect? { get }
}

extension Chart {
    /// Pixels inside the frame where data is drawn (data is clipped to it).
    public var plotArea: PixelRect { layout.plotArea }
    /// Data range along x.
    public var xRange: AxisRange { layout.xRange }
    /// Data range along y.
    public var yRange: AxisRange { layout.yRange }
    /// Ticks along x.
    public var xTicks: AxisTicks { layout.xTicks }
    /// Ticks along y.
    public var yTicks: AxisTicks { layout.yTicks }

    /// Pixel at which the data point (x, y) is drawn, e.g. the center of a scatter point's disc
    /// (may lie outside `plotArea` for data outside the ranges). See `ChartLayout` for the formula.
    public func pixelPosition(x: Float, y: Float) -> PixelPoint {
        layout.pixel(x: x, y: y)
    }

    /// Writes the chart as an RGB PNG file, atomically (see `RGBImage.writePNG(to:)`).
    public func writePNG(to url: URL) throws(PNGError) {
        try image.writePNG(to: url)
    }
}

/// The pixel geometry of a chart with a frame, ticks, tick labels, axis titles and an optional title,
/// and the linear map from data to pixels:
/// `xRange.low` → `plotArea.x`, `xRange.high` → `plotArea.maxX − 1`,
/// `yRange.low` → `plotArea.maxY − 1` (bottom), `yRange.high` → `plotArea.y` (top), each rounded to the
/// nearest pixel: column `plotArea.x + round((x − low) / (high − low) · (plotArea.width − 1))`.
public struct ChartLayout: Sendable {
    let text: ChartText
    /// Image width in pixels.
    public let width: Int
    /// Image height in pixels.
    public let height: Int
    /// The one-pixel black frame around `plotArea`.
    public let frame: PixelRect
    /// Pixels inside the frame where data is drawn.
    public let plotArea: PixelRect
    /// Data range along x.
    public let xRange: AxisRange
    /// Data range along y.
    public let yRange: AxisRange
    /// Ticks along x.
    public let xTicks: AxisTicks
    /// Ticks along y.
    public let yTicks: AxisTicks
    /// The legend box's contents and size (nil when there is none).
    let legend: Legend?
    /// Where the legend goes.
    let legendPlacement: LegendPlacement
    /// Space between frame and outside legend and other small gaps, in pixels.
    var outerMargin: Int { 6 * text.scale }
    var tickLength: Int { 3 * text.scale }
    var gap: Int { 2 * text.scale }

    /// Lays out a `width × height` chart.
    ///
    /// - Parameters:
    ///   - legendEntries: One per series; no legend when empty.
    ///   - legendPlacement: Where the legend goes; `.outsideRight` narrows the plot area to make room.
    ///   - integerXTicks: Whether x ticks are whole numbers only (see `niceTicks(integersOnly:)`).
    ///   - integerYTicks: Same for y.
    ///   - denseTicks: false (scatter plots): `niceTicks` aiming at one tick per five characters of frame;
    ///     true (line charts): the smallest nice step whose x ticks are at least five characters apart with two
    ///     characters between labels, and whose y ticks are at least three text lines apart.
    init(width: Int, height: Int, text: ChartText, xRange: AxisRange, yRange: AxisRange,
         legendEntries: [LegendEntry], legendPlacement: LegendPlacement,
         integerXTicks: Bool = false, integerYTicks: Bool = false, denseTicks: Bool = false) {
        precondition(text.scale >= 1, "textScale must be at least 1")
        let outside = legendPlacement == .outsideRight
        let legend = legendEntries.isEmpty ? nil : Legend(entries: legendEntries, scale: text.scale,
            maxHeight: outside ? max(3, height - Self.frameTop(text: text) - Self.bottomMargin(scale: text.scale)) : .max)
        let rightReserve = outside ? legend?.size.width ?? 0 : 0
        self.legend = legend
        self.legendPlacement = legendPlacement
        self.text = text
        self.width = width
        self.height = height
        self.xRange = xRange
        self.yRange = yRange
        let scale = text.scale
        let outerMargin = 6 * scale, tickLength = 3 * scale, gap = 2 * scale
        let lineHeight = BitmapFont.lineHeight * scale

        // Vertical layout does not depend on the tick labels, so the y ticks come first; their label
        // width fixes the left margin, which fixes the plot width and so the x ticks.
        // Ticks are aimed at least five character widths apart.
        let tickSpacing = 5 * BitmapFont.advance * scale
        let frameHeight = max(3, height - Self.frameTop(text: text) - Self.bottomMargin(scale: scale))
        // Stacked y labels need less room than side-by-side x labels: three text lines when dense.
        let ySpacing = denseTicks ? 3 * lineHeight : tickSpacing
        yTicks = Self.ticks(for: yRange, length: frameHeight, spacing: ySpacing, integers: integerYTicks,
                            dense: denseTicks, labelScale: nil)
        let yLabelWidth = yTicks.labels.map { BitmapFont.textSize($0, scale: scale).width }.max() ?? 0
        let left = outerMargin + lineHeight + 2 * gap + yLabelWidth + gap + tickLength
        // Room for half of the last x label, or for the reserved legend column.
        let right = max(outerMargin, 3 * BitmapFont.advance * scale, rightReserve > 0 ? rightReserve + outerMargin : 0)
        let frameWidth = max(3, width - left - right)
        xTicks = Self.ticks(for: xRange, length: frameWidth, spacing: tickSpacing, integers: integerXTicks,
                            dense: denseTicks, labelScale: scale)
        frame = PixelRect(x: left, y: Self.frameTop(text: text), width: frameWidth, height: frameHeight)
        plotArea = PixelRect(x: frame.x + 1, y: frame.y + 1, width: frame.width - 2, height: frame.height - 2)
    }

    /// Ticks for `range` shown over `length` pixels (see `init`'s `denseTicks`).
    ///
    /// - Parameter labelScale: Font scale of labels laid side by side (x axis), nil when they are stacked (y axis).
    private static func ticks(for range: AxisRange, length: Int, spacing: Int, integers: Bool, dense: Bool,
                              labelScale: Int?) -> AxisTicks {
        let sparse = niceTicks(from: range.low, to: range.high, targetCount: min(10, max(2, length / spacing)),
                               integersOnly: integers)
        guard dense else { return sparse }
        for target in stride(from: 10, through: 2, by: -1) {
            let ticks = niceTicks(from: range.low, to: range.high, targetCount: target, integersOnly: integers)
            let distance = ticks.step / (range.high - range.low) * Double(length)
            let widestLabel = labelScale.map { scale in
                (ticks.labels.map { BitmapFont.textSize($0, scale: scale).width }.max() ?? 0)
                    + 2 * BitmapFont.advance * scale
            } ?? 0
            if distance >= Double(max(spacing, widestLabel)) { return ticks }
        }
        return sparse
    }

    /// First row of the frame: outer margin, title line if any, half a tick label above the top tick.
    private static func frameTop(text: ChartText) -> Int {
        let scale = text.scale
        let titleBlock = text.title == nil ? 0 : BitmapFont.lineHeight * scale + 4 * scale
        return 6 * scale + titleBlock + BitmapFont.capHeight * scale / 2
    }

    /// Rows below the frame: ticks, tick labels, axis title, outer margin.
    private static func bottomMargin(scale: Int) -> Int {
        3 * scale + 2 * scale + BitmapFont.capHeight * scale + 4 * scale + BitmapFont.lineHeight * scale + 6 * scale
    }

    /// Column for data value `x`: `plotArea.x + round((x − low) / (high − low) · (plotArea.width − 1))`.
    func pixelX(_ x: Double) -> Int {
        let t = (x - xRange.low) / (xRange.high - xRange.low) * Double(plotArea.width - 1)
        return plotArea.x + Int(Self.clampForPixel(t).rounded())
    }

    /// Row for data value `y`: `plotArea.maxY − 1 − round((y − low) / (high − low) · (plotArea.height − 1))`.
    func pixelY(_ y: Double) -> Int {
        let t = (y - yRange.low) / (yRange.high - yRange.low) * Double(plotArea.height - 1)
        return plotArea.maxY - 1 - Int(Self.clampForPixel(t).rounded())
    }

    /// Pixel of the data point (x, y) (may lie outside `plotArea` for data outside the ranges).
    func pixel(x: Float, y: Float) -> PixelPoint {
        PixelPoint(x: pixelX(Double(x)), y: pixelY(Double(y)))
    }

    /// Keeps far-away values representable as Int (they are clipped when drawn anyway).
    private static func clampForPixel(_ t: Double) -> Double {
        min(max(t, -1e6), 1e6)
    }

    /// Light gray lines across the plot area at every tick.
    func drawGridLines(on canvas: inout RGBImage) {
        for value in xTicks.values {
            canvas.fillRect(PixelRect(x: pixelX(value), y: plotArea.y, width: 1, height: plotArea.height), color: .lightGray)
        }
        for value in yTicks.values {
            canvas.fillRect(PixelRect(x: plotArea.x, y: pixelY(value), width: plotArea.width, height: 1), color: .lightGray)
        }
    }

    /// Frame, tick marks, tick labels, axis titles and the title.
    func drawAxes(on canvas: inout RGBImage) {
        let scale = text.scale
        let capHeight = BitmapFont.capHeight * scale
        canvas.strokeRect(frame, color: .black)

        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let px = pixelX(value)
            canvas.fillRect(PixelRect(x: px, y: frame.maxY, width: 1, height: tickLength), color: .black)
            let size = BitmapFont.textSize(label, scale: scale)
            canvas.drawText(label, x: px - size.width / 2, y: frame.maxY + tickLength + gap, scale: scale)
        }
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            let py = pixelY(value)
            canvas.fillRect(PixelRect(x: frame.x - tickLength, y: py, width: tickLength, height: 1), color: .black)
            let size = BitmapFont.textSize(label, scale: scale)
            canvas.drawText(label, x: frame.x - tickLength - gap - size.width, y: py - capHeight / 2, scale: scale)
        }

        let xTitleSize = BitmapFont.textSize(text.xLabel, scale: scale)
        canvas.drawText(text.xLabel, x: frame.x + (frame.width - xTitleSize.width) / 2,
                        y: frame.maxY + tickLength + gap + capHeight + 2 * gap, scale: scale)
        let yTitleSize = BitmapFont.textSize(text.yLabel, scale: scale)
        canvas.drawText(text.yLabel, x: outerMargin, y: frame.y + (frame.height - yTitleSize.width) / 2,
                        scale: scale, orientation: .rotatedCounterclockwise)
        if let title = text.title {
            let size = BitmapFont.textSize(title, scale: scale)
            // Centered over the frame when it fits there, else over the whole image.
            let centeredOverFrame = frame.x + (frame.width - size.width) / 2
            let x = size.width <= frame.width ? centeredOverFrame : (width - size.width) / 2
            canvas.drawText(title, x: max(0, x), y: outerMargin, scale: scale)
        }
    }

    /// Draws the legend, if any: right of the frame level with its top (`.outsideRight`), or in the inside corner
    /// whose box, widened by `clearance` pixels on each side, `covered` scores lowest (`.insideBestCorner`).
    ///
    /// - Returns: The legend box, or nil when there is no legend.
    func drawLegend(on canvas: inout RGBImage, clearance: Int, covered: (PixelRect) -> Int) -> PixelRect? {
        guard let legend else { return nil }
        switch legendPlacement {
        case .outsideRight:
            return legend.draw(at: PixelPoint(x: frame.maxX + outerMargin, y: frame.y), on: &canvas)
        case .insideBestCorner:
            let best = bestInsideCorner(for: legend.size) { candidate in
                covered(PixelRect(x: candidate.x - clearance, y: candidate.y - clearance,
                                  width: candidate.width + 2 * clearance, height: candidate.height + 2 * clearance))
            }
            return legend.draw(at: PixelPoint(x: best.x, y: best.y), on: &canvas)
        }
    }

    /// The candidate legend box, inside the plot area and inset from its corners, that `covered` scores lowest;
    /// ties go to the earlier corner in the order top-right, top-left, bottom-right, bottom-left.
    private func bestInsideCorner(for size: PixelSize, covered: (PixelRect) -> Int) -> PixelRect {
        let inset = 4 * text.scale
        let corners = [
            PixelPoint(x: plotArea.maxX - inset - size.width, y: plotArea.y + inset),
            PixelPoint(x: plotArea.x + inset, y: plotArea.y + inset),
            PixelPoint(x: plotArea.maxX - inset - size.width, y: plotArea.maxY - inset - size.height),
            PixelPoint(x: plotArea.x + inset, y: plotArea.maxY - inset - size.height),
        ]
        let candidates = corners.map { PixelRect(x: $0.x, y: $0.y, width: size.width, height: size.height) }
        let scores = candidates.map(covered)
        return candidates[scores.indices.min { scores[$0] < scores[$1] } ?? 0]
    }
}
