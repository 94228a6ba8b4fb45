/// How a legend entry shows its series.
enum LegendSwatch: Sendable, Hashable {
    /// A filled disc of radius `3 · textScale` (scatter series).
    case disc
    /// A short horizontal line of the given width and style (line series).
    case line(width: Int, style: LineStyle)
}

/// One row of a legend: a colored swatch and a name.
struct LegendEntry: Sendable, Hashable {
    var name: String
    var color: RGBColor
    var swatch: LegendSwatch
}

/// A legend box: white, outlined in gray, one entry per row, wrapping into columns when it would be
/// taller than allowed.
struct Legend: Sendable {
    let entries: [LegendEntry]
    let scale: Int
    /// Entries per column (the last column may hold fewer).
    let rowsPerColumn: Int
    /// Outer size of the box.
    let size: PixelSize

    private var padding: Int { 3 * scale }
    private var discRadius: Int { 3 * scale }
    private var gap: Int { 2 * scale }
    private var rowHeight: Int { BitmapFont.lineHeight * scale + scale }
    private var columnGap: Int { 4 * scale }
    /// Width of the swatch column: a disc's diameter, or a line long enough to show two dashes.
    private let swatchWidth: Int
    /// Width of one column: swatch, gap and the longest name.
    private let columnWidth: Int

    /// Sizes a legend for `entries` (at least one).
    ///
    /// - Parameters:
    ///   - scale: Font magnification.
    ///   - maxHeight: Tallest allowed box; entries wrap into more columns to stay within it (at least one row each).
    init(entries: [LegendEntry], scale: Int, maxHeight: Int = .max) {
        precondition(!entries.isEmpty, "a legend needs at least one entry")
        self.entries = entries
        self.scale = scale
        let padding = 3 * scale, rowHeight = BitmapFont.lineHeight * scale + scale
        swatchWidth = entries.map { entry -> Int in
            switch entry.swatch {
            case .disc: 2 * 3 * scale + 1
            case .line: 12 * scale
            }
        }.max() ?? 0
        let nameWidth = entries.map { BitmapFont.textSize($0.name, scale: scale).width }.max() ?? 0
        columnWidth = swatchWidth + 2 * 2 * scale + nameWidth
        let fitting = max(1, (maxHeight - 2 * padding + scale) / rowHeight)
        let columns = (entries.count + fitting - 1) / fitting
        rowsPerColumn = (entries.count + columns - 1) / columns
        size = PixelSize(width: 2 * padding + columns * columnWidth + (columns - 1) * 4 * scale,
                         height: 2 * padding + rowHeight * rowsPerColumn - scale)
    }

    /// Draws the box with its top-left corner at `origin`; returns the box.
    @discardableResult
    func draw(at origin: PixelPoint, on canvas: inout RGBImage) -> PixelRect {
        let box = PixelRect(x: origin.x, y: origin.y, width: size.width, height: size.height)
        canvas.fillRect(box, color: .white)
        canvas.strokeRect(box, color: .gray)
        let capHeight = BitmapFont.capHeight * scale
        for (index, entry) in entries.enumerated() {
            let left = box.x + padding + (index / rowsPerColumn) * (columnWidth + columnGap)
            let rowTop = box.y + padding + (index % rowsPerColumn) * rowHeight
            switch entry.swatch {
            case .disc:
                canvas.fillDisc(center: PixelPoint(x: left + swatchWidth / 2, y: rowTop + capHeight / 2),
                                radius: discRadius, color: entry.color)
            case let .line(width, style):
                let y = rowTop + capHeight / 2
                canvas.strokePolyline([PixelPoint(x: left, y: y), PixelPoint(x: left + swatchWidth - width, y: y)],
                                      color: entry.color, width: width, dash: style.dashPattern(lineWidth: width))
            }
            canvas.drawText(entry.name, x: left + swatchWidth + 2 * gap, y: rowTop, scale: scale)
        }
        return box
    }
}
