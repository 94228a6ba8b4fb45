import Testing
@testable import ImageIO

@Suite struct FontTests {
    /// Pixels of `image` that are not white.
    private func inkPixels(_ image: RGBImage) -> [PixelPoint] {
        var result: [PixelPoint] = []
        for y in 0..<image.height {
            for x in 0..<image.width where image[x: x, y: y] != .white {
                result.append(PixelPoint(x: x, y: y))
            }
        }
        return result
    }

    @Test func textSizeFollowsAdvanceAndLineHeight() {
        #expect(BitmapFont.textSize("Ab1", scale: 2) == PixelSize(width: 2 * (3 * 6 - 1), height: 18))
        #expect(BitmapFont.textSize("7") == PixelSize(width: 5, height: 9))
        #expect(BitmapFont.textSize("", scale: 3) == PixelSize(width: 0, height: 27))
    }

    @Test func scaledDigitInksOnlyItsBoxWithTheGlyphPattern() {
        var image = RGBImage(width: 60, height: 60)
        image.drawText("8", x: 10, y: 12, scale: 3, color: .black)
        let ink = inkPixels(image)
        // '8' has 17 lit font pixels, each a 3×3 block.
        #expect(ink.count == 17 * 9)
        #expect(ink.allSatisfy { $0.x >= 10 && $0.x < 25 && $0.y >= 12 && $0.y < 12 + 21 })
        // Top row ".###." : leftmost column blank, second lit.
        #expect(image[x: 10, y: 12] == .white)
        #expect(image[x: 13, y: 12] == .black)
        #expect(image[x: 15, y: 14] == .black)
    }

    @Test func descendersUseTheRowsBelowTheCapHeight() {
        var image = RGBImage(width: 20, height: 20)
        image.drawText("g", x: 0, y: 0)
        let ink = inkPixels(image)
        #expect(ink.contains { $0.y >= 7 })
        #expect(ink.allSatisfy { $0.y < 9 && $0.x < 5 })
        var capital = RGBImage(width: 20, height: 20)
        capital.drawText("G", x: 0, y: 0)
        #expect(inkPixels(capital).allSatisfy { $0.y < 7 })
    }

    @Test func everySupportedCharacterHasADistinctGlyph() {
        let characters = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-.,:;()[]=+_/%!?'*<>|")
        #expect(characters.allSatisfy(BitmapFont.hasGlyph))
        let bitmaps = characters.map { BitmapFont.rows(of: $0) }
        #expect(Set(bitmaps).count == characters.count)
        #expect(bitmaps.allSatisfy { $0.count == BitmapFont.lineHeight && $0.contains { $0 != 0 } })
        #expect(BitmapFont.rows(of: " ").allSatisfy { $0 == 0 })
    }

    @Test func labelSymbolsHaveGlyphs() {
        let ascii = (32...126).map { Character(UnicodeScalar(UInt8($0))) }
        #expect(ascii.allSatisfy(BitmapFont.hasGlyph))
        let symbols = Array("\u{2212}×±≤≥·°→σμβ")
        #expect(symbols.allSatisfy(BitmapFont.hasGlyph))
        let box = BitmapFont.rows(of: "§")
        #expect(symbols.allSatisfy { BitmapFont.rows(of: $0) != box && BitmapFont.rows(of: $0).count == BitmapFont.lineHeight })
        // The minus sign looks like the hyphen; '×' is not the letter 'x'.
        #expect(BitmapFont.rows(of: "\u{2212}") == BitmapFont.rows(of: "-"))
        #expect(BitmapFont.rows(of: "×") != BitmapFont.rows(of: "x"))
        var image = RGBImage(width: 80, height: 12)
        image.drawText("KL ≤ 2σ", x: 1, y: 1)
        #expect(inkPixels(image).count > 40)
    }

    @Test func unknownCharacterIsDrawnAsABox() {
        #expect(!BitmapFont.hasGlyph("§"))
        var image = RGBImage(width: 10, height: 10)
        image.drawText("§", x: 0, y: 0)
        // Hollow 5×7 box: 2·5 + 2·5 = 20 pixels.
        #expect(inkPixels(image).count == 20)
        #expect(image[x: 2, y: 3] == .white)
    }

    @Test func rotatedTextReadsBottomToTop() {
        var image = RGBImage(width: 20, height: 20)
        image.drawText("L", x: 3, y: 2, orientation: .rotatedCounterclockwise)
        // 'L' = left column (rows 0–6) plus bottom row (columns 0–4). Rotated counterclockwise,
        // the left column becomes the bottom row of the 9×5 box and the bottom row its column 6.
        var expected = Set<PixelPoint>()
        for v in 0...6 { expected.insert(PixelPoint(x: 3 + v, y: 2 + 4)) }
        for u in 0...4 { expected.insert(PixelPoint(x: 3 + 6, y: 2 + 4 - u)) }
        #expect(Set(inkPixels(image)) == expected)
    }

    @Test func textIsClippedAtTheImageEdge() {
        var image = RGBImage(width: 8, height: 8)
        image.drawText("WWW", x: -3, y: 4, scale: 2)  // mostly outside; must not crash
        #expect(!inkPixels(image).isEmpty)
        #expect(inkPixels(image).allSatisfy { $0.y >= 4 })
    }

    @Test func discIsClippedToTheGivenRectangle() {
        var image = RGBImage(width: 20, height: 20)
        image.fillDisc(center: PixelPoint(x: 10, y: 10), radius: 2, color: .red)
        #expect(inkPixels(image).count == 21)  // 5×5 minus the four corners
        var clipped = RGBImage(width: 20, height: 20)
        let clip = PixelRect(x: 10, y: 0, width: 10, height: 20)
        clipped.fillDisc(center: PixelPoint(x: 10, y: 10), radius: 2, color: .red, clip: clip)
        let ink = inkPixels(clipped)
        #expect(ink.count == 5 + 5 + 3)
        #expect(ink.allSatisfy { clip.contains(x: $0.x, y: $0.y) })
    }
}
