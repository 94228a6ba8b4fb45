import Foundation
import Testing
@testable import MNISTData

@Suite("Data folder loading")
struct MNISTDatasetTests {
    @Test("a gzip folder loads with sizes from the files, labels and test split")
    func loadsGzipFolder() throws {
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, trainCount: 6, testCount: 3, height: 4, width: 5)
            let data = try MNISTDataset(folder: folder)
            #expect(data.train.count == 6 && data.height == 4 && data.width == 5)
            #expect(data.train.labels == [0, 1, 2, 3, 4, 5])
            #expect(data.test?.count == 3)
            #expect(data.test?.labels == [3, 4, 5])
            #expect(data.train.image(at: 1).first == 1)
            #expect(data.files.trainImages.lastPathComponent == "train-images-idx3-ubyte.gz")
            #expect(data.summary == "6 train / 3 test images, 4×5, labelled")
        }
    }

    @Test("raw files and the dotted names are accepted; .gz is preferred")
    func rawAndDotted() throws {
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, trainCount: 2, testCount: nil, gzip: false)
            var data = try MNISTDataset(folder: folder)
            #expect(data.files.trainImages.lastPathComponent == "train-images-idx3-ubyte")
            #expect(data.test == nil)
            #expect(data.summary.contains("no test split"))
            // A .gz copy with a different count wins.
            try write(gzipCompress(imagesIDX(count: 2, height: 4, width: 5).encoded()), to: folder, name: "train-images-idx3-ubyte.gz")
            data = try MNISTDataset(folder: folder)
            #expect(data.files.trainImages.lastPathComponent == "train-images-idx3-ubyte.gz")
        }
        try withTemporaryDirectory { folder in
            try write(imagesIDX(count: 3, height: 2, width: 2).encoded(), to: folder, name: "train-images.idx3-ubyte")
            try write(labelsIDX([1, 2, 3]).encoded(), to: folder, name: "train-labels.idx1-ubyte")
            let data = try MNISTDataset(folder: folder)
            #expect(data.train.labels == [1, 2, 3])
        }
    }

    @Test("train and test limits are independent")
    func limits() throws {
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, trainCount: 10, testCount: 5)
            let data = try MNISTDataset(folder: folder, options: .init(trainLimit: 4))
            #expect(data.train.count == 4 && data.train.labels?.count == 4 && data.train.pixels.count == 4 * 20)
            #expect(data.test?.count == 5)
            let both = try MNISTDataset(folder: folder, options: .init(trainLimit: 100, testLimit: 2))
            #expect(both.train.count == 10 && both.test?.count == 2 && both.test?.labels == [3, 4])
        }
    }

    @Test("labels are optional unless required")
    func labelsRequirement() throws {
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, trainLabels: false, testLabels: false)
            let data = try MNISTDataset(folder: folder)
            #expect(data.train.labels == nil && !data.hasLabels)
            #expect(throws: DatasetError.missingLabels(folder: folder.path, split: "training",
                                                       triedNames: standardFileNames(split: .train, kind: .labels))) {
                try MNISTDataset(folder: folder, options: .init(requireLabels: true))
            }
        }
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, trainLabels: true, testLabels: false)
            #expect(try MNISTDataset(folder: folder).test?.labels == nil)
            #expect(throws: DatasetError.missingLabels(folder: folder.path, split: "test",
                                                       triedNames: standardFileNames(split: .test, kind: .labels))) {
                try MNISTDataset(folder: folder, options: .init(requireLabels: true))
            }
        }
    }

    @Test("folder-level problems give typed errors")
    func folderErrors() throws {
        try withTemporaryDirectory { folder in
            let missing = folder.appendingPathComponent("absent")
            #expect(throws: DatasetError.folderNotFound(folder: missing.path)) { try MNISTDataset(folder: missing) }
            #expect(throws: DatasetError.missingTrainingImages(folder: folder.path,
                                                               triedNames: standardFileNames(split: .train, kind: .images))) {
                try MNISTDataset(folder: folder)
            }
            let file = try write([1], to: folder, name: "plain")
            #expect(throws: DatasetError.notAFolder(path: file.path)) { try MNISTDataset(folder: file) }
        }
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, height: 4, width: 5)
            try write(gzipCompress(imagesIDX(count: 3, height: 5, width: 4).encoded()), to: folder, name: "t10k-images-idx3-ubyte.gz")
            let trainPath = folder.appendingPathComponent("train-images-idx3-ubyte.gz").path
            let testPath = folder.appendingPathComponent("t10k-images-idx3-ubyte.gz").path
            #expect(throws: DatasetError.imageSizeMismatch(trainFile: trainPath, trainHeight: 4, trainWidth: 5,
                                                           testFile: testPath, testHeight: 5, testWidth: 4)) {
                try MNISTDataset(folder: folder)
            }
        }
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, testCount: nil)
            try write(labelsIDX([1, 2]).encoded(), to: folder, name: "t10k-labels-idx1-ubyte")
            #expect(throws: DatasetError.missingTestImages(folder: folder.path, triedNames: standardFileNames(split: .test, kind: .images))) {
                try MNISTDataset(folder: folder)
            }
        }
        try withTemporaryDirectory { folder in
            try writeDataFolder(folder, testCount: nil)
            // A damaged file inside the folder surfaces its IDXError.
            let path = try write([0, 0, 8, 3] + bigEndian(6) + bigEndian(4) + bigEndian(5), to: folder, name: "train-images-idx3-ubyte.gz")
            #expect(throws: IDXError.truncated(file: path.path, expectedBytes: 16 + 120, actualBytes: 16)) {
                try MNISTDataset(folder: folder)
            }
        }
    }

    @Test("images and labels must fit together")
    func consistency() throws {
        let images = imagesIDX(count: 4, height: 2, width: 3)
        #expect(throws: DatasetError.labelCountMismatch(imagesFile: "i", labelsFile: "l", imageCount: 4, labelCount: 3)) {
            try ImageSet(images: images, labels: labelsIDX([0, 1, 2]), imagesFile: "i", labelsFile: "l")
        }
        #expect(throws: DatasetError.labelOutOfRange(file: "l", index: 2, value: 10, classCount: 10)) {
            try ImageSet(images: images, labels: labelsIDX([0, 1, 10, 2]), imagesFile: "i", labelsFile: "l")
        }
        #expect(throws: DatasetError.labelOutOfRange(file: "l", index: 3, value: 3, classCount: 3)) {
            try ImageSet(images: images, labels: labelsIDX([0, 1, 2, 3]), imagesFile: "i", labelsFile: "l", classCount: 3)
        }
        let negative = IDXArray(elementType: .int8, shape: [4], bytes: [0, 1, 0xFF, 2])
        #expect(throws: DatasetError.labelOutOfRange(file: "l", index: 2, value: -1, classCount: 10)) {
            try ImageSet(images: images, labels: negative, imagesFile: "i", labelsFile: "l")
        }
        #expect(throws: DatasetError.emptySet(file: "i")) {
            try ImageSet(images: IDXArray(uint8Values: [], shape: [0, 28, 28]), labels: nil, imagesFile: "i")
        }
        #expect(throws: DatasetError.wrongRank(file: "i", expectedRank: 3, shape: [4, 6])) {
            try ImageSet(images: IDXArray(uint8Values: [UInt8](repeating: 0, count: 24), shape: [4, 6]), labels: nil, imagesFile: "i")
        }
        #expect(throws: DatasetError.wrongRank(file: "l", expectedRank: 1, shape: [2, 2])) {
            try ImageSet(images: images, labels: IDXArray(uint8Values: [0, 1, 2, 3], shape: [2, 2]), imagesFile: "i", labelsFile: "l")
        }
        #expect(throws: DatasetError.wrongElementType(file: "i", role: "image pixels", elementType: .float32)) {
            try ImageSet(images: IDXArray(elementType: .float32, shape: [1, 1, 1], bytes: [0, 0, 0, 0]), labels: nil, imagesFile: "i")
        }
        // Int32 labels are accepted.
        let wide = IDXArray(elementType: .int32, shape: [4], bytes: [0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(try ImageSet(images: images, labels: wide, imagesFile: "i").labels == [9, 0, 1, 2])
    }

    @Test("data location: explicit folder, then ./data/mnist, then the bundled subset")
    func location() throws {
        try withTemporaryDirectory { base in
            let bundled = try DataLocation.resolve(explicitFolder: nil, currentDirectory: base)
            #expect(bundled.origin == .bundled)
            #expect(bundled.description == "bundled MNIST subset")
            #expect(FileManager.default.fileExists(atPath: bundled.folder.appendingPathComponent("train-images-idx3-ubyte.gz").path))

            #expect(bundled.note == nil)

            // An empty ./data/mnist (a download that failed) is passed over, saying so.
            let local = base.appendingPathComponent("data/mnist")
            try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
            try write([1, 2, 3], to: local, name: ".train-images-idx3-ubyte.gz.part-1234")
            let empty = try DataLocation.resolve(explicitFolder: nil, currentDirectory: base)
            #expect(empty.origin == .bundled)
            #expect(empty.note == "./data/mnist holds no training images, so the bundled MNIST subset is used "
                + "(run 'vae download' to fetch MNIST).")

            try write([0], to: local, name: "train-images-idx3-ubyte.gz")
            let found = try DataLocation.resolve(explicitFolder: nil, currentDirectory: base)
            #expect(found.origin == .localFolder)
            #expect(found.note == nil)
            #expect(found.folder.standardizedFileURL.path == local.standardizedFileURL.path)

            try FileManager.default.createDirectory(at: base.appendingPathComponent("mine"), withIntermediateDirectories: true)
            let explicit = try DataLocation.resolve(explicitFolder: "mine", currentDirectory: base)
            #expect(explicit.origin == .explicit)
            #expect(explicit.folder.standardizedFileURL.path == base.appendingPathComponent("mine").standardizedFileURL.path)
            #expect(throws: DatasetError.folderNotFound(folder: base.appendingPathComponent("gone").path)) {
                try DataLocation.resolve(explicitFolder: base.appendingPathComponent("gone").path, currentDirectory: base)
            }
        }
    }

    @Test("a data set by name: ./data/NAME first, then the system's copy (/usr/share/datasets/NAME), else an error naming both")
    func namedLocation() throws {
        try withTemporaryDirectory { base in
            let system = base.appendingPathComponent("system")
            let systemCopy = system.appendingPathComponent("fashion-mnist")
            #expect(throws: DatasetError.datasetNotFound(name: "fashion-mnist", searched: ["data/fashion-mnist", systemCopy.path])) {
                try DataLocation.named(.fashionMNIST, base: base, systemRoot: system.path)
            }
            try FileManager.default.createDirectory(at: systemCopy, withIntermediateDirectories: true)
            let fromSystem = try DataLocation.named(.fashionMNIST, base: base, systemRoot: system.path)
            #expect(fromSystem.origin == .named && fromSystem.folder.standardizedFileURL.path == systemCopy.standardizedFileURL.path)
            #expect(fromSystem.description == "Fashion-MNIST in \(systemCopy.path)")

            let local = base.appendingPathComponent("data/fashion-mnist")
            try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
            let fromLocal = try DataLocation.named(.fashionMNIST, base: base, systemRoot: system.path)
            #expect(fromLocal.folder.standardizedFileURL.path == local.standardizedFileURL.path)
            #expect(fromLocal.description == "Fashion-MNIST in data/fashion-mnist")
            // The default root is Debian's, where `apt-get install dataset-fashion-mnist` puts the files.
            #expect(DataLocation.systemRoot == "/usr/share/datasets")
            // Through resolve: an explicit folder still wins; MNIST keeps its own rule.
            try FileManager.default.createDirectory(at: base.appendingPathComponent("mine"), withIntermediateDirectories: true)
            #expect(try DataLocation.resolve(explicitFolder: "mine", dataset: .fashionMNIST, currentDirectory: base).origin == .explicit)
            #expect(try DataLocation.resolve(explicitFolder: nil, dataset: .fashionMNIST, currentDirectory: base).origin == .named)
            #expect(try DataLocation.resolve(explicitFolder: nil, dataset: .mnist, currentDirectory: base).origin == .bundled)
        }
    }

    @Test("a folder standing where a data file belongs is refused by name; labels left unread when not wanted")
    func folderInsteadOfFile() throws {
        try withTemporaryDirectory { base in
            try writeDataFolder(base)
            let images = try #require(try FileManager.default.contentsOfDirectory(atPath: base.path)
                .first { $0.hasPrefix("train-images") })
            let labels = try #require(try FileManager.default.contentsOfDirectory(atPath: base.path)
                .first { $0.hasPrefix("train-labels") })
            // Labels that are not IDX at all: refused when read, unread with readLabels false.
            try Data("not IDX".utf8).write(to: base.appendingPathComponent(labels))
            #expect(throws: IDXError.self) { try MNISTDataset(folder: base) }
            let unlabelled = try MNISTDataset(folder: base, options: .init(readLabels: false))
            #expect(unlabelled.train.labels == nil && unlabelled.test?.labels == nil)

            try FileManager.default.removeItem(at: base.appendingPathComponent(images))
            try FileManager.default.createDirectory(at: base.appendingPathComponent(images), withIntermediateDirectories: true)
            #expect(throws: DatasetError.folderInsteadOfFile(path: base.appendingPathComponent(images).path)) {
                try MNISTDataset(folder: base, options: .init(readLabels: false))
            }
        }
    }

    @Test("Bundle.module finds the bundled resource folder")
    func bundleModule() throws {
        let url = try #require(Bundle.module.url(forResource: "mnist-mini", withExtension: nil))
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path))
        #expect(try DataLocation.bundledFolder().standardizedFileURL.path == url.standardizedFileURL.path)
    }

    @Test("error messages name the file or folder and say what to do next")
    func messages() {
        let cases: [(any Error & CustomStringConvertible, String, String)] = [
            (DatasetError.labelCountMismatch(imagesFile: "imgs.gz", labelsFile: "labs.gz", imageCount: 3, labelCount: 2), "labs.gz", "download"),
            (DatasetError.missingLabels(folder: "dir/x", split: "training", triedNames: ["a"]), "dir/x", "unconditional"),
            (DatasetError.bundledDataMissing(searched: ["p/q"]), "p/q", "--data"),
            (DatasetError.folderNotFound(folder: "nowhere"), "nowhere", "vae download"),
            (IDXError.badMagic(file: "f.gz", firstBytes: [0x3C, 0x68]), "3C 68", "Download it again"),
            (IDXError.tooLarge(file: "big", bytes: 10, limitBytes: 5), "big", "limit"),
            (DownloadError.checksumMismatch(url: "http://h/f", file: "f", expected: "aa", actual: "bb"), "http://h/f", "not kept"),
        ]
        for (error, subject, advice) in cases {
            #expect(error.description.contains(subject), "\(error)")
            #expect(error.description.contains(advice), "\(error)")
            #expect((error as? any LocalizedError)?.errorDescription == error.description)
        }
    }

    @Test("count formatting")
    func counts() {
        #expect(formatCount(0) == "0")
        #expect(formatCount(999) == "999")
        #expect(formatCount(4000) == "4,000")
        #expect(formatCount(60000) == "60,000")
        #expect(formatCount(1_234_567) == "1,234,567")
    }
}
