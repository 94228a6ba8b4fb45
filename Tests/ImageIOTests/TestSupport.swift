import Foundation
@testable import ImageIO

/// A fresh, empty temporary directory that is deleted when `remove()` is called.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ImageIOTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Names of the entries in the directory.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// SplitMix64: a tiny seeded generator so tests are reproducible.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) * 0x1p-24 }
}

extension RGBImage {
    /// Number of pixels of exactly `color`, in `rect` (default: the whole image) clipped to the image.
    func count(of color: RGBColor, within rect: PixelRect? = nil) -> Int {
        let area = (rect ?? PixelRect(x: 0, y: 0, width: width, height: height))
            .intersection(PixelRect(x: 0, y: 0, width: width, height: height))
        var n = 0
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX where self[x: x, y: y] == color { n += 1 }
        }
        return n
    }

    /// Whether some pixel within `radius` (Chebyshev distance) of `center` has exactly `color`.
    func has(_ color: RGBColor, near center: PixelPoint, radius: Int = 1) -> Bool {
        count(of: color, within: PixelRect(x: center.x - radius, y: center.y - radius,
                                           width: 2 * radius + 1, height: 2 * radius + 1)) > 0
    }
}
