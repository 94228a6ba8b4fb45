import Foundation
import Testing
@testable import ImageIO

@Suite struct PNGTests {
    @Test func grayRoundTripThroughFileKeepsSizeAndPixels() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var random = TestRandom(seed: 1)
        let image = GrayImage(width: 37, height: 23, pixels: (0..<(37 * 23)).map { _ in random.byte() })
        let url = dir.file("gray.png")
        try image.writePNG(to: url)
        let back = try GrayImage.readPNG(from: url)
        #expect(back.width == 37)
        #expect(back.height == 23)
        #expect(back.pixels == image.pixels)
        // The file is a real PNG: it starts with the 8-byte PNG signature.
        let bytes = try Data(contentsOf: url)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Only the PNG is left in the directory (no temporary files).
        #expect(try dir.contents() == ["gray.png"])
    }

    @Test func rgbRoundTripThroughFileKeepsSizeAndPixels() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var random = TestRandom(seed: 2)
        let image = RGBImage(width: 19, height: 31, pixels: (0..<(3 * 19 * 31)).map { _ in random.byte() })
        let url = dir.file("rgb.png")
        try image.writePNG(to: url)
        let back = try RGBImage.readPNG(from: url)
        #expect(back.width == 19)
        #expect(back.height == 31)
        #expect(back.pixels == image.pixels)
    }

    @Test func inMemoryRoundTripAndChannelOrder() throws {
        var image = RGBImage(width: 2, height: 1, fill: .black)
        image[x: 0, y: 0] = RGBColor(red: 255, green: 0, blue: 0)
        image[x: 1, y: 0] = RGBColor(red: 0, green: 0, blue: 255)
        let back = try RGBImage.decodePNG(image.pngData())
        #expect(back[x: 0, y: 0] == RGBColor(red: 255, green: 0, blue: 0))
        #expect(back[x: 1, y: 0] == RGBColor(red: 0, green: 0, blue: 255))
        // A gray PNG read as RGB has three equal channels.
        let gray = GrayImage(width: 1, height: 1, pixels: [77])
        let expanded = try RGBImage.decodePNG(gray.pngData())
        #expect(expanded.pixels == [77, 77, 77])
    }

    @Test func overwritingAnExistingFileReplacesIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = dir.file("same.png")
        try GrayImage(width: 4, height: 4, fill: 10).writePNG(to: url)
        try GrayImage(width: 2, height: 3, fill: 200).writePNG(to: url)
        let back = try GrayImage.readPNG(from: url)
        #expect(back == GrayImage(width: 2, height: 3, fill: 200))
    }

    @Test func writingIntoMissingDirectoryThrowsNamingPathAndLeavesNoFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = dir.url.appendingPathComponent("no-such-dir").appendingPathComponent("out.png")
        let error = try #require(throws: PNGError.self) {
            try GrayImage(width: 3, height: 3, fill: 1).writePNG(to: url)
        }
        guard case let .unwritableFile(path, _) = error else {
            Issue.record("expected unwritableFile, got \(error)")
            return
        }
        #expect(path == url.path)
        #expect(error.description.contains(url.path))
        #expect(error.localizedDescription.contains(url.path))
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(try dir.contents().isEmpty)
    }

    @Test func writingOverADirectoryThrowsAndKeepsTheDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let target = dir.file("occupied.png")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        let error = try #require(throws: PNGError.self) {
            try RGBImage(width: 2, height: 2).writePNG(to: target)
        }
        #expect(error.description.contains(target.path))
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try dir.contents() == ["occupied.png"])
    }

    @Test func encodingAnEmptyImageThrows() throws {
        let error = try #require(throws: PNGError.self) { try GrayImage(width: 0, height: 5).pngData() }
        guard case .encodingFailed = error else {
            Issue.record("expected encodingFailed, got \(error)")
            return
        }
    }

    @Test func readingMissingFileThrowsNamingPath() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = dir.file("absent.png")
        let error = try #require(throws: PNGError.self) { try GrayImage.readPNG(from: url) }
        #expect(error == .unreadableFile(path: url.path, reason: "no such file"))
        #expect(error.description.contains(url.path))
    }

    @Test func readingRandomBytesThrowsCorruptData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var random = TestRandom(seed: 3)
        let url = dir.file("noise.png")
        try Data((0..<500).map { _ in random.byte() }).write(to: url)
        let error = try #require(throws: PNGError.self) { try RGBImage.readPNG(from: url) }
        guard case let .corruptData(source, message) = error else {
            Issue.record("expected corruptData, got \(error)")
            return
        }
        #expect(source == url.path)
        #expect(!message.isEmpty)
        #expect(error.description.contains(url.path))
    }

    @Test func readingTruncatedPNGThrowsCorruptData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var random = TestRandom(seed: 4)
        // Noise does not compress, so the image data is most of the file.
        let image = GrayImage(width: 64, height: 64, pixels: (0..<(64 * 64)).map { _ in random.byte() })
        let full = try image.pngData()
        #expect(try GrayImage.decodePNG(full) == image)
        for keep in [full.count / 2, full.count - 20, 30, 8] {
            let url = dir.file("truncated-\(keep).png")
            try full.prefix(keep).write(to: url)
            let error = try #require(throws: PNGError.self) { try GrayImage.readPNG(from: url) }
            guard case let .corruptData(source, _) = error else {
                Issue.record("expected corruptData for \(keep) bytes, got \(error)")
                continue
            }
            #expect(source == url.path)
        }
    }

    @Test func readingEmptyFileThrows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = dir.file("empty.png")
        try Data().write(to: url)
        let error = try #require(throws: PNGError.self) { try GrayImage.readPNG(from: url) }
        #expect(error == .corruptData(source: url.path, message: "file is empty"))
    }

    @Test func readingADirectoryThrowsUnreadable() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let error = try #require(throws: PNGError.self) { try GrayImage.readPNG(from: dir.url) }
        guard case .unreadableFile = error else {
            Issue.record("expected unreadableFile, got \(error)")
            return
        }
    }
}
