/// An 8-bit single-channel image stored row-major, top row first.
///
/// Pixel (x, y) lives at `pixels[y * width + x]`; 0 is black and 255 is white.
public struct GrayImage: Sendable, Equatable {
    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// Row-major gray levels, `width * height` bytes.
    public var pixels: [UInt8]

    /// Creates an image from existing pixels.
    ///
    /// - Parameters:
    ///   - width: Number of columns, at least 0.
    ///   - height: Number of rows, at least 0.
    ///   - pixels: Row-major gray levels; must hold exactly `width * height` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "GrayImage size must be non-negative, got \(width)x\(height)")
        precondition(pixels.count == width * height,
                     "GrayImage \(width)x\(height) needs \(width * height) pixels, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image filled with one gray level.
    ///
    /// - Parameters:
    ///   - width: Number of columns.
    ///   - height: Number of rows.
    ///   - fill: Gray level of every pixel (default 0, black).
    public init(width: Int, height: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
    }

    /// The gray level at column `x`, row `y` (both zero-based, origin top-left).
    public subscript(x x: Int, y y: Int) -> UInt8 {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
            return pixels[y * width + x]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
            pixels[y * width + x] = newValue
        }
    }
}

/// A 24-bit color with 8-bit red, green and blue components (sRGB).
public struct RGBColor: Sendable, Hashable, CustomStringConvertible {
    /// Red component.
    public var red: UInt8
    /// Green component.
    public var green: UInt8
    /// Blue component.
    public var blue: UInt8

    /// Creates a color from its three components.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `rgb(r, g, b)`.
    public var description: String { "rgb(\(red), \(green), \(blue))" }

    /// Pure white (255, 255, 255).
    public static let white = RGBColor(red: 255, green: 255, blue: 255)
    /// Pure black (0, 0, 0).
    public static let black = RGBColor(red: 0, green: 0, blue: 0)
    /// Mid gray (128, 128, 128).
    public static let gray = RGBColor(red: 128, green: 128, blue: 128)
    /// Very light gray (230, 230, 230), used for plot grid lines.
    public static let lightGray = RGBColor(red: 230, green: 230, blue: 230)
    /// Soft blue (140, 175, 215), suited to training data drawn underneath other points.
    public static let lightBlue = RGBColor(red: 140, green: 175, blue: 215)
    /// Strong orange (240, 110, 20), suited to generated samples.
    public static let orange = RGBColor(red: 240, green: 110, blue: 20)
    /// Strong red (215, 40, 40).
    public static let red = RGBColor(red: 215, green: 40, blue: 40)
}

/// An 8-bit three-channel image stored row-major, top row first, RGB interleaved.
///
/// Pixel (x, y) occupies `pixels[3 * (y * width + x) ..< 3 * (y * width + x) + 3]` as red, green, blue.
public struct RGBImage: Sendable, Equatable {
    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// Interleaved RGB bytes, `3 * width * height` of them.
    public var pixels: [UInt8]

    /// Creates an image from existing interleaved RGB bytes.
    ///
    /// - Parameters:
    ///   - width: Number of columns, at least 0.
    ///   - height: Number of rows, at least 0.
    ///   - pixels: Interleaved RGB bytes; must hold exactly `3 * width * height` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RGBImage size must be non-negative, got \(width)x\(height)")
        precondition(pixels.count == 3 * width * height,
                     "RGBImage \(width)x\(height) needs \(3 * width * height) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an image filled with one color.
    ///
    /// - Parameters:
    ///   - width: Number of columns.
    ///   - height: Number of rows.
    ///   - fill: Color of every pixel (default white).
    public init(width: Int, height: Int, fill: RGBColor = .white) {
        precondition(width >= 0 && height >= 0, "RGBImage size must be non-negative, got \(width)x\(height)")
        var bytes = [UInt8](repeating: 0, count: 3 * width * height)
        var i = 0
        while i < bytes.count {
            bytes[i] = fill.red
            bytes[i + 1] = fill.green
            bytes[i + 2] = fill.blue
            i += 3
        }
        self.init(width: width, height: height, pixels: bytes)
    }

    /// The color at column `x`, row `y` (both zero-based, origin top-left).
    public subscript(x x: Int, y y: Int) -> RGBColor {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
            let i = 3 * (y * width + x)
            return RGBColor(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
            let i = 3 * (y * width + x)
            pixels[i] = newValue.red
            pixels[i + 1] = newValue.green
            pixels[i + 2] = newValue.blue
        }
    }

    /// Creates a color image showing a gray image (each gray level copied to all three channels).
    public init(_ gray: GrayImage) {
        var bytes = [UInt8](repeating: 0, count: 3 * gray.pixels.count)
        for (i, v) in gray.pixels.enumerated() {
            bytes[3 * i] = v
            bytes[3 * i + 1] = v
            bytes[3 * i + 2] = v
        }
        self.init(width: gray.width, height: gray.height, pixels: bytes)
    }
}

/// An integer pixel position, origin top-left, y growing downwards.
public struct PixelPoint: Sendable, Hashable {
    /// Column.
    public var x: Int
    /// Row.
    public var y: Int

    /// Creates a pixel position.
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// An axis-aligned pixel rectangle covering columns `x ..< x + width` and rows `y ..< y + height`.
public struct PixelRect: Sendable, Hashable {
    /// Leftmost column.
    public var x: Int
    /// Top row.
    public var y: Int
    /// Number of columns (may be 0).
    public var width: Int
    /// Number of rows (may be 0).
    public var height: Int

    /// Creates a rectangle from its top-left corner and size.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// One past the rightmost column, `x + width`.
    public var maxX: Int { x + width }
    /// One past the bottom row, `y + height`.
    public var maxY: Int { y + height }

    /// Whether the pixel (`px`, `py`) lies inside the rectangle.
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// The overlap of two rectangles (zero-sized if they do not overlap).
    public func intersection(_ other: PixelRect) -> PixelRect {
        let left = Swift.max(x, other.x), top = Swift.max(y, other.y)
        let right = Swift.min(maxX, other.maxX), bottom = Swift.min(maxY, other.maxY)
        return PixelRect(x: left, y: top, width: Swift.max(0, right - left), height: Swift.max(0, bottom - top))
    }
}

/// A size in pixels.
public struct PixelSize: Sendable, Hashable {
    /// Number of columns.
    public var width: Int
    /// Number of rows.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}
