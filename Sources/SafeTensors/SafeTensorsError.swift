import Foundation

/// A problem found while reading, writing or querying a safetensors checkpoint.
///
/// Every case names the file (or the in-memory source) it concerns, says what is wrong,
/// and `description` adds what to do about it.
public enum SafeTensorsError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    // MARK: Opening and writing files

    /// No file exists at `path`.
    case fileNotFound(path: String)
    /// `path` names a folder, not a file.
    case isDirectory(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The folder that should contain `path` does not exist (or is not a folder).
    case directoryMissing(path: String, directory: String)
    /// Writing `path` failed; nothing was left behind because writes are atomic.
    case writeFailed(path: String, reason: String)

    // MARK: Structure of the file

    /// The data is shorter than the 8-byte header-length prefix.
    case fileTooShort(source: String, byteCount: Int)
    /// The declared header length exceeds the limit this reader accepts.
    case headerTooLarge(source: String, declaredLength: UInt64, limit: Int)
    /// The declared header length runs past the end of the data.
    case headerExceedsFile(source: String, declaredLength: UInt64, availableLength: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8(source: String)
    /// The header is not parseable JSON.
    case headerNotJSON(source: String, detail: String)
    /// The header is JSON but not a JSON object.
    case headerNotObject(source: String)
    /// A tensor entry is missing a field or has a field of the wrong JSON type.
    case invalidEntry(source: String, tensor: String, problem: String)
    /// A tensor uses a dtype this reader does not support.
    case unsupportedDType(source: String, tensor: String, dtype: String)
    /// A tensor's shape has a negative entry or its element count overflows.
    case invalidShape(source: String, tensor: String, shape: [Int], problem: String)
    /// A tensor's byte range length differs from its element count times its dtype size.
    case byteLengthMismatch(source: String, tensor: String, expectedByteCount: Int, actualByteCount: Int)
    /// A tensor's byte range is reversed or lies (partly) outside the data buffer.
    case offsetsOutOfBounds(source: String, tensor: String, begin: Int, end: Int, bufferLength: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(source: String, first: String, second: String)
    /// Part of the data buffer belongs to no tensor.
    case bufferHole(source: String, offset: Int, byteCount: Int)
    /// The `__metadata__` entry is not a map from strings to strings.
    case invalidMetadata(source: String, problem: String)

    // MARK: Querying

    /// No tensor named `name` exists.
    case tensorNotFound(source: String, name: String, available: [String])
    /// The tensor exists but holds a dtype that cannot be returned as the requested type.
    case dtypeMismatch(source: String, name: String, actual: SafeTensorsDType, requested: String)
    /// The tensor exists but has a different shape than the caller expects.
    case shapeMismatch(source: String, name: String, actual: [Int], expected: [Int])

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file. Check the path, or train a model first to create a checkpoint."
        case .isDirectory(let path):
            return "\(path): is a folder, not a safetensors file. Pass the path of the .safetensors file inside it."
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)). Check the file's permissions."
        case .directoryMissing(let path, let directory):
            return "\(path): cannot be written because the folder \(directory) does not exist. Create it first (mkdir -p) or choose another output path."
        case .writeFailed(let path, let reason):
            return "\(path): writing failed (\(reason)); no partial file was left. Check that the folder is writable and the disk is not full."
        case .fileTooShort(let source, let byteCount):
            return "\(source): only \(byteCount) bytes, shorter than the 8-byte safetensors header length. The file is truncated or not a safetensors file."
        case .headerTooLarge(let source, let declaredLength, let limit):
            return "\(source): declares a \(declaredLength)-byte header, more than the \(limit)-byte limit. The file is corrupt or not a safetensors file."
        case .headerExceedsFile(let source, let declaredLength, let availableLength):
            return "\(source): declares a \(declaredLength)-byte header but only \(availableLength) bytes follow the length prefix. The file is truncated or not a safetensors file."
        case .headerNotUTF8(let source):
            return "\(source): the header is not valid UTF-8. The file is corrupt or not a safetensors file."
        case .headerNotJSON(let source, let detail):
            return "\(source): the header is not valid JSON (\(detail)). The file is corrupt or not a safetensors file."
        case .headerNotObject(let source):
            return "\(source): the header is JSON but not an object mapping tensor names to entries. The file is corrupt or not a safetensors file."
        case .invalidEntry(let source, let tensor, let problem):
            return "\(source): tensor '\(tensor)': \(problem). The file is corrupt or was written by an incompatible tool."
        case .unsupportedDType(let source, let tensor, let dtype):
            return "\(source): tensor '\(tensor)' has dtype \(dtype), which is not supported (supported: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", "))). Convert the checkpoint to one of these dtypes."
        case .invalidShape(let source, let tensor, let shape, let problem):
            return "\(source): tensor '\(tensor)' has invalid shape \(shape): \(problem). The file is corrupt."
        case .byteLengthMismatch(let source, let tensor, let expectedByteCount, let actualByteCount):
            return "\(source): tensor '\(tensor)' spans \(actualByteCount) bytes but its shape and dtype need \(expectedByteCount). The file is corrupt."
        case .offsetsOutOfBounds(let source, let tensor, let begin, let end, let bufferLength):
            return "\(source): tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(bufferLength)-byte data buffer. The file is truncated or corrupt."
        case .overlappingTensors(let source, let first, let second):
            return "\(source): tensors '\(first)' and '\(second)' share bytes in the data buffer. The file is corrupt."
        case .bufferHole(let source, let offset, let byteCount):
            return "\(source): \(byteCount) bytes of the data buffer starting at offset \(offset) belong to no tensor. The file is corrupt or was written by an incompatible tool."
        case .invalidMetadata(let source, let problem):
            return "\(source): __metadata__ \(problem); it must map strings to strings. The file is corrupt or was written by an incompatible tool."
        case .tensorNotFound(let source, let name, let available):
            let listed = available.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
            let more = available.count > 20 ? ", …" : ""
            return "\(source): no tensor named '\(name)' (the file has \(available.count): \(listed)\(more)). The checkpoint was probably written by a different model or version."
        case .dtypeMismatch(let source, let name, let actual, let requested):
            return "\(source): tensor '\(name)' has dtype \(actual.rawValue), which cannot be read as \(requested). The checkpoint was probably written by a different model or version."
        case .shapeMismatch(let source, let name, let actual, let expected):
            return "\(source): tensor '\(name)' has shape \(actual) but \(expected) was expected. The checkpoint was written for a model with different layer sizes; use matching options."
        }
    }

    public var errorDescription: String? { description }
}
