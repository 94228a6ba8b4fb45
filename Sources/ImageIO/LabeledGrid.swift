import Foundation

/// An image grid (exactly as `makeImageGrid` draws it) on a white margin holding a text label left of each
/// grid row, optional labels above each column and an optional title, all in black `BitmapFont` text.
///
/// Layout, with `m = 3 · textScale`, `gap = 2 · textScale` and text lines `9 · textScale` tall:
/// the title (if any) starts `m` below the top edge, centered over the grid; column labels (if any) sit on the
/// next line, each centered over its column; the grid follows `gap` below the text (flush with the top when
/// there is none). Row labels are right-aligned `gap` left of the grid, vertically centered on their row's images;
/// the left margin is `m + widest row label + gap` (0 without row labels). With any text, an `m` margin is
/// kept right of and below the grid; the image is widened when the title needs it.
public struct LabeledImageGrid: Sendable {
    /// The whole picture; every pixel is a gray level (red = green = blue).
    public let image: RGBImage
    /// Placement of the images inside the grid.
    public let layout: GridLayout
    /// Top-left pixel of the grid inside `image`.
    public let gridOrigin: PixelPoint

    /// Renders the grid and its labels.
    ///
    /// - Parameters:
    ///   - images: N×H×W row-major intensities, `imageCount * imageHeight * imageWidth` values.
    ///   - imageCount: N.
    ///   - imageHeight: H.
    ///   - imageWidth: W.
    ///   - imagesPerRow: Images per grid row, torchvision's `nrow` (default 8).
    ///   - padding: Pixels between and around images (default 2).
    ///   - padValue: Intensity of the grid padding (default 0, black).
    ///   - normalization: Mapping of values to [0, 1] (default `.none`).
    ///   - rowLabels: One label per grid row (`GridLayout(...).rows` of them), e.g. "0"..."9" or "dim 3 (KL 2.1)",
    ///     or empty for none (default).
    ///   - columnLabels: One label per grid column (`GridLayout(...).columns` of them), or empty for none (default).
    ///   - title: Text above everything (default none).
    ///   - textScale: Integer magnification of the 5×7 font (default 1).
    public init(images: [Float], imageCount: Int, imageHeight: Int, imageWidth: Int, imagesPerRow: Int = 8,
                padding: Int = 2, padValue: Float = 0, normalization: PixelNormalization = .none,
                rowLabels: [String] = [], columnLabels: [String] = [], title: String? = nil, textScale: Int = 1) {
        precondition(textScale >= 1, "textScale must be at least 1, got \(textScale)")
        let layout = GridLayout(imageCount: imageCount, imageHeight: imageHeight, imageWidth: imageWidth,
                                imagesPerRow: imagesPerRow, padding: padding)
        precondition(rowLabels.isEmpty || rowLabels.count == layout.rows,
                     "need one row label per grid row (\(layout.rows)), got \(rowLabels.count)")
        precondition(columnLabels.isEmpty || columnLabels.count == layout.columns,
                     "need one column label per grid column (\(layout.columns)), got \(columnLabels.count)")
        let grid = makeImageGrid(images: images, imageCount: imageCount, imageHeight: imageHeight, imageWidth: imageWidth,
                                 imagesPerRow: imagesPerRow, padding: padding, padValue: padValue,
                                 normalization: normalization)

        let margin = 3 * textScale, gap = 2 * textScale
        let lineHeight = BitmapFont.lineHeight * textScale
        let capHeight = BitmapFont.capHeight * textScale
        let hasText = title != nil || !rowLabels.isEmpty || !columnLabels.isEmpty
        let rowLabelWidth = rowLabels.map { BitmapFont.textSize($0, scale: textScale).width }.max() ?? 0
        let left = rowLabels.isEmpty ? 0 : margin + rowLabelWidth + gap
        var top = 0
        let titleY = margin
        if title != nil { top = margin + lineHeight }
        let columnLabelY = top == 0 ? margin : top + gap
        if !columnLabels.isEmpty { top = columnLabelY + lineHeight }
        if top > 0 { top += gap }
        let titleWidth = title.map { BitmapFont.textSize($0, scale: textScale).width } ?? 0
        let width = max(left + grid.width + (hasText ? margin : 0), titleWidth + 2 * margin)
        let height = top + grid.height + (hasText ? margin : 0)
        let origin = PixelPoint(x: left, y: top)

        var canvas = RGBImage(width: width, height: height, fill: .white)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let v = grid[x: x, y: y]
                canvas[x: origin.x + x, y: origin.y + y] = RGBColor(red: v, green: v, blue: v)
            }
        }
        for (row, label) in rowLabels.enumerated() {
            let imageTop = origin.y + layout.origin(ofImage: row * layout.columns).y
            let size = BitmapFont.textSize(label, scale: textScale)
            canvas.drawText(label, x: origin.x - gap - size.width, y: imageTop + (imageHeight - capHeight) / 2,
                            scale: textScale)
        }
        for (column, label) in columnLabels.enumerated() {
            let imageLeft = origin.x + layout.origin(ofImage: column).x
            let size = BitmapFont.textSize(label, scale: textScale)
            canvas.drawText(label, x: imageLeft + (imageWidth - size.width) / 2, y: columnLabelY, scale: textScale)
        }
        if let title {
            let overGrid = origin.x + (grid.width - titleWidth) / 2
            let x = overGrid + titleWidth + margin <= width ? overGrid : (width - titleWidth) / 2
            canvas.drawText(title, x: max(0, x), y: titleY, scale: textScale)
        }
        self.image = canvas
        self.layout = layout
        self.gridOrigin = origin
    }

    /// Top-left pixel of image `index` inside `image`: `gridOrigin` plus `layout.origin(ofImage:)`.
    public func origin(ofImage index: Int) -> PixelPoint {
        let inGrid = layout.origin(ofImage: index)
        return PixelPoint(x: gridOrigin.x + inGrid.x, y: gridOrigin.y + inGrid.y)
    }

    /// The picture as a grayscale image (the red channel; all pixels are gray, so nothing is lost).
    public var grayImage: GrayImage {
        GrayImage(width: image.width, height: image.height,
                  pixels: stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] })
    }

    /// Writes the picture as an RGB PNG file, or as a grayscale one when `gray` is true (default false);
    /// atomically (see `RGBImage.writePNG(to:)`).
    public func writePNG(to url: URL, gray: Bool = false) throws(PNGError) {
        if gray {
            try grayImage.writePNG(to: url)
        } else {
            try image.writePNG(to: url)
        }
    }
}
