import FileErrors
import Foundation

extension SafeTensorsFile {
    /// Reads and fully validates a safetensors file.
    ///
    /// - Parameter url: a file URL of an existing `.safetensors` file.
    /// - Throws: ``SafeTensorsError`` naming the path: missing file, folder instead of file,
    ///   unreadable file, or any malformation listed in ``init(data:sourceName:)``.
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        precondition(url.isFileURL, "safetensors files can only be read from file URLs, not \(url)")
        let path = url.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .fileNotFound(path: path)
        }
        if isFolder.boolValue { throw .isDirectory(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: path, reason: fileErrorReason(error))
        }
        try self.init(data: data, sourceName: path)
    }

    /// Parses and fully validates safetensors bytes before trusting any of them.
    ///
    /// Refuses data shorter than 8 bytes; a header length over ``maximumHeaderLength`` or past the
    /// end of the data; a header that is not UTF-8, not JSON, or not a JSON object; entries missing
    /// `dtype`/`shape`/`data_offsets` or with wrong JSON types; unsupported dtypes; negative shape
    /// entries or element counts that overflow; byte ranges whose length differs from the shape's
    /// element count × dtype size; ranges outside the buffer, overlapping, or leaving holes; and
    /// metadata that is not a string→string map (`null` counts as empty).
    ///
    /// - Parameters:
    ///   - data: the complete file contents.
    ///   - sourceName: label used in error messages, e.g. the path; default `"in-memory checkpoint"`.
    /// - Throws: ``SafeTensorsError`` describing the first problem found.
    public init(data: Data, sourceName: String = "in-memory checkpoint") throws(SafeTensorsError) {
        let source = sourceName
        // `Data.withUnsafeBytes` only rethrows untyped errors, so carry the typed one out in a Result.
        let parsed = data.withUnsafeBytes { bytes in
            Result { () throws(SafeTensorsError) in try parseSafeTensors(bytes, source: source) }
        }
        let (tensors, metadata) = try parsed.get()
        self.init(tensors: tensors, metadata: metadata, sourceName: sourceName)
    }
}

/// One validated header entry.
private struct HeaderEntry {
    var name: String
    var dtype: SafeTensorsDType
    var shape: [Int]
    var elementCount: Int
    var begin: Int
    var end: Int
}

private func parseSafeTensors(_ bytes: UnsafeRawBufferPointer, source: String)
    throws(SafeTensorsError) -> (tensors: [NamedTensor], metadata: [String: String]) {
    guard bytes.count >= 8 else {
        throw .fileTooShort(source: source, byteCount: bytes.count)
    }
    let declaredLength = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
    guard declaredLength <= UInt64(SafeTensorsFile.maximumHeaderLength) else {
        throw .headerTooLarge(source: source, declaredLength: declaredLength, limit: SafeTensorsFile.maximumHeaderLength)
    }
    guard declaredLength <= UInt64(bytes.count - 8) else {
        throw .headerExceedsFile(source: source, declaredLength: declaredLength, availableLength: bytes.count - 8)
    }
    let headerLength = Int(declaredLength)
    let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8 ..< 8 + headerLength])
    guard String(validating: headerBytes, as: UTF8.self) != nil else {
        throw .headerNotUTF8(source: source)
    }
    let root: JSONValue
    do {
        root = try JSONParser.parse(headerBytes)
    } catch {
        throw .headerNotJSON(source: source, detail: error.description)
    }
    guard case .object(let object) = root else {
        throw .headerNotObject(source: source)
    }

    let bufferStart = 8 + headerLength
    let bufferLength = bytes.count - bufferStart
    let metadata = try parseMetadata(object[SafeTensorsFile.metadataKey], source: source)

    var entries: [HeaderEntry] = []
    for name in object.keys.sorted(by: utf8Precedes) where name != SafeTensorsFile.metadataKey {
        entries.append(try parseEntry(name: name, value: object[name]!, bufferLength: bufferLength, source: source))
    }

    // The ranges must tile the buffer exactly: sorted by start, each begins where the previous ended.
    entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    var cursor = 0
    var previousName: String?
    for entry in entries {
        if entry.begin < cursor, let previousName {
            throw .overlappingTensors(source: source, first: previousName, second: entry.name)
        }
        if entry.begin > cursor {
            throw .bufferHole(source: source, offset: cursor, byteCount: entry.begin - cursor)
        }
        cursor = entry.end
        previousName = entry.name
    }
    if cursor < bufferLength {
        throw .bufferHole(source: source, offset: cursor, byteCount: bufferLength - cursor)
    }

    let buffer = UnsafeRawBufferPointer(rebasing: bytes[bufferStart...])
    let tensors = entries.map { entry in
        let start = entry.begin
        let count = entry.elementCount
        let values: TensorValues
        switch entry.dtype {
        #if _endian(little)
        // IEEE values stored little-endian are the host's own bytes: one copy, no per-element pass.
        case .float32: values = .float32(copyElements(Float.self, buffer, start, count))
        case .float64: values = .float64(copyElements(Double.self, buffer, start, count))
        #else
        case .float32: values = .float32(loadLittleEndian(UInt32.self, buffer, start, count).map(Float.init(bitPattern:)))
        case .float64: values = .float64(loadLittleEndian(UInt64.self, buffer, start, count).map(Double.init(bitPattern:)))
        #endif
        case .float16: values = .float16Bits(loadLittleEndian(UInt16.self, buffer, start, count))
        case .bfloat16: values = .bfloat16Bits(loadLittleEndian(UInt16.self, buffer, start, count))
        case .int64: values = .int64(loadLittleEndian(Int64.self, buffer, start, count))
        case .int32: values = .int32(loadLittleEndian(Int32.self, buffer, start, count))
        case .uint64: values = .uint64(loadLittleEndian(UInt64.self, buffer, start, count))
        case .uint8: values = .uint8(loadLittleEndian(UInt8.self, buffer, start, count))
        }
        return NamedTensor(name: entry.name, shape: entry.shape, values: values)
    }
    return (tensors, metadata)
}

private func parseMetadata(_ value: JSONValue?, source: String) throws(SafeTensorsError) -> [String: String] {
    switch value {
    case nil, .null?:
        return [:]
    case .object(let object)?:
        var metadata: [String: String] = [:]
        for (key, entry) in object {
            guard case .string(let string) = entry else {
                throw .invalidMetadata(source: source, problem: "has key '\(key)' whose value is \(entry.typeName), not a string")
            }
            metadata[key] = string
        }
        return metadata
    case let other?:
        throw .invalidMetadata(source: source, problem: "is \(other.typeName), not an object")
    }
}

private func parseEntry(name: String, value: JSONValue, bufferLength: Int, source: String)
    throws(SafeTensorsError) -> HeaderEntry {
    guard case .object(let fields) = value else {
        throw .invalidEntry(source: source, tensor: name, problem: "the entry is \(value.typeName), not an object")
    }
    func field(_ key: String) throws(SafeTensorsError) -> JSONValue {
        guard let value = fields[key] else {
            throw .invalidEntry(source: source, tensor: name, problem: "the entry has no \"\(key)\" field")
        }
        return value
    }
    func integers(_ key: String) throws(SafeTensorsError) -> [Int] {
        guard case .array(let elements) = try field(key) else {
            throw .invalidEntry(source: source, tensor: name, problem: "\"\(key)\" is \(try field(key).typeName), not an array")
        }
        var result: [Int] = []
        for element in elements {
            guard case .integer(let integer) = element else {
                throw .invalidEntry(source: source, tensor: name, problem: "\"\(key)\" contains \(element.typeName) that is not a 64-bit integer")
            }
            result.append(integer)
        }
        return result
    }

    guard case .string(let dtypeName) = try field("dtype") else {
        throw .invalidEntry(source: source, tensor: name, problem: "\"dtype\" is \(try field("dtype").typeName), not a string")
    }
    let shape = try integers("shape")
    let offsets = try integers("data_offsets")
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
        throw .unsupportedDType(source: source, tensor: name, dtype: dtypeName)
    }
    if let negative = shape.first(where: { $0 < 0 }) {
        throw .invalidShape(source: source, tensor: name, shape: shape, problem: "dimension \(negative) is negative")
    }
    var elementCount = 1
    for dimension in shape {
        let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
        if overflow {
            throw .invalidShape(source: source, tensor: name, shape: shape, problem: "the element count overflows a 64-bit integer")
        }
        elementCount = product
    }
    let (expectedByteCount, byteOverflow) = elementCount.multipliedReportingOverflow(by: dtype.byteCount)
    if byteOverflow {
        throw .invalidShape(source: source, tensor: name, shape: shape, problem: "the byte size overflows a 64-bit integer")
    }
    guard offsets.count == 2 else {
        throw .invalidEntry(source: source, tensor: name, problem: "\"data_offsets\" has \(offsets.count) entries, not 2 ([begin, end])")
    }
    let begin = offsets[0], end = offsets[1]
    guard begin >= 0, begin <= end, end <= bufferLength else {
        throw .offsetsOutOfBounds(source: source, tensor: name, begin: begin, end: end, bufferLength: bufferLength)
    }
    guard end - begin == expectedByteCount else {
        throw .byteLengthMismatch(source: source, tensor: name, expectedByteCount: expectedByteCount, actualByteCount: end - begin)
    }
    return HeaderEntry(name: name, dtype: dtype, shape: shape, elementCount: elementCount, begin: begin, end: end)
}

/// Copies `count` little-endian elements starting at byte `offset` of `buffer` (bounds already checked).
private func loadLittleEndian<Element: FixedWidthInteger & BitwiseCopyable>(
    _ type: Element.Type, _ buffer: UnsafeRawBufferPointer, _ offset: Int, _ count: Int
) -> [Element] {
    let elements = copyElements(type, buffer, offset, count)
    #if _endian(little)
    return elements
    #else
    return elements.map { Element(littleEndian: $0) }
    #endif
}

/// The bytes of `count` elements starting at byte `offset` of `buffer`, copied as they are.
private func copyElements<Element: BitwiseCopyable>(
    _ type: Element.Type, _ buffer: UnsafeRawBufferPointer, _ offset: Int, _ count: Int
) -> [Element] {
    guard count > 0 else { return [] }
    let byteCount = count * MemoryLayout<Element>.stride
    return [Element](unsafeUninitializedCapacity: count) { destination, initializedCount in
        UnsafeMutableRawBufferPointer(destination).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: buffer[offset ..< offset + byteCount]))
        initializedCount = count
    }
}
