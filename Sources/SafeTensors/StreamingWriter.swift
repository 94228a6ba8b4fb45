import FileErrors
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SafeTensorsFile {
    /// One tensor's bytes for `write(tensors:metadata:to:)`: little-endian, row-major,
    /// exactly (product of shape) × (dtype size) bytes, in memory the caller keeps alive during the call.
    public struct TensorBytes {
        public let description: TensorDescription
        public let bytes: UnsafeRawBufferPointer

        public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) {
            description = TensorDescription(name: name, dtype: dtype, shape: shape)
            self.bytes = bytes
            precondition(bytes.count == description.byteCount,
                         "TensorBytes \(name): \(bytes.count) bytes for shape \(shape) of \(dtype.rawValue)")
        }
    }

    /// Writes a safetensors file straight from the callers' buffers, without copying any tensor:
    /// the same bytes `encoded()` gives for the same content (same layout order and header).
    ///
    /// The file goes to a temporary name in the same folder and is renamed over `url` only when complete,
    /// so an interrupted write never leaves a broken file; on failure the temporary file is removed.
    /// - Parameters:
    ///   - tensors: names must be unique.
    ///   - metadata: string pairs for `__metadata__` (left out when empty).
    ///   - url: the destination; its folder must exist.
    public static func write(tensors: [TensorBytes], metadata: [String: String] = [:], to url: URL) throws(SafeTensorsError) {
        precondition(UInt16(1).littleEndian == 1, "streaming safetensors writes need a little-endian host")
        precondition(Set(tensors.map(\.description.name)).count == tensors.count, "tensor names must be unique")
        try checkDestination(url)
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let layout = tensors.sorted { left, right in
            let l = left.description, r = right.description
            if l.dtype.layoutRank != r.dtype.layoutRank { return l.dtype.layoutRank < r.dtype.layoutRank }
            return utf8Precedes(l.name, r.name)
        }
        let header = header(for: layout.map(\.description), metadata: metadata)
        var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        prefix.append(contentsOf: header)

        let temporary = directory + "/." + url.lastPathComponent + ".partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .writeFailed(path: path, reason: fileErrorReason(errno: errno))
        }
        var failure = prefix.withUnsafeBytes { writeAll($0, to: descriptor) }
        for tensor in layout where failure == nil && tensor.bytes.count > 0 {
            failure = writeAll(tensor.bytes, to: descriptor)
        }
        if failure == nil && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == nil { failure = errno }
        if failure == nil && rename(temporary, path) != 0 { failure = errno }
        if let failure {
            unlink(temporary)
            throw .writeFailed(path: path, reason: fileErrorReason(errno: failure))
        }
    }
}

/// Checks that `url`'s folder exists and that `url` is not itself a folder.
func checkDestination(_ url: URL) throws(SafeTensorsError) {
    let path = url.path
    let directory = url.deletingLastPathComponent().path
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
        throw .directoryMissing(path: path, directory: directory)
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
        throw .isDirectory(path: path)
    }
}
