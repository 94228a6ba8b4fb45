import Testing
@testable import ImageIO

@Suite struct GridTests {
    /// N images of H×W where image k is filled with the byte value `value(k)` (as intensity value/255).
    private func filledImages(count: Int, height: Int, width: Int, value: (Int) -> Int) -> [Float] {
        (0..<count).flatMap { k in [Float](repeating: Float(value(k)) / 255, count: height * width) }
    }

    @Test func sixtyFourMNISTImagesMakeA242SquareGrid() throws {
        let images = filledImages(count: 64, height: 28, width: 28) { $0 + 1 }
        let grid = makeImageGrid(images: images, imageCount: 64, imageHeight: 28, imageWidth: 28)
        #expect(grid.width == 242)
        #expect(grid.height == 242)
        let layout = GridLayout(imageCount: 64, imageHeight: 28, imageWidth: 28)
        #expect(layout.columns == 8 && layout.rows == 8)
        for k in 0..<64 {
            let origin = layout.origin(ofImage: k)
            #expect(origin == PixelPoint(x: (k % 8) * 30 + 2, y: (k / 8) * 30 + 2))
            // First and last pixel of each image carry its value; the pixels just outside are padding.
            #expect(grid[x: origin.x, y: origin.y] == UInt8(k + 1))
            #expect(grid[x: origin.x + 27, y: origin.y + 27] == UInt8(k + 1))
            #expect(grid[x: origin.x - 1, y: origin.y] == 0)
            #expect(grid[x: origin.x, y: origin.y - 1] == 0)
            #expect(grid[x: origin.x + 28, y: origin.y + 27] == 0)
            #expect(grid[x: origin.x + 27, y: origin.y + 28] == 0)
        }
        // Border padding.
        #expect(grid[x: 0, y: 0] == 0 && grid[x: 1, y: 1] == 0 && grid[x: 241, y: 241] == 0 && grid[x: 240, y: 100] == 0)
        // Exactly the image pixels are non-zero: 64 · 28 · 28 of them.
        #expect(grid.pixels.filter { $0 != 0 }.count == 64 * 28 * 28)
    }

    @Test func partialLastRowIsPaddedBlack() {
        let images = filledImages(count: 10, height: 28, width: 28) { _ in 255 }
        let grid = makeImageGrid(images: images, imageCount: 10, imageHeight: 28, imageWidth: 28, imagesPerRow: 8)
        #expect(grid.width == 8 * 30 + 2)
        #expect(grid.height == 2 * 30 + 2)
        // Second row holds images 8 and 9 only.
        #expect(grid[x: 2, y: 32] == 255)
        #expect(grid[x: 32 + 27, y: 32 + 27] == 255)
        #expect(grid[x: 62, y: 32] == 0)  // where image 10 would be
        #expect(grid[x: 241 - 2, y: 59] == 0)
        #expect(grid.pixels.filter { $0 == 255 }.count == 10 * 28 * 28)
    }

    @Test func fewerImagesThanPerRowUseOneRow() {
        let layout = GridLayout(imageCount: 3, imageHeight: 28, imageWidth: 28, imagesPerRow: 8, padding: 2)
        #expect(layout.columns == 3 && layout.rows == 1)
        #expect(layout.width == 3 * 30 + 2 && layout.height == 32)
    }

    @Test func exactPixelLayoutOfSmallGrid() {
        // Three 2×3 images whose bytes are 1...18, two per row, padding 1.
        let images = (1...18).map { Float($0) / 255 }
        let grid = makeImageGrid(images: images, imageCount: 3, imageHeight: 2, imageWidth: 3,
                                 imagesPerRow: 2, padding: 1)
        let expected: [UInt8] = [
            0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 1, 2, 3, 0, 7, 8, 9, 0,
            0, 4, 5, 6, 0, 10, 11, 12, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 13, 14, 15, 0, 0, 0, 0, 0,
            0, 16, 17, 18, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]
        #expect(grid.width == 9)
        #expect(grid.height == 7)
        #expect(grid.pixels == expected)
    }

    @Test func padValueAndZeroPadding() {
        let images = [Float](repeating: 0, count: 2 * 2 * 2)
        let white = makeImageGrid(images: images, imageCount: 2, imageHeight: 2, imageWidth: 2, padding: 1, padValue: 1)
        #expect(white.width == 7 && white.height == 4)
        #expect(white.pixels.filter { $0 == 255 }.count == 7 * 4 - 8)
        let tight = makeImageGrid(images: images, imageCount: 2, imageHeight: 2, imageWidth: 2, padding: 0)
        #expect(tight.width == 4 && tight.height == 2)
    }

    @Test func singleImageIsReturnedWithoutPaddingLikeTorchvision() {
        let grid = makeImageGrid(images: [0, 1, 0.5, 0.25], imageCount: 1, imageHeight: 2, imageWidth: 2)
        #expect(grid == GrayImage(width: 2, height: 2, pixels: [0, 255, 128, 64]))
    }

    @Test func byteConversionMatchesSaveImage() {
        // floor(v · 255 + 0.5) clamped, in Float32.
        for k in 0...255 {
            #expect(byteFromIntensity(Float(k) / 255) == UInt8(k))
        }
        let half = Float(0.5) / 255
        #expect(byteFromIntensity(half) == 1)
        #expect(byteFromIntensity(Float(0.499) / 255) == 0)
        // Just below 0.5/255 the Float32 sum still rounds up to 1.0, as it does in PyTorch.
        #expect(byteFromIntensity(half.nextDown) == 1)
        #expect(byteFromIntensity(Float(127.5) / 255) == 128)
        #expect(byteFromIntensity(Float(127.49) / 255) == 127)
        #expect(byteFromIntensity(Float(254.5) / 255) == 255)
        #expect(byteFromIntensity(Float(254.49) / 255) == 254)
        #expect(byteFromIntensity(-0.3) == 0)
        #expect(byteFromIntensity(1.7) == 255)
        #expect(byteFromIntensity(.infinity) == 255)
        #expect(byteFromIntensity(-.infinity) == 0)
        #expect(byteFromIntensity(.nan) == 0)
    }

    @Test func outOfRangeValuesAreClampedInGrid() {
        let grid = makeImageGrid(images: [-5, 0.5, 7, 1], imageCount: 1, imageHeight: 1, imageWidth: 4)
        #expect(grid.pixels == [0, 128, 255, 255])
    }

    @Test func symmetricValueRangeMapsMinusOneToBlackAndOneToWhite() {
        let grid = makeImageGrid(images: [-1, 0, 1, -3, 2, 0.5], imageCount: 1, imageHeight: 2, imageWidth: 3,
                                 normalization: .symmetricUnit)
        // (v + 1) / 2, clamped first: 0 → 0.5 → 128, 0.5 → 0.75 → 191.75 → 191.
        #expect(grid.pixels == [0, 128, 255, 0, 255, 191])
    }

    @Test func dataRangeNormalizationUsesMinAndMaxOverAllImages() {
        let grid = makeImageGrid(images: [2, 4, 6, 3], imageCount: 2, imageHeight: 1, imageWidth: 2, padding: 0,
                                 normalization: .dataRange)
        #expect(grid.pixels == [0, 128, 255, 64])
    }

    @Test func bufferPointerOverloadMatchesArrayOverload() {
        var random = TestRandom(seed: 5)
        let images = (0..<(5 * 4 * 3)).map { _ in random.unit() * 1.4 - 0.2 }
        let fromArray = makeImageGrid(images: images, imageCount: 5, imageHeight: 4, imageWidth: 3, imagesPerRow: 2)
        let fromBuffer = images.withUnsafeBufferPointer {
            makeImageGrid(images: $0, imageCount: 5, imageHeight: 4, imageWidth: 3, imagesPerRow: 2)
        }
        #expect(fromArray == fromBuffer)
        #expect(fromArray.width == 2 * 5 + 2 && fromArray.height == 3 * 6 + 2)
    }

    @Test func comparisonGridPutsReconstructionsBelowOriginals() {
        // Three originals (bytes 10, 20, 30) and three reconstructions (bytes 110, 120, 130), show two.
        let originals = filledImages(count: 3, height: 28, width: 28) { 10 * ($0 + 1) }
        let reconstructions = filledImages(count: 3, height: 28, width: 28) { 110 + 10 * $0 }
        let grid = makeComparisonGrid(originals: originals, reconstructions: reconstructions, count: 2,
                                      imageHeight: 28, imageWidth: 28)
        #expect(grid.width == 2 * 30 + 2)
        #expect(grid.height == 2 * 30 + 2)
        #expect(grid[x: 2, y: 2] == 10)
        #expect(grid[x: 32, y: 2] == 20)
        #expect(grid[x: 2, y: 32] == 110)
        #expect(grid[x: 32 + 27, y: 32 + 27] == 120)
        #expect(!grid.pixels.contains(30) && !grid.pixels.contains(130))
    }

    @Test func comparisonWrapsIntoPairsOfRows() {
        // Five originals (bytes 10…50) and their reconstructions (110…150), two a row: three pairs of rows.
        let originals = filledImages(count: 5, height: 28, width: 28) { 10 * ($0 + 1) }
        let reconstructions = filledImages(count: 5, height: 28, width: 28) { 110 + 10 * $0 }
        let grid = makeComparisonGrid(originals: originals, reconstructions: reconstructions, count: 5, imagesPerRow: 2,
                                      imageHeight: 28, imageWidth: 28, padValue: 0.2)
        #expect(grid.width == 2 * 30 + 2 && grid.height == 6 * 30 + 2)
        let expected: [[UInt8]] = [[10, 20], [110, 120], [30, 40], [130, 140], [50, 51], [150, 51]]
        for (row, values) in expected.enumerated() {
            for (column, value) in values.enumerated() {
                // 51 = the padding's byte (0.2 · 255): the empty places of the last pair.
                #expect(grid[x: 2 + 30 * column + 13, y: 2 + 30 * row + 13] == value, "row \(row), column \(column)")
            }
        }
        // Without imagesPerRow, or with one at least the count, the layout is the single pair of rows.
        let single = makeComparisonGrid(originals: originals, reconstructions: reconstructions, count: 5, imagesPerRow: 8,
                                        imageHeight: 28, imageWidth: 28)
        #expect(single == makeComparisonGrid(originals: originals, reconstructions: reconstructions, count: 5,
                                             imageHeight: 28, imageWidth: 28))
        #expect(single.width == 5 * 30 + 2 && single.height == 2 * 30 + 2)
    }

    @Test func gridSurvivesPNGRoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var random = TestRandom(seed: 6)
        let images = (0..<(64 * 28 * 28)).map { _ in random.unit() }
        let grid = makeImageGrid(images: images, imageCount: 64, imageHeight: 28, imageWidth: 28)
        let url = dir.file("grid.png")
        try grid.writePNG(to: url)
        let back = try GrayImage.readPNG(from: url)
        #expect(back.width == 242 && back.height == 242)
        #expect(back == grid)
    }
}
