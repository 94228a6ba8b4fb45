import Foundation
@testable import SafeTensors

/// Builds safetensors bytes by hand: length prefix, header text (unpadded unless the test pads it), buffer.
/// - Parameters:
///   - header: the header JSON text, written as UTF-8.
///   - buffer: the data buffer after the header; default empty.
///   - declaredLength: the header length to put in the prefix; default the real header length.
func handMadeFile(header: String, buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    handMadeFile(headerBytes: Array(header.utf8), buffer: buffer, declaredLength: declaredLength)
}

/// Builds safetensors bytes by hand from raw header bytes (which need not be UTF-8).
func handMadeFile(headerBytes: [UInt8], buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var data = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: headerBytes)
    data.append(contentsOf: buffer)
    return data
}

/// Little-endian bytes of `Float` values.
func littleEndianFloatBytes(_ floats: [Float]) -> [UInt8] {
    floats.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// Little-endian bytes of 16-bit patterns.
func littleEndianHalfBytes(_ halves: [UInt16]) -> [UInt8] {
    halves.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// The error reading `data` throws, or `nil` if it reads fine.
func readingError(_ data: Data) -> SafeTensorsError? {
    do {
        _ = try SafeTensorsFile(data: data, sourceName: "bad.safetensors")
        return nil
    } catch {
        return error
    }
}

/// A fresh, empty temporary folder; the caller removes it.
func makeTemporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}
