import Foundation

/// One of the two splits of an MNIST-style data set.
public enum DataSplit: String, Sendable, CaseIterable {
    /// `train-*` files.
    case train
    /// `t10k-*` files.
    case test

    /// File name prefix: `train` or `t10k`.
    public var filePrefix: String { self == .train ? "train" : "t10k" }

    /// Word used in messages: "training" or "test".
    public var displayName: String { self == .train ? "training" : "test" }
}

/// What a file in the standard MNIST layout holds.
public enum DataFileKind: String, Sendable, CaseIterable {
    /// `*-images-idx3-ubyte`: N×H×W pixel bytes.
    case images
    /// `*-labels-idx1-ubyte`: N class labels.
    case labels

    /// IDX rank in the file name: 3 for images, 1 for labels.
    public var rank: Int { self == .images ? 3 : 1 }
}

/// Standard MNIST file names, in the order they are looked for: gzip first, then raw, then the
/// dotted variant (`train-images.idx3-ubyte`) some mirrors use.
///
/// - Parameters:
///   - split: train or test.
///   - kind: images or labels.
/// - Returns: e.g. `["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train-images.idx3-ubyte.gz", "train-images.idx3-ubyte"]`.
public func standardFileNames(split: DataSplit, kind: DataFileKind) -> [String] {
    let stem = "\(split.filePrefix)-\(kind.rawValue)"
    let suffix = "idx\(kind.rank)-ubyte"
    return ["\(stem)-\(suffix).gz", "\(stem)-\(suffix)", "\(stem).\(suffix).gz", "\(stem).\(suffix)"]
}

/// An MNIST-style data set loaded from a folder in the standard layout
/// (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`,
/// `t10k-labels-idx1-ubyte[.gz]`). Works for MNIST, Fashion-MNIST, KMNIST and any other image size.
public struct MNISTDataset: Sendable {
    /// Loading options.
    public struct Options: Sendable, Equatable {
        /// Fail unless both splits that are present have labels (a conditional model needs them); default false.
        public var requireLabels: Bool
        /// Read the labels files when present; default true. False reads none, so a command that does not
        /// use labels accepts a folder whose labels are damaged or number other classes.
        public var readLabels: Bool
        /// Keep only the first N training images; `nil` (default) keeps all.
        public var trainLimit: Int?
        /// Keep only the first N test images; `nil` (default) keeps all.
        public var testLimit: Int?
        /// Labels must lie in `0..<classCount`; default 10.
        public var classCount: Int

        /// - Parameters:
        ///   - requireLabels: default false.
        ///   - readLabels: default true; must be true when `requireLabels` is.
        ///   - trainLimit: default nil (all).
        ///   - testLimit: default nil (all).
        ///   - classCount: default 10.
        public init(requireLabels: Bool = false, readLabels: Bool = true, trainLimit: Int? = nil, testLimit: Int? = nil,
                    classCount: Int = 10) {
            precondition(readLabels || !requireLabels, "labels that are required must be read")
            precondition(trainLimit.map { $0 > 0 } ?? true, "trainLimit must be positive")
            precondition(testLimit.map { $0 > 0 } ?? true, "testLimit must be positive")
            precondition(classCount > 0 && classCount <= 256, "classCount must be in 1...256")
            self.requireLabels = requireLabels
            self.readLabels = readLabels
            self.trainLimit = trainLimit
            self.testLimit = testLimit
            self.classCount = classCount
        }
    }

    /// The files a data set was read from.
    public struct Files: Sendable, Equatable {
        /// Training images (always present).
        public let trainImages: URL
        /// Training labels, if found.
        public let trainLabels: URL?
        /// Test images, if found.
        public let testImages: URL?
        /// Test labels, if found.
        public let testLabels: URL?
    }

    /// The folder the data came from.
    public let folder: URL
    /// The files that were read.
    public let files: Files
    /// The training images (with labels when the folder has them).
    public let train: ImageSet
    /// The test images, or `nil` when the folder has no test split.
    public let test: ImageSet?

    /// Loads the data set in `folder`.
    ///
    /// - Parameters:
    ///   - folder: a folder in the standard layout; only the training images are mandatory.
    ///   - options: labels requirement, limits and class count; default `Options()`.
    /// - Throws: `DatasetError` for a missing folder, missing files, a folder where a file should be,
    ///   inconsistent files; `IDXError` for a damaged file.
    public init(folder: URL, options: Options = Options()) throws {
        let path = folder.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError.folderNotFound(folder: path)
        }
        guard isDirectory.boolValue else { throw DatasetError.notAFolder(path: path) }

        /// The first of the standard names present; a folder under one of them is refused rather than
        /// passed over, since it stands where the file belongs.
        func find(_ split: DataSplit, _ kind: DataFileKind) throws -> URL? {
            for name in standardFileNames(split: split, kind: kind) {
                let url = folder.appendingPathComponent(name)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else { continue }
                guard !isDir.boolValue else { throw DatasetError.folderInsteadOfFile(path: url.path) }
                return url
            }
            return nil
        }
        guard let trainImages = try find(.train, .images) else {
            throw DatasetError.missingTrainingImages(folder: path, triedNames: standardFileNames(split: .train, kind: .images))
        }
        let trainLabels = options.readLabels ? try find(.train, .labels) : nil
        let testImages = try find(.test, .images)
        let testLabels = options.readLabels ? try find(.test, .labels) : nil
        if testImages == nil && testLabels != nil {
            throw DatasetError.missingTestImages(folder: path, triedNames: standardFileNames(split: .test, kind: .images))
        }
        if options.requireLabels {
            if trainLabels == nil {
                throw DatasetError.missingLabels(folder: path, split: DataSplit.train.displayName,
                                                 triedNames: standardFileNames(split: .train, kind: .labels))
            }
            if testImages != nil && testLabels == nil {
                throw DatasetError.missingLabels(folder: path, split: DataSplit.test.displayName,
                                                 triedNames: standardFileNames(split: .test, kind: .labels))
            }
        }

        func load(images: URL, labels: URL?, limit: Int?) throws -> ImageSet {
            let imageArray = try IDXReader.read(contentsOf: images)
            let labelArray = try labels.map { try IDXReader.read(contentsOf: $0) }
            return try ImageSet(images: imageArray, labels: labelArray, imagesFile: images.path,
                                labelsFile: labels?.path ?? "labels", classCount: options.classCount, limit: limit)
        }
        let train = try load(images: trainImages, labels: trainLabels, limit: options.trainLimit)
        var test: ImageSet? = nil
        if let testImages {
            let loaded = try load(images: testImages, labels: testLabels, limit: options.testLimit)
            guard loaded.height == train.height && loaded.width == train.width else {
                throw DatasetError.imageSizeMismatch(trainFile: trainImages.path, trainHeight: train.height, trainWidth: train.width,
                                                     testFile: testImages.path, testHeight: loaded.height, testWidth: loaded.width)
            }
            test = loaded
        }
        self.folder = folder
        self.files = Files(trainImages: trainImages, trainLabels: trainLabels, testImages: testImages, testLabels: testLabels)
        self.train = train
        self.test = test
    }

    /// Image height in pixels (same for both splits).
    public var height: Int { train.height }
    /// Image width in pixels (same for both splits).
    public var width: Int { train.width }
    /// Whether the training images have labels.
    public var hasLabels: Bool { train.labels != nil }

    /// One line for the terminal, e.g. "4,000 train / 1,000 test images, 28×28, labelled".
    public var summary: String {
        let testPart = test.map { "\(formatCount($0.count)) test images" } ?? "no test split"
        let labelPart = hasLabels ? (test == nil || test?.labels != nil ? "labelled" : "training set labelled") : "no labels"
        return "\(formatCount(train.count)) train / \(testPart), \(height)×\(width), \(labelPart)"
    }
}

/// `4000` → `"4,000"` (digits grouped by three with commas, whatever the locale).
public func formatCount(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

/// Formats a number with a fixed count of decimals, using `.` whatever the locale:
/// `formatFixed(141.2666, decimals: 2)` → `"141.27"`.
/// - Parameters:
///   - value: the number; NaN gives `"nan"`, infinities `"inf"` / `"-inf"`.
///   - decimals: digits after the point, 0 or more (0 prints no point).
public func formatFixed(_ value: Double, decimals: Int) -> String {
    precondition(decimals >= 0, "decimals must be non-negative, got \(decimals)")
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return String(format: "%.\(decimals)f", value)
}
