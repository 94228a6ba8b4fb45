import Foundation
import Testing
@testable import SafeTensors

/// A checkpoint exercising every writable dtype, a scalar, an empty tensor and awkward metadata.
private func sampleCheckpoint() -> SafeTensorsFile {
    SafeTensorsFile(
        tensors: [
            NamedTensor(name: "encoder.fc1.weight", shape: [2, 3], floats: [1, -2.5, 3.25, .infinity, -0.0, 0x1p-140]),
            NamedTensor(name: "encoder.fc1.bias", shape: [3], floats: [0.1, 0.2, 0.3]),
            NamedTensor(name: "optimizer.learning_rate", shape: [], doubles: [1e-3]),
            NamedTensor(name: "optimizer.step", shape: [1], int64s: [123_456_789_012]),
            NamedTensor(name: "rng.state", shape: [4], uint64s: [0, 1, UInt64.max, 0x9E37_79B9_7F4A_7C15]),
            NamedTensor(name: "half", shape: [2], values: .float16Bits([0x3C00, 0xC000])),
            NamedTensor(name: "brain", shape: [1], values: .bfloat16Bits([0x3F80])),
            NamedTensor(name: "counts", shape: [2], values: .int32([-7, Int32.max])),
            NamedTensor(name: "labels", shape: [3], values: .uint8([0, 9, 255])),
            NamedTensor(name: "empty", shape: [0, 5], floats: []),
        ],
        metadata: ["format": "pt", "epoch": "10", "note": "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcödé"])
}

@Test func roundTripThroughBytesKeepsEverything() throws {
    let original = sampleCheckpoint()
    let bytes = original.encoded()
    let decoded = try SafeTensorsFile(data: bytes, sourceName: "memory")

    #expect(Set(decoded.names) == Set(original.names))
    #expect(decoded.names.count == original.names.count)
    for tensor in original.tensors {
        let readBack = try decoded.tensor(named: tensor.name)
        #expect(readBack.shape == tensor.shape, "shape of \(tensor.name)")
        #expect(readBack.dtype == tensor.dtype, "dtype of \(tensor.name)")
        #expect(readBack.values == tensor.values, "values of \(tensor.name)")
    }
    #expect(decoded.metadata == original.metadata)
    #expect(decoded.encoded() == bytes, "re-encoding must reproduce the bytes exactly")
}

@Test func roundTripThroughFileKeepsEverything() throws {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("model.safetensors")
    let original = sampleCheckpoint()
    try original.write(to: url)
    let decoded = try SafeTensorsFile(contentsOf: url)
    #expect(decoded.sourceName == url.path)
    #expect(try Data(contentsOf: url) == original.encoded())
    #expect(decoded.encoded() == original.encoded())
    #expect(try decoded.uint64Values(named: "rng.state") == [0, 1, UInt64.max, 0x9E37_79B9_7F4A_7C15])
    #expect(try decoded.int64Values(named: "optimizer.step", expectedShape: [1]) == [123_456_789_012])
    #expect(try decoded.doubleValues(named: "optimizer.learning_rate", expectedShape: []) == [1e-3])
    // Writing again replaces the file and leaves no temporary files behind.
    try original.write(to: url)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
}

@Test func signedZeroAndSubnormalSurviveBitForBit() throws {
    let decoded = try SafeTensorsFile(data: sampleCheckpoint().encoded())
    let weights = try decoded.floatValues(named: "encoder.fc1.weight")
    #expect(weights[4].bitPattern == (-0.0 as Float).bitPattern)
    #expect(weights[5].bitPattern == Float(0x1p-140).bitPattern)
}

@Test func encodingIgnoresInsertionOrder() {
    let tensors = sampleCheckpoint().tensors
    let forward = SafeTensorsFile(tensors: tensors, metadata: ["a": "1", "b": "2"])
    let backward = SafeTensorsFile(tensors: tensors.reversed(), metadata: ["b": "2", "a": "1"])
    #expect(forward.encoded() == backward.encoded())
}

@Test func emptyCheckpointRoundTrips() throws {
    let empty = SafeTensorsFile()
    let bytes = empty.encoded()
    #expect(bytes.count == 16, "8-byte prefix + \"{}\" padded to 8")
    let decoded = try SafeTensorsFile(data: bytes)
    #expect(decoded.names.isEmpty)
    #expect(decoded.metadata.isEmpty)
}

@Test func headerLayoutMatchesTheFormatByHand() throws {
    let file = SafeTensorsFile(
        tensors: [
            NamedTensor(name: "b", shape: [3], values: .uint8([7, 8, 9])),
            NamedTensor(name: "a", shape: [2], floats: [1.5, -2]),
            NamedTensor(name: "c", shape: [1], int64s: [-1]),
        ],
        metadata: ["format": "pt"])
    let bytes = [UInt8](file.encoded())

    var headerLength: UInt64 = 0
    for index in 0 ..< 8 { headerLength |= UInt64(bytes[index]) << (8 * UInt64(index)) }
    let length = Int(headerLength)
    #expect(length % 8 == 0)
    #expect((8 + length) % 8 == 0)

    let headerBytes = Array(bytes[8 ..< 8 + length])
    let headerText = try #require(String(bytes: headerBytes, encoding: .utf8))
    #expect(headerText.hasPrefix("{\""))
    let closingBrace = try #require(headerText.lastIndex(of: "}"))
    let trimmed = String(headerText[...closingBrace])
    let padding = headerText[headerText.index(after: closingBrace)...]
    #expect(padding.allSatisfy { $0 == " " }, "padding must be spaces")
    #expect(padding.count < 8)
    #expect(!trimmed.contains(" "), "compact JSON has no spaces")
    // Sorted keys, largest elements first in the buffer: c (I64) at 0, a (F32) at 8, b (U8) at 16.
    #expect(trimmed == #"{"__metadata__":{"format":"pt"},"a":{"data_offsets":[8,16],"dtype":"F32","shape":[2]},"b":{"data_offsets":[16,19],"dtype":"U8","shape":[3]},"c":{"data_offsets":[0,8],"dtype":"I64","shape":[1]}}"#)

    let json = try #require(try JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any])
    #expect(Set(json.keys) == ["__metadata__", "a", "b", "c"])
    let entryA = try #require(json["a"] as? [String: Any])
    #expect(entryA["dtype"] as? String == "F32")
    #expect(entryA["shape"] as? [Int] == [2])
    #expect(entryA["data_offsets"] as? [Int] == [8, 16])
    #expect(json["__metadata__"] as? [String: String] == ["format": "pt"])

    let buffer = Array(bytes[(8 + length)...])
    #expect(buffer.count == 19)
    #expect(Array(buffer[0 ..< 8]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    #expect(Array(buffer[8 ..< 16]) == littleEndianFloatBytes([1.5, -2]))
    #expect(Array(buffer[8 ..< 12]) == [0x00, 0x00, 0xC0, 0x3F], "1.5 is 0x3FC00000, little-endian")
    #expect(Array(buffer[16 ..< 19]) == [7, 8, 9])
}

@Test func readerAcceptsForeignLayoutAndOrdersByOffset() throws {
    // Python-style file: metadata null, extra whitespace, tensors in a different buffer order.
    let header = #"{ "__metadata__": null, "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "y": {"dtype":"F32","shape":[],"data_offsets":[0,4]} }"#
    let data = handMadeFile(header: header, buffer: littleEndianFloatBytes([2, 3]))
    let file = try SafeTensorsFile(data: data)
    #expect(file.names == ["y", "x"])
    #expect(try file.floatValues(named: "x") == [3])
    #expect(try file.floatValues(named: "y", expectedShape: []) == [2])
    #expect(file.metadata.isEmpty)
}

@Test func bufferLayoutFollowsTheReferenceDTypeOrderThenName() throws {
    let decoded = try SafeTensorsFile(data: sampleCheckpoint().encoded())
    // Reading returns tensors in buffer order.
    #expect(decoded.names == [
        "rng.state", "optimizer.step", "optimizer.learning_rate",
        "empty", "encoder.fc1.bias", "encoder.fc1.weight",
        "counts", "brain", "half", "labels",
    ])
}

@Test func everyTensorStartsAlignedToItsElementSize() throws {
    let bytes = sampleCheckpoint().encoded()
    let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8 ..< 8 + headerLength)) as? [String: Any])
    let sizes = ["F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "U8": 1]
    var checked = 0
    for (name, entry) in header where name != "__metadata__" {
        let fields = try #require(entry as? [String: Any])
        let begin = try #require((fields["data_offsets"] as? [Int])?.first)
        let size = try #require(sizes[fields["dtype"] as? String ?? ""])
        #expect((8 + headerLength + begin) % size == 0, "\(name) starts at \(begin)")
        checked += 1
    }
    #expect(checked == 10)
}
