/// Orientation of drawn text.
public enum TextOrientation: Sendable, Hashable {
    /// Left to right, glyph tops facing up.
    case horizontal
    /// Rotated 90° counterclockwise: reads bottom to top, glyph tops facing left (a y-axis title).
    case rotatedCounterclockwise
}

/// A small fixed-width bitmap font: 5×7 pixel glyphs (cap height 7) with two extra rows for
/// descenders (g, j, p, q, y, ','), one blank column between characters, scalable by an integer factor.
///
/// Covers all printable ASCII (digits, A–Z, a–z, space and punctuation) plus `− × ± ≤ ≥ · ° → σ μ β`.
/// Any other character is drawn as a hollow box, so missing glyphs stay visible.
public enum BitmapFont {
    /// Width of one glyph in font pixels.
    public static let glyphWidth = 5
    /// Height of capitals and digits in font pixels.
    public static let capHeight = 7
    /// Height of a text line in font pixels: cap height plus two descender rows.
    public static let lineHeight = 9
    /// Horizontal distance between the starts of consecutive characters, in font pixels.
    public static let advance = 6

    /// Whether `character` has a real glyph (otherwise it is drawn as a hollow box).
    public static func hasGlyph(_ character: Character) -> Bool {
        glyphs[character] != nil
    }

    /// Size in image pixels of `text` drawn horizontally:
    /// width = `scale · (advance · count − 1)` (0 for empty text), height = `scale · lineHeight`.
    ///
    /// - Parameters:
    ///   - text: A single line of text.
    ///   - scale: Integer magnification (default 1), at least 1.
    public static func textSize(_ text: String, scale: Int = 1) -> PixelSize {
        precondition(scale >= 1, "font scale must be at least 1, got \(scale)")
        let count = text.count
        return PixelSize(width: count == 0 ? 0 : scale * (advance * count - 1), height: scale * lineHeight)
    }

    /// Rows of a glyph as 5-bit masks (bit 4 = leftmost column), `lineHeight` rows.
    static func rows(of character: Character) -> [UInt8] {
        glyphs[character] ?? missingGlyph
    }

    /// Hollow box for characters without a glyph.
    private static let missingGlyph = parse("##### #...# #...# #...# #...# #...# #####")

    /// Parses space-separated rows of `#` (ink) and `.` (blank), padding to `lineHeight` rows.
    private static func parse(_ picture: String) -> [UInt8] {
        var rows = picture.split(separator: " ").map { row -> UInt8 in
            precondition(row.count == glyphWidth, "glyph row '\(row)' must be \(glyphWidth) wide")
            return row.reduce(UInt8(0)) { ($0 << 1) | ($1 == "#" ? 1 : 0) }
        }
        precondition(rows.count >= capHeight && rows.count <= lineHeight, "glyph must have 7 to 9 rows")
        rows.append(contentsOf: [UInt8](repeating: 0, count: lineHeight - rows.count))
        return rows
    }

    private static let glyphs: [Character: [UInt8]] = {
        var table = pictures.mapValues(parse)
        table[" "] = [UInt8](repeating: 0, count: lineHeight)
        return table
    }()

    // Rows top to bottom; rows 0–6 are the cap height, rows 7–8 (if present) the descender.
    private static let pictures: [Character: String] = [
        "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
        "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
        "2": ".###. #...# ....# ...#. ..#.. .#... #####",
        "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
        "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
        "5": "##### #.... ####. ....# ....# #...# .###.",
        "6": "..##. .#... #.... ####. #...# #...# .###.",
        "7": "##### ....# ...#. ..#.. .#... .#... .#...",
        "8": ".###. #...# #...# .###. #...# #...# .###.",
        "9": ".###. #...# #...# .#### ....# ...#. .##..",
        "A": ".###. #...# #...# ##### #...# #...# #...#",
        "B": "####. #...# #...# ####. #...# #...# ####.",
        "C": ".###. #...# #.... #.... #.... #...# .###.",
        "D": "###.. #..#. #...# #...# #...# #..#. ###..",
        "E": "##### #.... #.... ####. #.... #.... #####",
        "F": "##### #.... #.... ####. #.... #.... #....",
        "G": ".###. #...# #.... #.### #...# #...# .####",
        "H": "#...# #...# #...# ##### #...# #...# #...#",
        "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
        "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
        "L": "#.... #.... #.... #.... #.... #.... #####",
        "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
        "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
        "O": ".###. #...# #...# #...# #...# #...# .###.",
        "P": "####. #...# #...# ####. #.... #.... #....",
        "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
        "R": "####. #...# #...# ####. #.#.. #..#. #...#",
        "S": ".#### #.... #.... .###. ....# ....# ####.",
        "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
        "U": "#...# #...# #...# #...# #...# #...# .###.",
        "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
        "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
        "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
        "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
        "Z": "##### ....# ...#. ..#.. .#... #.... #####",
        "a": "..... ..... .###. ....# .#### #...# .####",
        "b": "#.... #.... ####. #...# #...# #...# ####.",
        "c": "..... ..... .###. #.... #.... #...# .###.",
        "d": "....# ....# .#### #...# #...# #...# .####",
        "e": "..... ..... .###. #...# ##### #.... .###.",
        "f": "..##. .#..# .#... ###.. .#... .#... .#...",
        "g": "..... ..... .#### #...# #...# #...# .#### ....# .###.",
        "h": "#.... #.... #.##. ##..# #...# #...# #...#",
        "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
        "j": "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..",
        "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
        "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        "m": "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#",
        "n": "..... ..... #.##. ##..# #...# #...# #...#",
        "o": "..... ..... .###. #...# #...# #...# .###.",
        "p": "..... ..... ####. #...# #...# #...# ####. #.... #....",
        "q": "..... ..... .#### #...# #...# #...# .#### ....# ....#",
        "r": "..... ..... #.##. ##..# #.... #.... #....",
        "s": "..... ..... .#### #.... .###. ....# ####.",
        "t": ".#... .#... ###.. .#... .#... .#..# ..##.",
        "u": "..... ..... #...# #...# #...# #..## .##.#",
        "v": "..... ..... #...# #...# #...# .#.#. ..#..",
        "w": "..... ..... #...# #...# #.#.# #.#.# .#.#.",
        "x": "..... ..... #...# .#.#. ..#.. .#.#. #...#",
        "y": "..... ..... #...# #...# #...# #...# .#### ....# .###.",
        "z": "..... ..... ##### ...#. ..#.. .#... #####",
        "-": "..... ..... ..... ##### ..... ..... .....",
        ".": "..... ..... ..... ..... ..... .##.. .##..",
        ",": "..... ..... ..... ..... ..... .##.. .##.. .#...",
        ":": "..... .##.. .##.. ..... .##.. .##.. .....",
        ";": "..... .##.. .##.. ..... .##.. .##.. .#...",
        "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
        ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
        "[": ".###. .#... .#... .#... .#... .#... .###.",
        "]": ".###. ...#. ...#. ...#. ...#. ...#. .###.",
        "=": "..... ..... ##### ..... ##### ..... .....",
        "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
        "_": "..... ..... ..... ..... ..... ..... #####",
        "/": "..... ....# ...#. ..#.. .#... #.... .....",
        "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
        "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
        "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
        "'": "..#.. ..#.. .#... ..... ..... ..... .....",
        "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
        "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.",
        ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
        "|": "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
        "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
        "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
        "\"": ".#.#. .#.#. .#.#. ..... ..... ..... .....",
        "~": "..... ..... .#... #.#.# ...#. ..... .....",
        "^": "..#.. .#.#. #...# ..... ..... ..... .....",
        "@": ".###. #...# ....# .##.# #.#.# #.#.# .###.",
        "$": "..#.. .#### #.#.. .###. ..#.# ####. ..#..",
        "`": ".#... ..#.. ...#. ..... ..... ..... .....",
        "{": "...## ..#.. ..#.. ##... ..#.. ..#.. ...##",
        "}": "##... ..#.. ..#.. ...## ..#.. ..#.. ##...",
        "\\": "..... #.... .#... ..#.. ...#. ....# .....",
        // A few non-ASCII symbols for labels: minus sign (as '-'), times, plus-minus, ≤, ≥, middle dot,
        // degree, arrow and the Greek letters of VAE papers.
        "\u{2212}": "..... ..... ..... ##### ..... ..... .....",
        "×": "..... #...# .#.#. ..#.. .#.#. #...# .....",
        "±": "..#.. ..#.. ##### ..#.. ..#.. ..... #####",
        "≤": "...#. ..#.. .#... ..#.. ...#. ..... #####",
        "≥": ".#... ..#.. ...#. ..#.. .#... ..... #####",
        "·": "..... ..... ..... .##.. .##.. ..... .....",
        "°": ".##.. #..#. #..#. .##.. ..... ..... .....",
        "→": "..... ..#.. ...#. ##### ...#. ..#.. .....",
        "σ": "..... ..... .#### #..#. #...# #...# .###.",
        "μ": "..... ..... #...# #...# #...# ##..# #.##. #.... #....",
        "β": ".##.. #..#. #.#.. #..#. #...# #...# ##.#. #.... #....",
    ]
}

extension RGBImage {
    /// Draws one line of text with `BitmapFont`, clipped to the image.
    ///
    /// The text occupies the box `BitmapFont.textSize(text, scale:)` with its top-left corner at
    /// (`x`, `y`); for `.rotatedCounterclockwise` the box is turned, i.e. it is `textSize.height` wide
    /// and `textSize.width` tall, and the text reads bottom to top.
    /// - Parameters:
    ///   - text: A single line of text.
    ///   - x: Left edge of the text box.
    ///   - y: Top edge of the text box.
    ///   - scale: Integer magnification (default 1): each font pixel becomes a scale×scale block.
    ///   - color: Ink color (default black).
    ///   - orientation: Horizontal (default) or rotated for vertical axis titles.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGBColor = .black,
                                  orientation: TextOrientation = .horizontal) {
        let size = BitmapFont.textSize(text, scale: scale)
        for (index, character) in text.enumerated() {
            let rows = BitmapFont.rows(of: character)
            for (row, mask) in rows.enumerated() where mask != 0 {
                for column in 0..<BitmapFont.glyphWidth where mask & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    // Position of the font pixel in the unrotated text box, in image pixels.
                    let u = (index * BitmapFont.advance + column) * scale
                    let v = row * scale
                    switch orientation {
                    case .horizontal:
                        fillRect(PixelRect(x: x + u, y: y + v, width: scale, height: scale), color: color)
                    case .rotatedCounterclockwise:
                        fillRect(PixelRect(x: x + v, y: y + size.width - u - scale, width: scale, height: scale),
                                 color: color)
                    }
                }
            }
        }
    }

    /// Fills a rectangle with one color, clipped to the image.
    public mutating func fillRect(_ rect: PixelRect, color: RGBColor) {
        let clipped = rect.intersection(PixelRect(x: 0, y: 0, width: width, height: height))
        guard clipped.width > 0, clipped.height > 0 else { return }
        let w = width
        pixels.withUnsafeMutableBufferPointer { p in
            for row in clipped.y..<clipped.maxY {
                var i = 3 * (row * w + clipped.x)
                for _ in 0..<clipped.width {
                    p[i] = color.red
                    p[i + 1] = color.green
                    p[i + 2] = color.blue
                    i += 3
                }
            }
        }
    }

    /// Draws the one-pixel-wide outline of a rectangle (its outermost rows and columns), clipped to the image.
    public mutating func strokeRect(_ rect: PixelRect, color: RGBColor) {
        guard rect.width > 0, rect.height > 0 else { return }
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: 1), color: color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - 1, width: rect.width, height: 1), color: color)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: 1, height: rect.height), color: color)
        fillRect(PixelRect(x: rect.maxX - 1, y: rect.y, width: 1, height: rect.height), color: color)
    }

    /// Fills the disc of pixels with `dx² + dy² ≤ radius² + radius` around `center`
    /// (the `+ radius` rounds the small discs), clipped to `clip` and to the image.
    ///
    /// - Parameters:
    ///   - center: Center pixel.
    ///   - radius: Radius in pixels (0 draws a single pixel).
    ///   - color: Fill color.
    ///   - clip: Only pixels inside this rectangle are touched (default: whole image).
    public mutating func fillDisc(center: PixelPoint, radius: Int, color: RGBColor, clip: PixelRect? = nil) {
        precondition(radius >= 0, "disc radius must be non-negative, got \(radius)")
        let bounds = PixelRect(x: 0, y: 0, width: width, height: height)
        let area = clip.map { $0.intersection(bounds) } ?? bounds
        let limit = radius * radius + radius
        for dy in -radius...radius {
            let py = center.y + dy
            guard py >= area.y && py < area.maxY else { continue }
            for dx in -radius...radius where dx * dx + dy * dy <= limit {
                let px = center.x + dx
                if px >= area.x && px < area.maxX { self[x: px, y: py] = color }
            }
        }
    }
}
