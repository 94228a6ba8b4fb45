import Foundation
import Batches
import SeededRandom

/// A set of same-sized grayscale images kept as bytes, with optional class labels.
///
/// `pixels` is contiguous and row-major with shape N×H×W (`count * height * width` bytes);
/// image `i` occupies `pixels[i*H*W ..< (i+1)*H*W]`. Conversion to `Float` happens only per
/// batch, through `scaling` (see `fillBatch`).
public struct ImageSet: Sendable, Equatable {
    /// Number of images N.
    public let count: Int
    /// Image height H in pixels (from the file; never assumed).
    public let height: Int
    /// Image width W in pixels (from the file; never assumed).
    public let width: Int
    /// N×H×W pixel bytes, 0 = background, 255 = full ink.
    public let pixels: [UInt8]
    /// N class labels in `0..<classCount`, or `nil` when the data set has none.
    public let labels: [UInt8]?
    /// Number of classes the labels range over (10 for MNIST).
    public let classCount: Int
    /// How `fillBatch(indices:into:generator:)` turns bytes into floats; default `.unit`.
    public var scaling: PixelScaling

    /// Creates an image set from its parts.
    ///
    /// - Parameters:
    ///   - count: number of images N ≥ 0.
    ///   - height: rows H ≥ 1.
    ///   - width: columns W ≥ 1.
    ///   - pixels: `count * height * width` bytes, N×H×W row-major.
    ///   - labels: `count` labels each below `classCount`, or `nil`.
    ///   - classCount: number of classes; default 10.
    ///   - scaling: pixel scaling for batches; default `.unit`.
    public init(count: Int, height: Int, width: Int, pixels: [UInt8], labels: [UInt8]? = nil,
                classCount: Int = 10, scaling: PixelScaling = .unit) {
        precondition(count >= 0 && height > 0 && width > 0, "ImageSet needs count ≥ 0 and positive sizes, got \(count)×\(height)×\(width)")
        precondition(pixels.count == count * height * width, "ImageSet pixels: \(pixels.count) bytes for \(count)×\(height)×\(width)")
        precondition(classCount > 0 && classCount <= 256, "ImageSet classCount must be in 1...256, got \(classCount)")
        if let labels {
            precondition(labels.count == count, "ImageSet: \(labels.count) labels for \(count) images")
            precondition(labels.allSatisfy { Int($0) < classCount }, "ImageSet: a label is not below \(classCount)")
        }
        self.count = count
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classCount = classCount
        self.scaling = scaling
    }

    /// Builds an image set from an images IDX array (N×H×W UInt8) and an optional labels IDX
    /// array (N integers), checking that they fit together.
    ///
    /// - Parameters:
    ///   - images: rank-3 UInt8 array.
    ///   - labels: rank-1 integer array with one label per image, or `nil`.
    ///   - imagesFile: name of the images file, for error messages.
    ///   - labelsFile: name of the labels file, for error messages; default "labels".
    ///   - classCount: labels must lie in `0..<classCount`; default 10.
    ///   - limit: keep only the first `limit` images (and labels); `nil` (default) keeps all.
    /// - Throws: `DatasetError` for a wrong rank or type, no images, a count mismatch or a label out of range.
    public init(images: IDXArray, labels: IDXArray?, imagesFile: String, labelsFile: String = "labels",
                classCount: Int = 10, limit: Int? = nil) throws {
        precondition(limit.map { $0 >= 0 } ?? true, "ImageSet limit must not be negative")
        precondition(classCount > 0 && classCount <= 256, "ImageSet classCount must be in 1...256, got \(classCount)")
        guard images.shape.count == 3 else {
            throw DatasetError.wrongRank(file: imagesFile, expectedRank: 3, shape: images.shape)
        }
        guard let bytes = images.uint8Values else {
            throw DatasetError.wrongElementType(file: imagesFile, role: "image pixels", elementType: images.elementType)
        }
        let fileCount = images.shape[0], height = images.shape[1], width = images.shape[2]
        guard fileCount > 0, height > 0, width > 0 else { throw DatasetError.emptySet(file: imagesFile) }
        var labelBytes: [UInt8]? = nil
        if let labels {
            guard labels.shape.count == 1 else {
                throw DatasetError.wrongRank(file: labelsFile, expectedRank: 1, shape: labels.shape)
            }
            guard labels.shape[0] == fileCount else {
                throw DatasetError.labelCountMismatch(imagesFile: imagesFile, labelsFile: labelsFile,
                                                      imageCount: fileCount, labelCount: labels.shape[0])
            }
            guard let values = labels.intValues() else {
                throw DatasetError.wrongElementType(file: labelsFile, role: "class labels", elementType: labels.elementType)
            }
            if let bad = values.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
                throw DatasetError.labelOutOfRange(file: labelsFile, index: bad, value: values[bad], classCount: classCount)
            }
            labelBytes = values.map { UInt8($0) }
        }
        let kept = min(fileCount, limit ?? fileCount)
        guard kept > 0 else { throw DatasetError.emptySet(file: imagesFile) }
        let pixelCount = kept * height * width
        self.init(count: kept, height: height, width: width,
                  pixels: kept == fileCount ? bytes : Array(bytes[0..<pixelCount]),
                  labels: labelBytes.map { kept == fileCount ? $0 : Array($0[0..<kept]) },
                  classCount: classCount)
    }

    /// Pixels per image, H×W.
    public var pixelsPerImage: Int { height * width }

    /// The bytes of image `index` (H×W row-major).
    public func image(at index: Int) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < count, "image index \(index) out of range 0..<\(count)")
        return pixels[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)]
    }

    /// The first `n` images (and labels); all of them when `n >= count`.
    public func prefix(_ n: Int) -> ImageSet {
        precondition(n >= 0, "prefix length must not be negative")
        if n >= count { return self }
        return ImageSet(count: n, height: height, width: width, pixels: Array(pixels[0..<(n * pixelsPerImage)]),
                        labels: labels.map { Array($0[0..<n]) }, classCount: classCount, scaling: scaling)
    }

    /// The same images with another pixel scaling.
    public func withScaling(_ scaling: PixelScaling) -> ImageSet {
        var copy = self
        copy.scaling = scaling
        return copy
    }

    /// How many images carry each label, indexed by class (`nil` without labels).
    public var labelHistogram: [Int]? {
        guard let labels else { return nil }
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}
