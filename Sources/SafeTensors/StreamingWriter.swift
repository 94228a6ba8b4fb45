import FileErrors
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SafeTensorsFile {
    /// One tensor's bytes for `write(tensors:metadata:to:)`: little-endian, row-major, exactly
    /// (product of shape) × (dtype size) bytes, either in memory the caller keeps alive during the call or
    /// made by a closure when the writer reaches the tensor (a weight stored transposed, say), so that no
    /// copy of every tensor is held at once.
    public struct TensorBytes {
        public let description: TensorDescription
        let source: Source

        enum Source {
            case buffer(UnsafeRawBufferPointer)
            case made((UnsafeMutableRawBufferPointer) -> Void)
        }

        /// A tensor whose bytes are in `bytes`.
        public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) {
            description = TensorDescription(name: name, dtype: dtype, shape: shape)
            source = .buffer(bytes)
            precondition(bytes.count == description.byteCount,
                         "TensorBytes \(name): \(bytes.count) bytes for shape \(shape) of \(dtype.rawValue)")
        }

        /// A tensor whose bytes `make` writes, when the writer reaches it, into a buffer of exactly the
        /// tensor's byte count (aligned for any element type; reused for the next such tensor).
        public init(name: String, dtype: SafeTensorsDType, shape: [Int],
                    make: @escaping (UnsafeMutableRawBufferPointer) -> Void) {
            description = TensorDescription(name: name, dtype: dtype, shape: shape)
            source = .made(make)
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
        // One buffer, as large as the largest made tensor, serves them all in turn.
        let scratchBytes = layout.reduce(0) { largest, tensor in
            if case .made = tensor.source { return max(largest, tensor.description.byteCount) }
            return largest
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchBytes, alignment: 64)
        defer { scratch.deallocate() }
        for tensor in layout where failure == nil && tensor.description.byteCount > 0 {
            switch tensor.source {
            case .buffer(let bytes):
                failure = writeAll(bytes, to: descriptor)
            case .made(let make):
                let bytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<tensor.description.byteCount])
                make(bytes)
                failure = writeAll(UnsafeRawBufferPointer(bytes), to: descriptor)
            }
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
