import Foundation
import Testing
@testable import ImageIO

@Suite struct LabeledGridTests {
    /// N images of H×W whose pixel i of image k has byte value (7k + i) % 251, as intensities.
    static func distinctImages(count: Int, height: Int, width: Int) -> [Float] {
        (0..<count).flatMap { k in (0..<height * width).map { Float((7 * k + $0) % 251) / 255 } }
    }

    @Test func tilesHoldTheImageBytesAtTheirOrigins() {
        let (count, height, width) = (10, 6, 5)
        let images = Self.distinctImages(count: count, height: height, width: width)
        let labeled = LabeledImageGrid(images: images, imageCount: count, imageHeight: height, imageWidth: width,
                                       imagesPerRow: 4, rowLabels: ["0", "1", "dim 3 (KL 2.1)"],
                                       columnLabels: ["a", "b", "c", "d"], title: "Latent traversal")
        let image = labeled.image
        #expect(labeled.layout.rows == 3 && labeled.layout.columns == 4)
        for k in 0..<count {
            let origin = labeled.origin(ofImage: k)
            for y in 0..<height {
                for x in 0..<width {
                    let byte = UInt8((7 * k + y * width + x) % 251)
                    #expect(image[x: origin.x + x, y: origin.y + y] == RGBColor(red: byte, green: byte, blue: byte))
                }
            }
        }
        // The whole unlabelled grid is copied unchanged at gridOrigin.
        let grid = makeImageGrid(images: images, imageCount: count, imageHeight: height, imageWidth: width,
                                 imagesPerRow: 4)
        let gray = labeled.grayImage
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                #expect(gray[x: labeled.gridOrigin.x + x, y: labeled.gridOrigin.y + y] == grid[x: x, y: y])
            }
        }
        // Room for the widest row label on the left and two text lines on top.
        #expect(labeled.gridOrigin.x >= BitmapFont.textSize("dim 3 (KL 2.1)").width)
        #expect(labeled.gridOrigin.y >= 2 * BitmapFont.lineHeight)
        #expect(image.width >= labeled.gridOrigin.x + grid.width && image.height >= labeled.gridOrigin.y + grid.height)
    }

    @Test func rowLabelsSitLeftOfTheirRowAndTitleOnTop() {
        let images = Self.distinctImages(count: 6, height: 28, width: 28)
        let labeled = LabeledImageGrid(images: images, imageCount: 6, imageHeight: 28, imageWidth: 28, imagesPerRow: 3,
                                       rowLabels: ["7", "8"], title: "Digits", textScale: 2)
        let image = labeled.image
        for row in 0..<2 {
            let top = labeled.origin(ofImage: row * 3).y
            // Ink of the label: left of the grid, inside the row's image band, text scale 2.
            let band = PixelRect(x: 0, y: top, width: labeled.gridOrigin.x, height: 28)
            #expect(image.count(of: .black, within: band) > 4 * 10, "row \(row) label")
            let outside = PixelRect(x: 0, y: top + 28, width: labeled.gridOrigin.x, height: 2)
            #expect(image.count(of: .black, within: outside) == 0)
        }
        // "7" and "8" differ, so the two label bands differ.
        let first = labeled.origin(ofImage: 0).y, second = labeled.origin(ofImage: 3).y
        var differs = false
        for y in 0..<28 {
            for x in 0..<labeled.gridOrigin.x where image[x: x, y: first + y] != image[x: x, y: second + y] { differs = true }
        }
        #expect(differs)
        // The title is above the grid.
        let titleBand = PixelRect(x: 0, y: 0, width: image.width, height: labeled.gridOrigin.y)
        #expect(image.count(of: .black, within: titleBand) > 4 * 30)
    }

    @Test func withoutLabelsItIsThePlainGrid() throws {
        let images = Self.distinctImages(count: 5, height: 3, width: 4)
        let labeled = LabeledImageGrid(images: images, imageCount: 5, imageHeight: 3, imageWidth: 4, imagesPerRow: 2)
        let grid = makeImageGrid(images: images, imageCount: 5, imageHeight: 3, imageWidth: 4, imagesPerRow: 2)
        #expect(labeled.gridOrigin == PixelPoint(x: 0, y: 0))
        #expect(labeled.grayImage == grid)
        #expect(labeled.image == RGBImage(grid))

        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = dir.file("grid.png")
        try labeled.writePNG(to: url, gray: true)
        #expect(try GrayImage.readPNG(from: url) == grid)
        try labeled.writePNG(to: url)
        #expect(try RGBImage.readPNG(from: url) == labeled.image)
    }
}
