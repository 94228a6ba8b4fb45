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
    /// Radius of each point disc in pixels (default 2; 1 gives 3×3 squares and 0 single pixels, for thousands of points).
    public var pointRadius: Int
    /// Fraction of the data span added around the data on each side (default 0.05); unused for fixed ranges.
    public var marginFraction: Double
    /// Fixed x range (default nil: enclose the data); points outside it are clipped.
    public var xRange: AxisRange?
    /// Fixed y range (default nil: enclose the data); points outside it are clipped.
    public var yRange: AxisRange?
    /// Light gray lines across the plot at each tick (default true).
    public var showGridLines: Bool
    /// Legend box naming each series (default true).
    public var showLegend: Bool
    /// Where the legend goes (default `.insideBestCorner`: the plot corner covering the fewest points;
    /// `.outsideRight` keeps it off the data, e.g. for ten class series).
    public var legendPlacement: LegendPlacement

    /// Creates options; every parameter has the default listed on its property.
    public init(width: Int = 640, height: Int = 640, title: String? = nil, xLabel: String = "x", yLabel: String = "y",
                textScale: Int = 2, pointRadius: Int = 2, marginFraction: Double = 0.05,
                xRange: AxisRange? = nil, yRange: AxisRange? = nil,
                showGridLines: Bool = true, showLegend: Bool = true,
                legendPlacement: LegendPlacement = .insideBestCorner) {
        self.width = width
        self.height = height
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.textScale = textScale
        self.pointRadius = pointRadius
        self.marginFraction = marginFraction
        self.xRange = xRange
        self.yRange = yRange
        self.showGridLines = showGridLines
        self.showLegend = showLegend
        self.legendPlacement = legendPlacement
    }
}

/// A rendered scatter plot of 2-D point series on a white canvas, with frame, ticks, tick labels,
/// axis titles, optional title and legend.
///
/// Data maps linearly onto `plotArea`: `xRange.low` → `plotArea.x`, `xRange.high` → `plotArea.maxX − 1`,
/// `yRange.low` → `plotArea.maxY − 1` (bottom), `yRange.high` → `plotArea.y` (top).
/// For one series per class use `RGBColor.categorical(k)`, a `pointRadius` of 1 and `.outsideRight` legend placement.
public struct ScatterPlot: Chart {
    /// The rendered image, `options.width × options.height`.
    public let image: RGBImage
    /// Where the legend box was drawn (nil if not shown).
    public let legendArea: PixelRect?
    /// Frame, plot area, ranges and ticks; `plotArea`, `xRange`, `yRange`, `xTicks`, `yTicks` and
    /// `pixelPosition(x:y:)` come from it (see `Chart`).
    public let layout: ChartLayout

    /// Renders the plot. Later series are drawn on top of earlier ones.
    ///
    /// - Parameters:
    ///   - series: The point series; automatic axis ranges enclose all their finite points.
    ///   - options: Size and appearance (default `ScatterPlotOptions()`: 640×640, labels "x" and "y").
    public init(series: [ScatterSeries], options: ScatterPlotOptions = ScatterPlotOptions()) {
        precondition(options.textScale >= 1, "textScale must be at least 1")
        precondition(options.pointRadius >= 0, "pointRadius must be non-negative")
        let scale = options.textScale
        let text = ChartText(title: options.title, xLabel: options.xLabel, yLabel: options.yLabel, scale: scale)
        let xRange = options.xRange ?? AxisRange.enclosing(series.lazy.flatMap { $0.points.lazy.map(\.x) },
                                                           marginFraction: options.marginFraction)
        let yRange = options.yRange ?? AxisRange.enclosing(series.lazy.flatMap { $0.points.lazy.map(\.y) },
                                                           marginFraction: options.marginFraction)
        let entries = options.showLegend ? series.map { LegendEntry(name: $0.name, color: $0.color, swatch: .disc) } : []
        let layout = ChartLayout(width: options.width, height: options.height, text: text, xRange: xRange, yRange: yRange,
                                 legendEntries: entries, legendPlacement: options.legendPlacement)

        var canvas = RGBImage(width: options.width, height: options.height, fill: .white)
        if options.showGridLines { layout.drawGridLines(on: &canvas) }
        // Points, clipped to the plot area.
        for s in series {
            for p in s.points where p.x.isFinite && p.y.isFinite {
                canvas.fillDisc(center: layout.pixel(x: p.x, y: p.y), radius: options.pointRadius, color: s.color,
                                clip: layout.plotArea)
            }
        }
        layout.drawAxes(on: &canvas)
        // An inside legend goes to the corner hiding the fewest points, counted in a box widened by a small
        // margin so the legend also keeps clear of nearby points.
        legendArea = layout.drawLegend(on: &canvas, clearance: options.pointRadius + 4 * scale) { box in
            series.reduce(0) { count, s in
                count + s.points.reduce(0) { c, p in
                    guard p.x.isFinite && p.y.isFinite else { return c }
                    let pixel = layout.pixel(x: p.x, y: p.y)
                    return c + (box.contains(x: pixel.x, y: pixel.y) ? 1 : 0)
                }
            }
        }
        self.layout = layout
        image = canvas
    }
}
