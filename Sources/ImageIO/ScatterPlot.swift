import Foundation

/// A point in data coordinates.
public struct PlotPoint: Sendable, Hashable {
    /// Horizontal data coordinate.
    public var x: Float
    /// Vertical data coordinate.
    public var y: Float

    /// Creates a data point.
    public init(x: Float, y: Float) {
        self.x = x
        self.y = y
    }
}

/// One named, colored set of points in a scatter plot.
public struct ScatterSeries: Sendable {
    /// Name shown in the legend.
    public var name: String
    /// The points; non-finite coordinates are skipped when drawing and when choosing axis ranges.
    public var points: [PlotPoint]
    /// Fill color of the point discs and the legend marker.
    public var color: RGBColor

    /// Creates a series from points.
    public init(name: String, points: [PlotPoint], color: RGBColor) {
        self.name = name
        self.points = points
        self.color = color
    }

    /// Creates a series from an N×2 row-major buffer `[x0, y0, x1, y1, ...]`.
    ///
    /// - Parameter interleaved: Alternating x and y values; its count must be even.
    public init(name: String, interleaved: [Float], color: RGBColor) {
        precondition(interleaved.count % 2 == 0, "interleaved x/y buffer needs an even count, got \(interleaved.count)")
        let points = stride(from: 0, to: interleaved.count, by: 2).map {
            PlotPoint(x: interleaved[$0], y: interleaved[$0 + 1])
        }
        self.init(name: name, points: points, color: color)
    }
}

/// A closed interval of data values shown along one axis.
public struct AxisRange: Sendable, Hashable {
    /// Value at the left (x) or bottom (y) edge of the plot area.
    public var low: Double
    /// Value at the right (x) or top (y) edge of the plot area.
    public var high: Double

    /// Creates a range; `low < high`.
    public init(low: Double, high: Double) {
        precondition(low < high, "axis range needs low < high, got [\(low), \(high)]")
        self.low = low
        self.high = high
    }

    /// The smallest range containing `values` (non-finite ones ignored), widened by
    /// `marginFraction · (max − min)` on each side.
    ///
    /// A single distinct value v gets the range v ± max(0.5, |v| · 0.05) before the margin is added;
    /// no finite values at all give [0, 1].
    /// - Parameters:
    ///   - values: Data values.
    ///   - marginFraction: Fraction of the data span added on each side (default 0.05).
    public static func enclosing<S: Sequence>(_ values: S, marginFraction: Double = 0.05) -> AxisRange
    where S.Element == Float {
        var low = Double.infinity, high = -Double.infinity
        for v in values where v.isFinite {
            low = min(low, Double(v))
            high = max(high, Double(v))
        }
        guard low <= high else { return AxisRange(low: 0, high: 1) }
        if low == high {
            let half = max(0.5, abs(low) * 0.05)
            return AxisRange(low: low - half, high: high + half)
        }
        let margin = (high - low) * marginFraction
        return AxisRange(low: low - margin, high: high + margin)
    }
}

/// Tick positions for one axis and their text labels.
public struct AxisTicks: Sendable, Hashable {
    /// Distance between consecutive ticks, of the form {1, 2, 5} · 10^k.
    public var step: Double
    /// Tick values in increasing order, all multiples of `step` inside the requested range.
    public var values: [Double]
    /// One label per value, printed with just enough decimals for `step` (e.g. "0.5", "-10").
    public var labels: [String]
}

/// "Nice" tick values covering [low, high]: the step is the smallest of {1, 2, 5} · 10^k that is at
/// least `(high − low) / (targetCount − 1)`, and the ticks are every multiple of it within the range.
///
/// - Parameters:
///   - low: Start of the range.
///   - high: End of the range; if it is not above `low` (or either is not finite) a single tick at `low` is returned.
///   - targetCount: Roughly how many ticks are wanted (default 6), at least 2; at most `targetCount` result.
/// - Returns: The step, the tick values and their labels.
public func niceTicks(from low: Double, to high: Double, targetCount: Int = 6) -> AxisTicks {
    precondition(targetCount >= 2, "targetCount must be at least 2, got \(targetCount)")
    guard low.isFinite, high.isFinite, high > low else {
        let value = low.isFinite ? low : 0
        return AxisTicks(step: 1, values: [value], labels: [formatTick(value, decimals: 0)])
    }
    let rawStep = (high - low) / Double(targetCount - 1)
    let magnitude = pow(10, floor(log10(rawStep)))
    var step = 10 * magnitude
    for multiplier in [1.0, 2.0, 5.0] where multiplier * magnitude >= rawStep * (1 - 1e-9) {
        step = multiplier * magnitude
        break
    }
    let tolerance = 1e-9
    let first = Int((low / step - tolerance).rounded(.up))
    let last = Int((high / step + tolerance).rounded(.down))
    let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
    var values: [Double] = [], labels: [String] = []
    if first <= last {
        for k in first...last {
            let value = Double(k) * step
            values.append(value)
            labels.append(k == 0 ? formatTick(0, decimals: decimals) : formatTick(value, decimals: decimals))
        }
    }
    return AxisTicks(step: step, values: values, labels: labels)
}

/// Fixed-point text for a tick value with the given number of decimals.
private func formatTick(_ value: Double, decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}

/// Appearance and size of a scatter plot.
public struct ScatterPlotOptions: Sendable {
    /// Image width in pixels (default 640).
    public var width: Int
    /// Image height in pixels (default 640).
    public var height: Int
    /// Title centered above the plot frame (default none).
    public var title: String?
    /// Title of the horizontal axis (default "x").
    public var xLabel: String
    /// Title of the vertical axis, drawn rotated (default "y").
    public var yLabel: String
    /// Integer magnification of the 5×7 font (default 2).
    public var textScale: Int
    /// Radius of each point disc in pixels (default 2).
    public var pointRadius: Int
    /// Fraction of the data span added around the data on each side (default 0.05).
    public var marginFraction: Double
    /// Light gray lines across the plot at each tick (default true).
    public var showGridLines: Bool
    /// Legend box naming each series, placed in the plot corner covering the fewest points (default true).
    public var showLegend: Bool

    /// Creates options; every parameter has the default listed on its property.
    public init(width: Int = 640, height: Int = 640, title: String? = nil, xLabel: String = "x", yLabel: String = "y",
                textScale: Int = 2, pointRadius: Int = 2, marginFraction: Double = 0.05,
                showGridLines: Bool = true, showLegend: Bool = true) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.textScale = textScale
        self.pointRadius = pointRadius
        self.marginFraction = marginFraction
        self.showGridLines = showGridLines
        self.showLegend = showLegend
    }
}

/// A rendered scatter plot of 2-D point series on a white canvas, with frame, ticks, tick labels,
/// axis titles, optional title and legend.
///
/// Data maps linearly onto `plotArea`: `xRange.low` → `plotArea.x`, `xRange.high` → `plotArea.maxX − 1`,
/// `yRange.low` → `plotArea.maxY − 1` (bottom), `yRange.high` → `plotArea.y` (top).
public struct ScatterPlot: Sendable {
    /// The rendered image, `options.width × options.height`.
    public let image: RGBImage
    /// Pixels inside the frame where points are drawn (points are clipped to it).
    public let plotArea: PixelRect
    /// Data range along x.
    public let xRange: AxisRange
    /// Data range along y.
    public let yRange: AxisRange
    /// Ticks along x.
    public let xTicks: AxisTicks
    /// Ticks along y.
    public let yTicks: AxisTicks
    /// Where the legend box was drawn (nil if not shown).
    public let legendArea: PixelRect?

    /// Renders the plot. Later series are drawn on top of earlier ones.
    ///
    /// - Parameters:
    ///   - series: The point series; axis ranges enclose all their finite points.
    ///   - options: Size and appearance (default `ScatterPlotOptions()`: 640×640, labels "x" and "y").
    public init(series: [ScatterSeries], options: ScatterPlotOptions = ScatterPlotOptions()) {
        precondition(options.textScale >= 1, "textScale must be at least 1")
        precondition(options.pointRadius >= 0, "pointRadius must be non-negative")
        let scale = options.textScale
        let xRange = AxisRange.enclosing(series.lazy.flatMap { $0.points.lazy.map(\.x) },
                                     marginFraction: options.marginFraction)
        let yRange = AxisRange.enclosing(series.lazy.flatMap { $0.points.lazy.map(\.y) },
                                     marginFraction: options.marginFraction)

        // Layout, in pixels.
        let outerMargin = 6 * scale
        let tickLength = 3 * scale
        let gap = 2 * scale
        let lineHeight = BitmapFont.lineHeight * scale
        let capHeight = BitmapFont.capHeight * scale
        let titleBlock = options.title == nil ? 0 : lineHeight + 2 * gap

        // Vertical layout does not depend on the tick labels, so the y ticks come first; their label
        // width fixes the left margin, which fixes the plot width and so the x ticks.
        // Ticks are aimed at least five character widths apart.
        let tickSpacing = 5 * BitmapFont.advance * scale
        let top = outerMargin + titleBlock + capHeight / 2
        let bottom = tickLength + gap + capHeight + 2 * gap + lineHeight + outerMargin
        let frameHeight = max(3, options.height - top - bottom)
        let yTicks = niceTicks(from: yRange.low, to: yRange.high, targetCount: min(10, max(2, frameHeight / tickSpacing)))
        let yLabelWidth = yTicks.labels.map { BitmapFont.textSize($0, scale: scale).width }.max() ?? 0
        let left = outerMargin + lineHeight + 2 * gap + yLabelWidth + gap + tickLength
        let right = max(outerMargin, 3 * BitmapFont.advance * scale)  // room for half of the last x label
        let frameWidth = max(3, options.width - left - right)
        let xTicks = niceTicks(from: xRange.low, to: xRange.high, targetCount: min(10, max(2, frameWidth / tickSpacing)))
        let frame = PixelRect(x: left, y: top, width: frameWidth, height: frameHeight)
        let plotArea = PixelRect(x: frame.x + 1, y: frame.y + 1, width: frame.width - 2, height: frame.height - 2)

        var canvas = RGBImage(width: options.width, height: options.height, fill: .white)
        let xPixels = xTicks.values.map { Self.pixelX($0, range: xRange, area: plotArea) }
        let yPixels = yTicks.values.map { Self.pixelY($0, range: yRange, area: plotArea) }

        if options.showGridLines {
            for px in xPixels {
                canvas.fillRect(PixelRect(x: px, y: plotArea.y, width: 1, height: plotArea.height), color: .lightGray)
            }
            for py in yPixels {
                canvas.fillRect(PixelRect(x: plotArea.x, y: py, width: plotArea.width, height: 1), color: .lightGray)
            }
        }

        // Points, clipped to the plot area.
        for s in series {
            for p in s.points where p.x.isFinite && p.y.isFinite {
                let center = PixelPoint(x: Self.pixelX(Double(p.x), range: xRange, area: plotArea),
                                        y: Self.pixelY(Double(p.y), range: yRange, area: plotArea))
                canvas.fillDisc(center: center, radius: options.pointRadius, color: s.color, clip: plotArea)
            }
        }

        canvas.strokeRect(frame, color: .black)

        // Ticks and tick labels.
        for (px, label) in zip(xPixels, xTicks.labels) {
            canvas.fillRect(PixelRect(x: px, y: frame.maxY, width: 1, height: tickLength), color: .black)
            let size = BitmapFont.textSize(label, scale: scale)
            canvas.drawText(label, x: px - size.width / 2, y: frame.maxY + tickLength + gap, scale: scale)
        }
        for (py, label) in zip(yPixels, yTicks.labels) {
            canvas.fillRect(PixelRect(x: frame.x - tickLength, y: py, width: tickLength, height: 1), color: .black)
            let size = BitmapFont.textSize(label, scale: scale)
            canvas.drawText(label, x: frame.x - tickLength - gap - size.width, y: py - capHeight / 2, scale: scale)
        }

        // Axis titles and plot title.
        let xTitleSize = BitmapFont.textSize(options.xLabel, scale: scale)
        canvas.drawText(options.xLabel, x: frame.x + (frame.width - xTitleSize.width) / 2,
                        y: frame.maxY + tickLength + gap + capHeight + 2 * gap, scale: scale)
        let yTitleSize = BitmapFont.textSize(options.yLabel, scale: scale)
        canvas.drawText(options.yLabel, x: outerMargin, y: frame.y + (frame.height - yTitleSize.width) / 2,
                        scale: scale, orientation: .rotatedCounterclockwise)
        if let title = options.title {
            let size = BitmapFont.textSize(title, scale: scale)
            // Centered over the frame when it fits there, else over the whole image.
            let centeredOverFrame = frame.x + (frame.width - size.width) / 2
            let x = size.width <= frame.width ? centeredOverFrame : (options.width - size.width) / 2
            canvas.drawText(title, x: x, y: outerMargin, scale: scale)
        }

        // Legend in the corner of the plot area that hides the fewest points.
        var legend: PixelRect? = nil
        if options.showLegend && !series.isEmpty {
            let padding = 3 * scale
            let marker = 3 * scale
            let nameWidth = series.map { BitmapFont.textSize($0.name, scale: scale).width }.max() ?? 0
            let rowHeight = lineHeight + scale
            let size = PixelSize(width: 2 * padding + 2 * marker + 1 + gap * 2 + nameWidth,
                                 height: 2 * padding + rowHeight * series.count - scale)
            let inset = 4 * scale
            let corners = [
                PixelPoint(x: plotArea.maxX - inset - size.width, y: plotArea.y + inset),
                PixelPoint(x: plotArea.x + inset, y: plotArea.y + inset),
                PixelPoint(x: plotArea.maxX - inset - size.width, y: plotArea.maxY - inset - size.height),
                PixelPoint(x: plotArea.x + inset, y: plotArea.maxY - inset - size.height),
            ]
            let candidates = corners.map { PixelRect(x: $0.x, y: $0.y, width: size.width, height: size.height) }
            // Count points in each box widened by a small margin, so the legend also keeps clear of nearby points.
            let clearance = options.pointRadius + inset
            let covered: [Int] = candidates.map { candidate in
                let box = PixelRect(x: candidate.x - clearance, y: candidate.y - clearance,
                                    width: candidate.width + 2 * clearance, height: candidate.height + 2 * clearance)
                return series.reduce(0) { count, s in
                    count + s.points.reduce(0) { c, p in
                        guard p.x.isFinite && p.y.isFinite else { return c }
                        let px = Self.pixelX(Double(p.x), range: xRange, area: plotArea)
                        let py = Self.pixelY(Double(p.y), range: yRange, area: plotArea)
                        return c + (box.contains(x: px, y: py) ? 1 : 0)
                    }
                }
            }
            let best = candidates[covered.indices.min { covered[$0] < covered[$1] } ?? 0]
            canvas.fillRect(best, color: .white)
            canvas.strokeRect(best, color: .gray)
            for (row, s) in series.enumerated() {
                let rowTop = best.y + padding + row * rowHeight
                canvas.fillDisc(center: PixelPoint(x: best.x + padding + marker, y: rowTop + capHeight / 2),
                                radius: marker, color: s.color)
                canvas.drawText(s.name, x: best.x + padding + 2 * marker + 1 + gap * 2, y: rowTop, scale: scale)
            }
            legend = best
        }
        self.xRange = xRange
        self.yRange = yRange
        self.xTicks = xTicks
        self.yTicks = yTicks
        self.plotArea = plotArea
        legendArea = legend
        image = canvas
    }

    /// Pixel at which the data point (x, y) is drawn (may lie outside `plotArea` for data outside the ranges).
    public func pixelPosition(x: Float, y: Float) -> PixelPoint {
        PixelPoint(x: Self.pixelX(Double(x), range: xRange, area: plotArea),
                   y: Self.pixelY(Double(y), range: yRange, area: plotArea))
    }

    /// Writes the plot as an RGB PNG file, atomically (see `RGBImage.writePNG(to:)`).
    public func writePNG(to url: URL) throws(PNGError) {
        try image.writePNG(to: url)
    }

    /// Column for data value `x`: `area.x + round((x − low) / (high − low) · (area.width − 1))`.
    private static func pixelX(_ x: Double, range: AxisRange, area: PixelRect) -> Int {
        let t = (x - range.low) / (range.high - range.low) * Double(area.width - 1)
        return area.x + Int(clampForPixel(t).rounded())
    }

    /// Row for data value `y`: `area.maxY − 1 − round((y − low) / (high − low) · (area.height − 1))`.
    private static func pixelY(_ y: Double, range: AxisRange, area: PixelRect) -> Int {
        let t = (y - range.low) / (range.high - range.low) * Double(area.height - 1)
        return area.maxY - 1 - Int(clampForPixel(t).rounded())
    }

    /// Keeps far-away values representable as Int (they are clipped when drawn anyway).
    private static func clampForPixel(_ t: Double) -> Double {
        min(max(t, -1e6), 1e6)
    }
}
