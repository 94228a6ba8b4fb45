import Foundation

/// One named, colored polyline in a line chart, e.g. the test loss of one run.
public struct LineSeries: Sendable {
    /// Name shown in the legend.
    public var name: String
    /// The points, joined in order; a point with a non-finite coordinate is skipped and breaks the line there.
    public var points: [PlotPoint]
    /// Line color.
    public var color: RGBColor
    /// Solid or dashed.
    public var style: LineStyle

    /// Creates a series from points.
    ///
    /// - Parameters:
    ///   - name: Legend text.
    ///   - points: Points in drawing order.
    ///   - color: Line color.
    ///   - style: Solid (default) or dashed.
    public init(name: String, points: [PlotPoint], color: RGBColor, style: LineStyle = .solid) {
        self.name = name
        self.points = points
        self.color = color
        self.style = style
    }

    /// Creates a series of values at consecutive whole x positions, e.g. one loss per epoch:
    /// value k is drawn at x = `firstX + k`.
    ///
    /// - Parameters:
    ///   - name: Legend text.
    ///   - values: y values in order.
    ///   - firstX: x of the first value (default 1, the first epoch).
    ///   - color: Line color.
    ///   - style: Solid (default) or dashed.
    public init(name: String, values: [Float], firstX: Int = 1, color: RGBColor, style: LineStyle = .solid) {
        let points = values.enumerated().map { PlotPoint(x: Float(firstX + $0.offset), y: $0.element) }
        self.init(name: name, points: points, color: color, style: style)
    }
}

/// Appearance and size of a line chart.
public struct LinePlotOptions: Sendable {
    /// Image width in pixels (default 800).
    public var width: Int
    /// Image height in pixels (default 500).
    public var height: Int
    /// Title centered above the plot frame (default none).
    public var title: String?
    /// Title of the horizontal axis (default "x").
    public var xLabel: String
    /// Title of the vertical axis, drawn rotated (default "y").
    public var yLabel: String
    /// Integer magnification of the 5×7 font (default 2).
    public var textScale: Int
    /// Line width in pixels (default 2).
    public var lineWidth: Int
    /// Fraction of the data span added around the data on each side (default 0.05); unused for fixed ranges.
    public var marginFraction: Double
    /// Fixed x range (default nil: enclose the data); lines are clipped to the plot area.
    public var xRange: AxisRange?
    /// Fixed y range (default nil: enclose the data); lines are clipped to the plot area.
    public var yRange: AxisRange?
    /// Light gray lines across the plot at each tick (default true).
    public var showGridLines: Bool
    /// Legend naming each series with a sample of its line (default true).
    public var showLegend: Bool
    /// Where the legend goes (default `.outsideRight`, never over the data; `.insideBestCorner` picks the
    /// plot corner with the fewest line pixels).
    public var legendPlacement: LegendPlacement

    /// Creates options; every parameter has the default listed on its property.
    public init(width: Int = 800, height: Int = 500, title: String? = nil, xLabel: String = "x", yLabel: String = "y",
                textScale: Int = 2, lineWidth: Int = 2, marginFraction: Double = 0.05,
                xRange: AxisRange? = nil, yRange: AxisRange? = nil, showGridLines: Bool = true,
                showLegend: Bool = true, legendPlacement: LegendPlacement = .outsideRight) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.textScale = textScale
        self.lineWidth = lineWidth
        self.marginFraction = marginFraction
        self.xRange = xRange
        self.yRange = yRange
        self.showGridLines = showGridLines
        self.showLegend = showLegend
        self.legendPlacement = legendPlacement
    }
}

/// A rendered line chart (e.g. loss curves: x = epoch, y = loss) on a white canvas, with frame, ticks,
/// tick labels, axis titles, optional title and legend.
///
/// Data maps linearly onto `plotArea` (see `ChartLayout`). Ticks use the smallest {1, 2, 5} · 10^k step that
/// keeps x ticks five characters apart (and their labels two characters apart) and y ticks three text lines
/// apart. When every finite x (or y) value is a whole number, that axis gets whole-number ticks only
/// (epochs 1, 2, 3 rather than 1.0, 1.5, 2.0).
/// A series' lone points (single-point series, or points between non-finite ones) are drawn as small discs.
public struct LinePlot: Chart {
    /// The rendered image, `options.width × options.height`.
    public let image: RGBImage
    /// Where the legend box was drawn (nil if not shown).
    public let legendArea: PixelRect?
    /// Frame, plot area, ranges and ticks; `plotArea`, `xRange`, `yRange`, `xTicks`, `yTicks` and
    /// `pixelPosition(x:y:)` come from it (see `Chart`).
    public let layout: ChartLayout

    /// Renders the chart. Later series are drawn on top of earlier ones.
    ///
    /// - Parameters:
    ///   - series: The lines; automatic axis ranges enclose all their finite points. Empty series are
    ///     allowed (they only appear in the legend).
    ///   - options: Size and appearance (default `LinePlotOptions()`: 800×500, legend outside on the right).
    public init(series: [LineSeries], options: LinePlotOptions = LinePlotOptions()) {
        precondition(options.textScale >= 1, "textScale must be at least 1")
        precondition(options.lineWidth >= 1, "lineWidth must be at least 1")
        let scale = options.textScale
        let text = ChartText(title: options.title, xLabel: options.xLabel, yLabel: options.yLabel, scale: scale)
        let finite = series.flatMap { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let xRange = options.xRange ?? AxisRange.enclosing(finite.map(\.x), marginFraction: options.marginFraction)
        let yRange = options.yRange ?? AxisRange.enclosing(finite.map(\.y), marginFraction: options.marginFraction)
        let entries = !options.showLegend ? [] : series.map {
            LegendEntry(name: $0.name, color: $0.color, swatch: .line(width: options.lineWidth, style: $0.style))
        }
        let layout = ChartLayout(width: options.width, height: options.height, text: text, xRange: xRange, yRange: yRange,
                                 legendEntries: entries, legendPlacement: options.legendPlacement,
                                 integerXTicks: !finite.isEmpty && finite.allSatisfy { $0.x == $0.x.rounded() },
                                 integerYTicks: !finite.isEmpty && finite.allSatisfy { $0.y == $0.y.rounded() },
                                 denseTicks: true)

        var canvas = RGBImage(width: options.width, height: options.height, fill: .white)
        if options.showGridLines { layout.drawGridLines(on: &canvas) }
        let background = canvas
        for s in series {
            Self.draw(s, layout: layout, lineWidth: options.lineWidth, on: &canvas)
        }
        // Pixels the lines changed, for placing an inside legend where it hides the fewest.
        let dataPixels = layout.legend != nil && options.legendPlacement == .insideBestCorner
            ? Self.changedPixels(from: background, to: canvas, within: layout.plotArea) : []
        layout.drawAxes(on: &canvas)
        legendArea = layout.drawLegend(on: &canvas, clearance: 2 * scale) { box in
            dataPixels.reduce(0) { $0 + (box.contains(x: $1.x, y: $1.y) ? 1 : 0) }
        }
        self.layout = layout
        image = canvas
    }

    /// Strokes each run of consecutive finite points; a run of one point becomes a disc.
    private static func draw(_ series: LineSeries, layout: ChartLayout, lineWidth: Int, on canvas: inout RGBImage) {
        let dash = series.style.dashPattern(lineWidth: lineWidth)
        var run: [PixelPoint] = []
        func flush() {
            if run.count == 1 {
                canvas.fillDisc(center: run[0], radius: lineWidth, color: series.color, clip: layout.plotArea)
            } else if run.count > 1 {
                canvas.strokePolyline(run, color: series.color, width: lineWidth, dash: dash, clip: layout.plotArea)
            }
            run.removeAll(keepingCapacity: true)
        }
        for p in series.points {
            if p.x.isFinite && p.y.isFinite {
                run.append(layout.pixel(x: p.x, y: p.y))
            } else {
                flush()
            }
        }
        flush()
    }

    /// Positions inside `area` whose color differs between the two images.
    private static func changedPixels(from before: RGBImage, to after: RGBImage, within area: PixelRect) -> [PixelPoint] {
        var result: [PixelPoint] = []
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX where before[x: x, y: y] != after[x: x, y: y] {
                result.append(PixelPoint(x: x, y: y))
            }
        }
        return result
    }
}
