import FileErrors
import Foundation

/// A safetensors checkpoint in memory: named tensors plus string metadata.
///
/// File layout (the format PyTorch, JAX and MLX read): an 8-byte little-endian `UInt64` header
/// length `N`; `N` bytes of UTF-8 JSON mapping each tensor name to
/// `{"data_offsets":[begin,end],"dtype":"F32","shape":[...]}` plus an optional `"__metadata__"`
/// string→string map; then the data buffer holding every tensor contiguously, little-endian,
/// row-major.
///
/// Output is deterministic — the same tensors and metadata always encode to the same bytes,
/// whatever order the tensors were added in:
/// - tensors are laid out in the buffer in the reference library's order: by dtype
///   (U64, I64, F64, F32, I32, BF16, F16, U8), then by name (UTF-8 byte order); so the buffer
///   matches what the Python `safetensors` package writes for the same tensors, and every tensor
///   is aligned to its element size;
/// - the JSON has no whitespace and all keys (tensor names, entry fields, metadata keys) sorted by
///   UTF-8 bytes; `"__metadata__"` is omitted when the metadata is empty;
/// - the header is padded with spaces to a multiple of 8 bytes.
///
/// In memory, ``tensors`` keeps the order tensors were added in (or, for a file that was read,
/// the order of their data in the buffer).
public struct SafeTensorsFile: Sendable, Equatable {
    /// The reserved header key holding the string→string metadata.
    public static let metadataKey = "__metadata__"
    /// Largest header accepted when reading, in bytes (the same limit as the reference library).
    public static let maximumHeaderLength = 100_000_000

    /// The tensors, in insertion order (or buffer order for a file that was read).
    public private(set) var tensors: [NamedTensor]
    /// Free-form string metadata, e.g. `["format": "pt", "epoch": "10"]`.
    public var metadata: [String: String]
    /// Where the checkpoint came from (a path, or a caller-chosen label); used in error messages.
    public var sourceName: String

    private var indexByName: [String: Int]

    /// Creates a checkpoint from tensors and metadata.
    ///
    /// - Parameters:
    ///   - tensors: tensors with distinct names; default none.
    ///   - metadata: string metadata; default empty.
    ///   - sourceName: label used in error messages; default `"in-memory checkpoint"`.
    /// - Precondition: tensor names are distinct.
    public init(tensors: [NamedTensor] = [], metadata: [String: String] = [:],
                sourceName: String = "in-memory checkpoint") {
        self.tensors = []
        self.metadata = metadata
        self.sourceName = sourceName
        self.indexByName = [:]
        for tensor in tensors { append(tensor) }
    }

    /// Adds a tensor at the end of ``tensors``.
    /// - Parameter tensor: a tensor whose name is not in the checkpoint yet.
    /// - Precondition: no tensor with the same name exists.
    public mutating func append(_ tensor: NamedTensor) {
        precondition(indexByName[tensor.name] == nil, "duplicate tensor name '\(tensor.name)'")
        indexByName[tensor.name] = tensors.count
        tensors.append(tensor)
    }

    /// Two checkpoints are equal when they hold the same tensors in the same order and the same
    /// metadata; ``sourceName`` is ignored. F32/F64 values compare numerically (so NaN ≠ NaN).
    public static func == (left: SafeTensorsFile, right: SafeTensorsFile) -> Bool {
        left.tensors == right.tensors && left.metadata == right.metadata
    }

    // MARK: Accessors

    /// Tensor names in ``tensors`` order.
    public var names: [String] { tensors.map(\.name) }

    /// Whether a tensor with this name exists.
    /// - Parameter name: the tensor's key.
    public func contains(tensorNamed name: String) -> Bool {
        indexByName[name] != nil
    }

    /// Returns the tensor with this name.
    /// - Parameter name: the tensor's key.
    /// - Throws: ``SafeTensorsError/tensorNotFound(source:name:available:)`` if there is none.
    public func tensor(named name: String) throws(SafeTensorsError) -> NamedTensor {
        guard let index = indexByName[name] else {
            throw .tensorNotFound(source: sourceName, name: name, available: names)
        }
        return tensors[index]
    }

    /// Returns a floating-point tensor's values converted to `Float`.
    ///
    /// F32 is returned as is, F16 and BF16 convert exactly, F64 rounds to nearest.
    /// - Parameters:
    ///   - name: the tensor's key.
    ///   - expectedShape: if given, the shape the tensor must have; default `nil` (any shape).
    /// - Returns: flat row-major values, `shape.reduce(1, *)` of them.
    /// - Throws: ``SafeTensorsError`` if the tensor is missing, has an integer dtype, or has
    ///   another shape than `expectedShape`.
    public func floatValues(named name: String, expectedShape: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        let tensor = try checkedTensor(named: name, expectedShape: expectedShape)
        guard let floats = tensor.values.convertedToFloat() else {
            throw .dtypeMismatch(source: sourceName, name: name, actual: tensor.dtype, requested: "Float")
        }
        return floats
    }

    /// Returns a floating-point tensor's values as `Double` (exact for every floating dtype).
    /// - Parameters:
    ///   - name: the tensor's key.
    ///   - expectedShape: if given, the shape the tensor must have; default `nil` (any shape).
    /// - Returns: flat row-major values.
    /// - Throws: ``SafeTensorsError`` if the tensor is missing, has an integer dtype, or has
    ///   another shape than `expectedShape`.
    public func doubleValues(named name: String, expectedShape: [Int]? = nil) throws(SafeTensorsError) -> [Double] {
        let tensor = try checkedTensor(named: name, expectedShape: expectedShape)
        if case .float64(let doubles) = tensor.values { return doubles }
        guard let floats = tensor.values.convertedToFloat() else {
            throw .dtypeMismatch(source: sourceName, name: name, actual: tensor.dtype, requested: "Double")
        }
        return floats.map { Double($0) }
    }

    /// Returns a signed-integer tensor's values as `Int64` (I64 as is; I32 and U8 widened exactly).
    /// - Parameters:
    ///   - name: the tensor's key.
    ///   - expectedShape: if given, the shape the tensor must have; default `nil` (any shape).
    /// - Returns: flat row-major values.
    /// - Throws: ``SafeTensorsError`` if the tensor is missing, is floating-point or U64, or has
    ///   another shape than `expectedShape`.
    public func int64Values(named name: String, expectedShape: [Int]? = nil) throws(SafeTensorsError) -> [Int64] {
        let tensor = try checkedTensor(named: name, expectedShape: expectedShape)
        switch tensor.values {
        case .int64(let values): return values
        case .int32(let values): return values.map { Int64($0) }
        case .uint8(let values): return values.map { Int64($0) }
        default:
            throw .dtypeMismatch(source: sourceName, name: name, actual: tensor.dtype, requested: "Int64")
        }
    }

    /// Returns a 64-bit integer tensor's values as `UInt64`.
    ///
    /// U64 is returned as is; I64 is reinterpreted bit for bit, so generator state words that
    /// another writer stored as I64 bit patterns come back exactly.
    /// - Parameters:
    ///   - name: the tensor's key.
    ///   - expectedShape: if given, the shape the tensor must have; default `nil` (any shape).
    /// - Returns: flat row-major values.
    /// - Throws: ``SafeTensorsError`` if the tensor is missing, is not U64 or I64, or has
    ///   another shape than `expectedShape`.
    public func uint64Values(named name: String, expectedShape: [Int]? = nil) throws(SafeTensorsError) -> [UInt64] {
        let tensor = try checkedTensor(named: name, expectedShape: expectedShape)
        switch tensor.values {
        case .uint64(let values): return values
        case .int64(let values): return values.map { UInt64(bitPattern: $0) }
        default:
            throw .dtypeMismatch(source: sourceName, name: name, actual: tensor.dtype, requested: "UInt64")
        }
    }

    private func checkedTensor(named name: String, expectedShape: [Int]?) throws(SafeTensorsError) -> NamedTensor {
        let tensor = try tensor(named: name)
        if let expectedShape, expectedShape != tensor.shape {
            throw .shapeMismatch(source: sourceName, name: name, actual: tensor.shape, expected: expectedShape)
        }
        return tensor
    }

    // MARK: Writing

    /// Describes one tensor for the header: its name, dtype and shape.
    public struct TensorDescription: Sendable, Equatable {
        public let name: String
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        public init(name: String, dtype: SafeTensorsDType, shape: [Int]) { self.name = name; self.dtype = dtype; self.shape = shape }
        var byteCount: Int { shape.reduce(1, *) * dtype.byteCount }
    }

    /// The header bytes (JSON padded with spaces to a multiple of 8) for tensors laid out in the
    /// given order, one after another from offset 0. Every key is sorted by UTF-8 bytes.
    static func header(for layout: [TensorDescription], metadata: [String: String]) -> [UInt8] {
        var offsets: [String: (begin: Int, end: Int)] = [:]
        var cursor = 0
        for tensor in layout {
            offsets[tensor.name] = (cursor, cursor + tensor.byteCount)
            cursor += tensor.byteCount
        }
        var entries: [(key: String, write: (inout CompactJSONWriter) -> Void)] = []
        for tensor in layout {
            let range = offsets[tensor.name]!
            entries.append((tensor.name, { writer in
                writer.appendRaw("{\"data_offsets\":")
                writer.appendIntegers([range.begin, range.end])
                writer.appendRaw(",\"dtype\":")
                writer.appendString(tensor.dtype.rawValue)
                writer.appendRaw(",\"shape\":")
                writer.appendIntegers(tensor.shape)
                writer.appendRaw("}")
            }))
        }
        if !metadata.isEmpty {
            let sortedMetadata = metadata.sorted { utf8Precedes($0.key, $1.key) }
            entries.append((Self.metadataKey, { writer in
                writer.appendRaw("{")
                for (position, pair) in sortedMetadata.enumerated() {
                    if position > 0 { writer.appendRaw(",") }
                    writer.appendString(pair.key)
                    writer.appendRaw(":")
                    writer.appendString(pair.value)
                }
                writer.appendRaw("}")
            }))
        }
        entries.sort { utf8Precedes($0.key, $1.key) }
        var writer = CompactJSONWriter()
        writer.appendRaw("{")
        for (position, entry) in entries.enumerated() {
            if position > 0 { writer.appendRaw(",") }
            writer.appendString(entry.key)
            writer.appendRaw(":")
            entry.write(&writer)
        }
        writer.appendRaw("}")
        var header = Array(writer.text.utf8)
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return header
    }

    /// The tensors in the order their data is laid out in an encoded file:
    /// dtype in the reference library's order, then name by UTF-8 bytes.
    var tensorsInLayoutOrder: [NamedTensor] {
        tensors.sorted { left, right in
            if left.dtype.layoutRank != right.dtype.layoutRank {
                return left.dtype.layoutRank < right.dtype.layoutRank
            }
            return utf8Precedes(left.name, right.name)
        }
    }

    /// Encodes the checkpoint as safetensors bytes (deterministic; see the type's documentation).
    /// - Returns: the complete file contents.
    public func encoded() -> Data {
        let layout = tensorsInLayoutOrder
        let header = SafeTensorsFile.header(for: layout.map { TensorDescription(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
                                            metadata: metadata)
        let bufferLength = layout.reduce(0) { $0 + $1.elementCount * $1.dtype.byteCount }
        var data = Data()
        data.reserveCapacity(8 + header.count + bufferLength)
        appendLittleEndian([UInt64(header.count)], to: &data)
        data.append(contentsOf: header)
        for tensor in layout {
            switch tensor.values {
            case .float32(let values): appendLittleEndian(values.map(\.bitPattern), to: &data)
            case .float64(let values): appendLittleEndian(values.map(\.bitPattern), to: &data)
            case .float16Bits(let values): appendLittleEndian(values, to: &data)
            case .bfloat16Bits(let values): appendLittleEndian(values, to: &data)
            case .int64(let values): appendLittleEndian(values, to: &data)
            case .int32(let values): appendLittleEndian(values, to: &data)
            case .uint64(let values): appendLittleEndian(values, to: &data)
            case .uint8(let values): data.append(contentsOf: values)
            }
        }
        return data
    }

    /// Writes the checkpoint atomically: the bytes go to a temporary file that is then renamed,
    /// so an interrupted write never leaves a truncated checkpoint at `url`.
    /// - Parameter url: a file URL whose folder exists; an existing file there is replaced.
    /// - Throws: ``SafeTensorsError/directoryMissing(path:directory:)``,
    ///   ``SafeTensorsError/isDirectory(path:)`` or ``SafeTensorsError/writeFailed(path:reason:)``.
    public func write(to url: URL) throws(SafeTensorsError) {
        precondition(url.isFileURL, "safetensors files can only be written to file URLs, not \(url)")
        try checkDestination(url)
        let path = url.path
        do {
            try encoded().write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(path: path, reason: fileErrorReason(error))
        }
    }
}

/// Appends integers as little-endian bytes.
private func appendLittleEndian<Element: FixedWidthInteger>(_ values: [Element], to data: inout Data) {
    #if _endian(little)
    values.withUnsafeBytes { data.append(contentsOf: $0) }
    #else
    values.map(\.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
    #endif
}
