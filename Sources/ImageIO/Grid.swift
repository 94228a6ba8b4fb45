/// How float pixel values are mapped into [0, 1] before conversion to bytes
/// (torchvision `make_grid`'s `normalize` / `value_range` arguments).
public enum PixelNormalization: Sendable, Hashable {
    /// Values are used as they are (`normalize=False`); anything outside [0, 1] saturates to 0 or 255.
    case none
    /// Clamp to [low, high], then map linearly to [0, 1]:
    /// `v' = (clamp(v, low, high) - low) / max(high - low, 1e-5)`
    /// (`normalize=True, value_range=(low, high)`).
    case valueRange(low: Float, high: Float)
    /// Like `valueRange` with low/high the minimum/maximum over all images (`normalize=True, value_range=None`).
    case dataRange

    /// Data in [-1, 1] (e.g. tanh outputs): `valueRange(low: -1, high: 1)`.
    public static let symmetricUnit = PixelNormalization.valueRange(low: -1, high: 1)
}

/// Converts a float intensity in [0, 1] to a byte exactly as torchvision's `save_image`:
/// `byte = UInt8(trunc(clamp(v * 255 + 0.5, 0, 255)))`, computed in Float32.
///
/// So 0.5/255 and above rounds up to 1, and values outside [0, 1] saturate. NaN maps to 0.
/// - Parameter value: Intensity, nominally in [0, 1].
/// - Returns: The byte 0...255.
@inlinable
public func byteFromIntensity(_ value: Float) -> UInt8 {
    let scaled = value * 255 + 0.5
    guard scaled > 0 else { return 0 }  // also catches NaN
    guard scaled < 255 else { return 255 }
    return UInt8(scaled)  // truncation toward zero
}

/// The geometry of a torchvision-style image grid.
///
/// `columns = min(imagesPerRow, count)`, `rows = ceil(count / columns)`,
/// cell = (imageHeight + padding) × (imageWidth + padding),
/// grid = (rows · cellHeight + padding) × (columns · cellWidth + padding);
/// image k sits at row k / columns, column k % columns, with its top-left pixel at
/// (x, y) = (column · cellWidth + padding, row · cellHeight + padding).
///
/// As in torchvision, a single image (count 1) is returned unpadded: the grid is the image itself.
public struct GridLayout: Sendable, Hashable {
    /// Number of images in the grid.
    public let imageCount: Int
    /// Height of each image in pixels.
    public let imageHeight: Int
    /// Width of each image in pixels.
    public let imageWidth: Int
    /// Padding between images and around the border, in pixels (0 when `imageCount == 1`).
    public let padding: Int
    /// Images per grid row, `min(imagesPerRow, imageCount)`.
    public let columns: Int
    /// Number of grid rows, `ceil(imageCount / columns)`.
    public let rows: Int

    /// Computes the layout.
    ///
    /// - Parameters:
    ///   - imageCount: Number of images N, at least 1.
    ///   - imageHeight: H, at least 1.
    ///   - imageWidth: W, at least 1.
    ///   - imagesPerRow: torchvision's `nrow` (default 8), at least 1.
    ///   - padding: Pixels between and around images (default 2), at least 0.
    public init(imageCount: Int, imageHeight: Int, imageWidth: Int, imagesPerRow: Int = 8, padding: Int = 2) {
        precondition(imageCount >= 1, "a grid needs at least one image, got \(imageCount)")
        precondition(imageHeight >= 1 && imageWidth >= 1, "image size must be positive, got \(imageHeight)x\(imageWidth)")
        precondition(imagesPerRow >= 1, "imagesPerRow must be at least 1, got \(imagesPerRow)")
        precondition(padding >= 0, "padding must be non-negative, got \(padding)")
        self.imageCount = imageCount
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
        self.padding = imageCount == 1 ? 0 : padding
        columns = min(imagesPerRow, imageCount)
        rows = (imageCount + columns - 1) / columns
    }

    /// Total grid width, `columns · (imageWidth + padding) + padding`.
    public var width: Int { imageCount == 1 ? imageWidth : columns * (imageWidth + padding) + padding }
    /// Total grid height, `rows · (imageHeight + padding) + padding`.
    public var height: Int { imageCount == 1 ? imageHeight : rows * (imageHeight + padding) + padding }

    /// Top-left pixel of image `index` inside the grid.
    public func origin(ofImage index: Int) -> PixelPoint {
        precondition(index >= 0 && index < imageCount, "image index \(index) outside 0..<\(imageCount)")
        return PixelPoint(x: (index % columns) * (imageWidth + padding) + padding,
                          y: (index / columns) * (imageHeight + padding) + padding)
    }
}

/// Arranges N single-channel float images into one grayscale grid image, matching torchvision's
/// `save_image(make_grid(images, nrow, padding, normalize, value_range, pad_value))` pixel for pixel.
///
/// Each value is normalized (see `PixelNormalization`) and converted with `byteFromIntensity`;
/// the padding is filled with `byteFromIntensity(padValue)`.
/// - Parameters:
///   - images: N×H×W row-major intensities, `imageCount * imageHeight * imageWidth` values.
///   - imageCount: N.
///   - imageHeight: H.
///   - imageWidth: W.
///   - imagesPerRow: Images per grid row, torchvision's `nrow` (default 8).
///   - padding: Pixels between and around images (default 2).
///   - padValue: Intensity of the padding (default 0, black); not normalized, as in torchvision.
///   - normalization: Mapping of values to [0, 1] (default `.none`; use `.symmetricUnit` for [-1, 1] data).
/// - Returns: A `GridLayout(...).height × GridLayout(...).width` grayscale image.
public func makeImageGrid(images: UnsafeBufferPointer<Float>, imageCount: Int, imageHeight: Int, imageWidth: Int,
                          imagesPerRow: Int = 8, padding: Int = 2, padValue: Float = 0,
                          normalization: PixelNormalization = .none) -> GrayImage {
    drawGrid(images: images, imageCount: imageCount, slotCount: imageCount, slot: { $0 }, imageHeight: imageHeight,
             imageWidth: imageWidth, imagesPerRow: imagesPerRow, padding: padding, padValue: padValue,
             normalization: normalization)
}

/// `makeImageGrid` with image k drawn in grid position `slot(k)` of a grid of `slotCount` positions; the
/// positions no image takes show the padding's intensity.
private func drawGrid(images: UnsafeBufferPointer<Float>, imageCount: Int, slotCount: Int, slot: (Int) -> Int,
                      imageHeight: Int, imageWidth: Int, imagesPerRow: Int, padding: Int, padValue: Float,
                      normalization: PixelNormalization) -> GrayImage {
    let layout = GridLayout(imageCount: slotCount, imageHeight: imageHeight, imageWidth: imageWidth,
                            imagesPerRow: imagesPerRow, padding: padding)
    let imageSize = imageHeight * imageWidth
    precondition(images.count == imageCount * imageSize,
                 "expected \(imageCount)x\(imageHeight)x\(imageWidth) = \(imageCount * imageSize) values, got \(images.count)")

    // Resolve the normalization into an affine map v -> (clamp(v, low, high) - low) / scale.
    var low: Float = 0, high: Float = 0, scale: Float = 1, clampFirst = false
    switch normalization {
    case .none:
        break
    case let .valueRange(l, h):
        precondition(l <= h, "valueRange low \(l) must not exceed high \(h)")
        (low, high, scale, clampFirst) = (l, h, max(h - l, 1e-5), true)
    case .dataRange:
        var lo = Float.infinity, hi = -Float.infinity
        for v in images where !v.isNaN {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        if lo > hi { (lo, hi) = (0, 1) }  // all NaN: nothing meaningful to normalize
        (low, high, scale, clampFirst) = (lo, hi, max(hi - lo, 1e-5), true)
    }

    var grid = GrayImage(width: layout.width, height: layout.height, fill: byteFromIntensity(padValue))
    grid.pixels.withUnsafeMutableBufferPointer { out in
        for k in 0..<imageCount {
            let origin = layout.origin(ofImage: slot(k))
            let base = k * imageSize
            for row in 0..<imageHeight {
                let outRow = (origin.y + row) * layout.width + origin.x
                let inRow = base + row * imageWidth
                for col in 0..<imageWidth {
                    var v = images[inRow + col]
                    if clampFirst { v = (min(max(v, low), high) - low) / scale }
                    out[outRow + col] = byteFromIntensity(v)
                }
            }
        }
    }
    return grid
}

/// Arranges N single-channel float images into a grayscale grid (array overload; see the
/// `UnsafeBufferPointer` version for the exact rules).
///
/// - Parameters:
///   - images: N×H×W row-major intensities.
///   - imageCount: N.
///   - imageHeight: H.
///   - imageWidth: W.
///   - imagesPerRow: torchvision's `nrow` (default 8).
///   - padding: Pixels between and around images (default 2).
///   - padValue: Intensity of the padding (default 0, black).
///   - normalization: Mapping of values to [0, 1] (default `.none`).
public func makeImageGrid(images: [Float], imageCount: Int, imageHeight: Int, imageWidth: Int,
                          imagesPerRow: Int = 8, padding: Int = 2, padValue: Float = 0,
                          normalization: PixelNormalization = .none) -> GrayImage {
    images.withUnsafeBufferPointer {
        makeImageGrid(images: $0, imageCount: imageCount, imageHeight: imageHeight, imageWidth: imageWidth,
                      imagesPerRow: imagesPerRow, padding: padding, padValue: padValue, normalization: normalization)
    }
}

/// Shows originals above their reconstructions: with `imagesPerRow` = n (the default, `count`), the
/// first `count` originals form the top row and the first `count` reconstructions the row below
/// (`make_grid(cat(originals[:n], recon[:n]), nrow=n)`). With fewer per row, the images wrap into pairs
/// of rows, each row of originals above its reconstructions; the last pair may be short, its empty
/// places showing the padding.
///
/// - Parameters:
///   - originals: At least `count` images, row-major N×H×W (extra images are ignored).
///   - reconstructions: At least `count` images, same shape.
///   - count: Images shown n (default 8), at least 1.
///   - imagesPerRow: Images per row c (default: `count`), at least 1.
///   - imageHeight: H.
///   - imageWidth: W.
///   - padding: Pixels between and around images (default 2).
///   - padValue: Intensity of the padding (default 0, black).
///   - normalization: Mapping of values to [0, 1] (default `.none`; `.dataRange` spans both sets).
/// - Returns: A `(2⌈n/c⌉·(H + padding) + padding) × (min(c, n)·(W + padding) + padding)` grayscale image.
public func makeComparisonGrid(originals: [Float], reconstructions: [Float], count: Int = 8, imagesPerRow: Int? = nil,
                               imageHeight: Int, imageWidth: Int, padding: Int = 2, padValue: Float = 0,
                               normalization: PixelNormalization = .none) -> GrayImage {
    precondition(count >= 1, "comparison needs at least one image, got \(count)")
    let columns = min(imagesPerRow ?? count, count)
    precondition(columns >= 1, "comparison needs at least one image per row, got \(columns)")
    let needed = count * imageHeight * imageWidth
    precondition(originals.count >= needed, "need \(count) originals (\(needed) values), got \(originals.count) values")
    precondition(reconstructions.count >= needed,
                 "need \(count) reconstructions (\(needed) values), got \(reconstructions.count) values")
    var combined = [Float]()
    combined.reserveCapacity(2 * needed)
    combined.append(contentsOf: originals[0..<needed])
    combined.append(contentsOf: reconstructions[0..<needed])
    // Image i (< count) is original i, in row pair i / columns, top row; count + i its reconstruction, below it.
    let pairs = (count + columns - 1) / columns
    return combined.withUnsafeBufferPointer { images in
        drawGrid(images: images, imageCount: 2 * count, slotCount: 2 * pairs * columns, slot: { k in
            let i = k % count, below = k >= count ? 1 : 0
            return (2 * (i / columns) + below) * columns + i % columns
        }, imageHeight: imageHeight, imageWidth: imageWidth, imagesPerRow: columns, padding: padding, padValue: padValue,
        normalization: normalization)
    }
}
