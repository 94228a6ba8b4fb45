import Foundation

/// A problem with one IDX file: it is missing, unreadable, compressed badly, or its header and
/// payload disagree. Every case names the file and says what to do next.
public enum IDXError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Nothing exists at the path.
    case fileNotFound(file: String)
    /// The path is a folder, not a file.
    case isDirectory(file: String)
    /// The operating system refused to read the file.
    case unreadable(file: String, reason: String)
    /// The first two bytes are not zero, so this is not an IDX file.
    case badMagic(file: String, firstBytes: [UInt8])
    /// The third byte is not one of the IDX element type codes (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E).
    case unsupportedElementType(file: String, code: UInt8)
    /// The fourth byte says the array has zero dimensions.
    case zeroDimensions(file: String)
    /// The file ends inside the header (4 bytes plus 4 bytes per dimension).
    case headerTooShort(file: String, expectedBytes: Int, actualBytes: Int)
    /// The file (after decompression) is shorter than its header says; sizes include the header.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// The file (after decompression) is longer than the `expectedBytes` its header says, header included.
    case trailingBytes(file: String, expectedBytes: Int)
    /// The product of the dimensions does not fit in an `Int`.
    case sizeOverflow(file: String, shape: [Int])
    /// The (decompressed) data would exceed the memory limit; nothing was allocated.
    case tooLarge(file: String, bytes: Int, limitBytes: Int)
    /// The gzip stream is damaged (bad header, bad checksum, invalid deflate data).
    case corruptGzip(file: String, reason: String)
    /// The gzip stream ends before its end marker.
    case truncatedGzip(file: String)

    /// The file this error is about.
    public var file: String {
        switch self {
        case .fileNotFound(let file), .isDirectory(let file), .unreadable(let file, _),
             .badMagic(let file, _), .unsupportedElementType(let file, _), .zeroDimensions(let file),
             .headerTooShort(let file, _, _), .truncated(let file, _, _), .trailingBytes(let file, _),
             .sizeOverflow(let file, _), .tooLarge(let file, _, _), .corruptGzip(let file, _),
             .truncatedGzip(let file):
            return file
        }
    }

    public var description: String {
        let redownload = "Download it again (for example with `vae download`) or point --data at a folder with intact files."
        switch self {
        case .fileNotFound(let file):
            return "\(file): IDX file not found. Check the path, or download the data with `vae download`."
        case .isDirectory(let file):
            return "\(file) is a folder, not an IDX file. Pass the file itself, or pass the folder with --data."
        case .unreadable(let file, let reason):
            return "Cannot read IDX file \(file): \(reason). Check its permissions."
        case .badMagic(let file, let bytes):
            let hex = bytes.map(hexByte).joined(separator: " ")
            return "\(file) is not an IDX file: it starts with bytes [\(hex)], but an IDX file starts with two zero bytes. "
                + "Is it an HTML error page or a different format? " + redownload
        case .unsupportedElementType(let file, let code):
            return "\(file) has IDX element type code 0x\(hexByte(code)), which is not one of "
                + "0x08 (UInt8), 0x09 (Int8), 0x0B (Int16), 0x0C (Int32), 0x0D (Float32), 0x0E (Float64). The file is damaged or not IDX. "
                + redownload
        case .zeroDimensions(let file):
            return "\(file) declares zero dimensions in its IDX header; an IDX array needs at least one. " + redownload
        case .headerTooShort(let file, let expected, let actual):
            return "\(file) ends inside its IDX header: the header needs \(expected) bytes but only \(actual) are there. " + redownload
        case .truncated(let file, let expected, let actual):
            return "\(file) is truncated: its header describes \(expected) bytes (header included, after decompression) "
                + "but only \(actual) are there. " + redownload
        case .trailingBytes(let file, let expected):
            return "\(file) has extra bytes after the \(expected) bytes (header included, after decompression) its header describes; "
                + "the header and the data disagree. " + redownload
        case .sizeOverflow(let file, let shape):
            return "\(file) declares shape \(shape), whose size overflows; the header is damaged. " + redownload
        case .tooLarge(let file, let bytes, let limit):
            return "\(file) would need \(bytes) bytes in memory, more than the limit of \(limit) bytes; refusing to load it. "
                + "Check that the header is not damaged, or split the data into smaller files."
        case .corruptGzip(let file, let reason):
            return "\(file) is not a valid gzip stream (\(reason)). " + redownload
        case .truncatedGzip(let file):
            return "\(file) is a truncated gzip stream: it ends before the compressed data does. " + redownload
        }
    }

    public var errorDescription: String? { description }
}

/// A problem with a data set as a whole: its files disagree with each other, are missing, or
/// hold values a model cannot use. Every case says what to do next.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The images and labels files hold different numbers of items.
    case labelCountMismatch(imagesFile: String, labelsFile: String, imageCount: Int, labelCount: Int)
    /// A label is outside `0..<classCount`.
    case labelOutOfRange(file: String, index: Int, value: Int, classCount: Int)
    /// The images file holds no images.
    case emptySet(file: String)
    /// The file's rank is not the one the data set needs (3 for images N×H×W, 1 for labels N).
    case wrongRank(file: String, expectedRank: Int, shape: [Int])
    /// The file's element type cannot be used for this role.
    case wrongElementType(file: String, role: String, elementType: IDXElementType)
    /// The data folder does not exist.
    case folderNotFound(folder: String)
    /// The data path exists but is a file, not a folder.
    case notAFolder(path: String)
    /// A folder stands where one of the data files should be (`train-images-idx3-ubyte`, …).
    case folderInsteadOfFile(path: String)
    /// The folder has no training images under any of the accepted names.
    case missingTrainingImages(folder: String, triedNames: [String])
    /// Labels are required (conditional model) but the folder has none for this split.
    case missingLabels(folder: String, split: String, triedNames: [String])
    /// The test split exists but its labels are present and the images are not, or the other way round.
    case missingTestImages(folder: String, triedNames: [String])
    /// Training and test images have different sizes.
    case imageSizeMismatch(trainFile: String, trainHeight: Int, trainWidth: Int,
                           testFile: String, testHeight: Int, testWidth: Int)
    /// The copy of the bundled MNIST subset could not be found next to the program.
    case bundledDataMissing(searched: [String])
    /// A data set asked for by name (`--dataset fashion-mnist`) is in none of the folders searched.
    case datasetNotFound(name: String, searched: [String])

    public var description: String {
        switch self {
        case .labelCountMismatch(let images, let labels, let imageCount, let labelCount):
            return "\(labels) has \(labelCount) labels but \(images) has \(imageCount) images; they must match one to one. "
                + "Make sure both files come from the same data set and split, and download them again if unsure."
        case .labelOutOfRange(let file, let index, let value, let classCount):
            return "\(file): label \(value) at index \(index) is outside 0..<\(classCount). "
                + "Use a labels file with class numbers 0 to \(classCount - 1), or raise the number of classes."
        case .emptySet(let file):
            return "\(file) holds no images. Use a file with at least one image."
        case .wrongRank(let file, let rank, let shape):
            let role = rank == 3 ? "an images file must have 3 dimensions (count × height × width)"
                : "a labels file must have 1 dimension (count)"
            return "\(file) has shape \(shape) but \(role). Check that the file names are not swapped."
        case .wrongElementType(let file, let role, let type):
            return "\(file) holds \(type) elements, which cannot be used as \(role). "
                + "Images must be unsigned bytes (IDX type 0x08); labels must be integers."
        case .folderNotFound(let folder):
            return "Data folder \(folder) does not exist. Pass an existing folder with --data, "
                + "or fetch MNIST into data/mnist with `vae download`."
        case .notAFolder(let path):
            return "\(path) is a file, but --data needs a folder holding train-images-idx3-ubyte[.gz] and friends."
        case .folderInsteadOfFile(let path):
            return "\(path) is a folder, but the IDX file of that name belongs there; move the folder away "
                + "and put the file in its place."
        case .missingTrainingImages(let folder, let names):
            return "Data folder \(folder) has no training images (looked for \(names.joined(separator: ", "))). "
                + "Put MNIST-style IDX files there, or run `vae download --dir \(folder)`."
        case .missingLabels(let folder, let split, let names):
            return "A conditional model needs labels, but data folder \(folder) has no \(split) labels (looked for "
                + "\(names.joined(separator: ", "))). Add the labels file, or train an unconditional model."
        case .missingTestImages(let folder, let names):
            return "Data folder \(folder) has test labels but no test images (looked for \(names.joined(separator: ", "))). "
                + "Add the test images file or remove the test labels."
        case .imageSizeMismatch(let trainFile, let th, let tw, let testFile, let sh, let sw):
            return "Training images in \(trainFile) are \(th)×\(tw) but test images in \(testFile) are \(sh)×\(sw). "
                + "Use train and test files from the same data set."
        case .datasetNotFound(let name, let searched):
            return "\(name) was found neither in \(searched.joined(separator: " nor in ")) (each a folder of its IDX files); "
                + "fetch it with `vae download --dataset \(name)`, or pass its folder with --data."
        case .bundledDataMissing(let searched):
            return "The bundled MNIST subset (mnist-mini) was not found; looked in \(searched.joined(separator: ", ")). "
                + "Keep the vae_MNISTData.resources folder next to the vae program, or pass --data with an MNIST folder "
                + "(`vae download` fetches one)."
        }
    }

    public var errorDescription: String? { description }
}

/// Two hexadecimal digits for a byte, e.g. `0B`.
func hexByte(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return byte < 16 ? "0" + digits : digits
}
