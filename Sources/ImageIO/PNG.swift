// The only file in the package that talks to libpng. Everything goes through libpng's
// "simplified API" (png_image), which reports errors in `png_image.message` instead of longjmp.
import CPNG
import FileErrors
import Foundation

/// Failures while encoding, decoding, reading or writing PNG files.
///
/// Every message names the file (or "<memory>" for in-memory data) and what went wrong.
public enum PNGError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The file could not be read (missing, a directory, no permission, ...).
    case unreadableFile(path: String, reason: String)
    /// The bytes are not a valid PNG or are damaged; `message` is libpng's diagnostic.
    case corruptData(source: String, message: String)
    /// The PNG header announces an image too large to decode into memory.
    case imageTooLarge(source: String, width: Int, height: Int)
    /// libpng refused to encode the image (for example a zero-sized image).
    case encodingFailed(destination: String, message: String)
    /// The encoded PNG could not be written (missing directory, no permission, path is a directory, ...).
    /// No partial file is left behind.
    case unwritableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read PNG file '\(path)': \(reason)"
        case let .corruptData(source, message):
            return "'\(source)' is not a valid PNG image: \(message)"
        case let .imageTooLarge(source, width, height):
            return "PNG image '\(source)' is too large to decode (\(width)x\(height) pixels)"
        case let .encodingFailed(destination, message):
            return "cannot encode PNG image for '\(destination)': \(message)"
        case let .unwritableFile(path, reason):
            return "\(path): cannot write the PNG file: \(reason). Choose another output path."
        }
    }

    public var errorDescription: String? { description }
}

/// Largest number of pixels a decoded image may have (guards against absurd headers in damaged files).
private let maximumDecodedPixelCount = 1 << 28

/// Name used in error messages for data that did not come from a file.
private let memorySourceName = "<memory>"

// MARK: - libpng wrappers

/// The pixel layouts this module reads and writes.
private enum PNGPixelFormat {
    case gray
    case rgb

    var libpngFormat: UInt32 {
        switch self {
        case .gray: return UInt32(PNG_FORMAT_GRAY)
        case .rgb: return UInt32(PNG_FORMAT_RGB)
        }
    }

    var channels: Int {
        switch self {
        case .gray: return 1
        case .rgb: return 3
        }
    }
}

/// Decoded pixels plus their size, as produced by `decodePNG`.
private struct DecodedPixels {
    var width: Int
    var height: Int
    var pixels: [UInt8]
}

/// libpng's diagnostic text from `image.message` (a NUL-terminated C char array).
private func libpngMessage(_ image: png_image) -> String {
    let text = withUnsafeBytes(of: image.message) { raw -> String in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
    return text.isEmpty ? "unknown libpng error" : text
}

/// libpng's `PNG_IMAGE_PNG_SIZE_MAX` for an 8-bit image without a colour map: the chunks it writes
/// (signature, IHDR, gAMA, cHRM, IEND, one IDAT header per 8 KB) around zlib's bound on the filtered rows,
/// `PNG_ZLIB_MAX_SIZE(b) = b + ⌈b/8⌉ + ⌈b/64⌉ + 11` for b = height · (1 + channels · width) bytes.
private func pngSizeBound(width: Int, height: Int, channels: Int) -> Int {
    let raw = height * (1 + channels * width)
    let compressed = raw + (raw + 7) / 8 + (raw + 63) / 64 + 11
    return 8 + 25 + 16 + 44 + 12 + 12 + 12 * (compressed / 8192) + compressed
}

/// Encodes 8-bit pixels as PNG bytes in memory.
///
/// - Parameters:
///   - pixels: Row-major bytes, `channels * width * height` of them.
///   - destination: Name for error messages.
private func encodePNGBytes(pixels: [UInt8], width: Int, height: Int, format: PNGPixelFormat,
                       destination: String) throws(PNGError) -> Data {
    precondition(pixels.count == format.channels * width * height, "pixel buffer does not match image size")
    guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max) else {
        throw .encodingFailed(destination: destination,
                              message: "image size \(width)x\(height) is not representable in PNG (both sides must be at least 1)")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format.libpngFormat
    defer { png_image_free(&image) }

    let result: Result<Data, PNGError> = pixels.withUnsafeBytes { source in
        // One pass into a buffer of libpng's upper bound for the stream (PNG_IMAGE_PNG_SIZE_MAX, which
        // Swift cannot import); should libpng still need more, it says how much and a second pass follows.
        var data = Data(count: Int(pngSizeBound(width: width, height: height, channels: format.channels)))
        var written = png_alloc_size_t(data.count)
        var ok = data.withUnsafeMutableBytes { target in
            png_image_write_to_memory(&image, target.baseAddress, &written, 0, source.baseAddress, 0, nil)
        }
        if ok == 0, written > data.count {
            data = Data(count: Int(written))
            ok = data.withUnsafeMutableBytes { target in
                png_image_write_to_memory(&image, target.baseAddress, &written, 0, source.baseAddress, 0, nil)
            }
        }
        guard ok != 0 else {
            return .failure(.encodingFailed(destination: destination, message: libpngMessage(image)))
        }
        data.count = Int(written)
        return .success(data)
    }
    return try result.get()
}

/// Decodes PNG bytes into 8-bit pixels of the requested layout (libpng converts color/gray/alpha as needed).
private func decodePNGBytes(_ data: Data, format: PNGPixelFormat, source: String) throws(PNGError) -> DecodedPixels {
    let result: Result<DecodedPixels, PNGError> = data.withUnsafeBytes { bytes in
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return .failure(.corruptData(source: source, message: "file is empty"))
        }
        guard png_image_begin_read_from_memory(&image, base, bytes.count) != 0 else {
            return .failure(.corruptData(source: source, message: libpngMessage(image)))
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).overflow == false,
              width * height <= maximumDecodedPixelCount else {
            return .failure(.imageTooLarge(source: source, width: width, height: height))
        }
        image.format = format.libpngFormat
        // Alpha (if any) is composited onto the buffer's initial contents: white.
        var pixels = [UInt8](repeating: 255, count: format.channels * width * height)
        let ok = pixels.withUnsafeMutableBytes { target in
            png_image_finish_read(&image, nil, target.baseAddress, 0, nil)
        }
        guard ok != 0 else {
            return .failure(.corruptData(source: source, message: libpngMessage(image)))
        }
        return .success(DecodedPixels(width: width, height: height, pixels: pixels))
    }
    return try result.get()
}

/// Reads a whole file, mapping Foundation errors to `PNGError.unreadableFile`.
private func readFileData(_ url: URL) throws(PNGError) -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw .unreadableFile(path: url.path, reason: "no such file")
    }
    guard !isDirectory.boolValue else {
        throw .unreadableFile(path: url.path, reason: "it is a directory")
    }
    do {
        return try Data(contentsOf: url)
    } catch {
        throw .unreadableFile(path: url.path, reason: fileErrorReason(error))
    }
}

/// Writes data atomically (temporary file in the same directory, then rename), refusing a path that holds
/// anything but a regular file (see `OutputFile`).
///
/// On failure nothing is left at `url` and the error names the path.
private func writeFileAtomically(_ data: Data, to url: URL) throws(PNGError) {
    if let reason = OutputFile.write(data, to: url) { throw .unwritableFile(path: url.relativePath, reason: reason) }
}

// MARK: - Public API

extension GrayImage {
    /// Encodes the image as an 8-bit grayscale PNG in memory.
    ///
    /// - Throws: `PNGError.encodingFailed` if the image has a zero side.
    public func pngData() throws(PNGError) -> Data {
        try encodePNGBytes(pixels: pixels, width: width, height: height, format: .gray, destination: memorySourceName)
    }

    /// Writes the image as an 8-bit grayscale PNG file, atomically.
    ///
    /// The PNG is encoded in memory, written to a temporary name in the same directory and renamed,
    /// so a failed write leaves no partial file.
    /// - Parameter url: Destination file; its directory must exist.
    /// - Throws: `PNGError.unwritableFile` naming the path, or `PNGError.encodingFailed`.
    public func writePNG(to url: URL) throws(PNGError) {
        let data = try encodePNGBytes(pixels: pixels, width: width, height: height, format: .gray, destination: url.path)
        try writeFileAtomically(data, to: url)
    }

    /// Decodes PNG bytes as a grayscale image (color PNGs are converted to gray by libpng,
    /// transparency is composited onto white).
    ///
    /// - Parameter data: The PNG byte stream.
    /// - Throws: `PNGError.corruptData` or `PNGError.imageTooLarge`.
    public static func decodePNG(_ data: Data) throws(PNGError) -> GrayImage {
        let decoded = try decodePNGBytes(data, format: .gray, source: memorySourceName)
        return GrayImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Reads a PNG file as a grayscale image (color PNGs are converted to gray by libpng).
    ///
    /// - Parameter url: The file to read.
    /// - Throws: `PNGError.unreadableFile` (missing or unreadable), `PNGError.corruptData`
    ///   (not a PNG, truncated, damaged) or `PNGError.imageTooLarge`, each naming the file.
    public static func readPNG(from url: URL) throws(PNGError) -> GrayImage {
        let data = try readFileData(url)
        let decoded = try decodePNGBytes(data, format: .gray, source: url.path)
        return GrayImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }
}

extension RGBImage {
    /// Encodes the image as an 8-bit RGB PNG in memory.
    ///
    /// - Throws: `PNGError.encodingFailed` if the image has a zero side.
    public func pngData() throws(PNGError) -> Data {
        try encodePNGBytes(pixels: pixels, width: width, height: height, format: .rgb, destination: memorySourceName)
    }

    /// Writes the image as an 8-bit RGB PNG file, atomically.
    ///
    /// The PNG is encoded in memory, written to a temporary name in the same directory and renamed,
    /// so a failed write leaves no partial file.
    /// - Parameter url: Destination file; its directory must exist.
    /// - Throws: `PNGError.unwritableFile` naming the path, or `PNGError.encodingFailed`.
    public func writePNG(to url: URL) throws(PNGError) {
        let data = try encodePNGBytes(pixels: pixels, width: width, height: height, format: .rgb, destination: url.path)
        try writeFileAtomically(data, to: url)
    }

    /// Decodes PNG bytes as an RGB image (gray PNGs are expanded, transparency composited onto white).
    ///
    /// - Parameter data: The PNG byte stream.
    /// - Throws: `PNGError.corruptData` or `PNGError.imageTooLarge`.
    public static func decodePNG(_ data: Data) throws(PNGError) -> RGBImage {
        let decoded = try decodePNGBytes(data, format: .rgb, source: memorySourceName)
        return RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Reads a PNG file as an RGB image (gray PNGs are expanded to three equal channels).
    ///
    /// - Parameter url: The file to read.
    /// - Throws: `PNGError.unreadableFile` (missing or unreadable), `PNGError.corruptData`
    ///   (not a PNG, truncated, damaged) or `PNGError.imageTooLarge`, each naming the file.
    public static func readPNG(from url: URL) throws(PNGError) -> RGBImage {
        let data = try readFileData(url)
        let decoded = try decodePNGBytes(data, format: .rgb, source: url.path)
        return RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }
}
