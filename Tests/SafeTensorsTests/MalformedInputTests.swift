import Foundation
import Testing
@testable import SafeTensors

/// A one-tensor header with the given entry body for tensor "w".
private func singleEntry(_ body: String) -> String { #"{"w":"# + body + "}" }

@Test(arguments: [0, 1, 7])
func dataShorterThanEightBytesIsRefused(byteCount: Int) {
    let error = readingError(Data(repeating: 0, count: byteCount))
    #expect(error == .fileTooShort(source: "bad.safetensors", byteCount: byteCount))
}

@Test func headerLongerThanTheFileIsRefused() {
    let data = handMadeFile(header: "{}", declaredLength: 3)
    #expect(readingError(data) == .headerExceedsFile(source: "bad.safetensors", declaredLength: 3, availableLength: 2))
}

@Test func absurdlyLargeHeaderIsRefusedBeforeLookingFurther() {
    let data = handMadeFile(header: "{}", declaredLength: 100_000_001)
    #expect(readingError(data) == .headerTooLarge(source: "bad.safetensors", declaredLength: 100_000_001, limit: 100_000_000))
    let huge = handMadeFile(header: "{}", declaredLength: UInt64.max)
    #expect(readingError(huge) == .headerTooLarge(source: "bad.safetensors", declaredLength: UInt64.max, limit: 100_000_000))
}

@Test func headerThatIsNotUTF8IsRefused() {
    let data = handMadeFile(headerBytes: [UInt8(ascii: "{"), 0xFF, 0xFE, UInt8(ascii: "}")])
    #expect(readingError(data) == .headerNotUTF8(source: "bad.safetensors"))
}

@Test(arguments: ["", "{not json}", #"{"w": {"dtype": "F32""#, "        "])
func headerThatIsNotJSONIsRefused(header: String) throws {
    let error = try #require(readingError(handMadeFile(header: header)))
    guard case .headerNotJSON(let source, _) = error else {
        Issue.record("expected headerNotJSON, got \(error)")
        return
    }
    #expect(source == "bad.safetensors")
}

@Test(arguments: ["[]", "42", #""text""#, "null"])
func headerThatIsNotAnObjectIsRefused(header: String) {
    #expect(readingError(handMadeFile(header: header)) == .headerNotObject(source: "bad.safetensors"))
}

/// Expects an `invalidEntry` error for tensor "w" whose problem mentions `fragment`.
private func expectInvalidEntry(_ header: String, mentioning fragment: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    let error = readingError(handMadeFile(header: header, buffer: [0, 0, 0, 0]))
    guard case .invalidEntry(let source, let tensor, let problem)? = error else {
        Issue.record("expected invalidEntry, got \(String(describing: error))", sourceLocation: sourceLocation)
        return
    }
    #expect(source == "bad.safetensors", sourceLocation: sourceLocation)
    #expect(tensor == "w", sourceLocation: sourceLocation)
    #expect(problem.contains(fragment), "problem was: \(problem)", sourceLocation: sourceLocation)
}

@Test func entriesMissingAFieldAreRefused() {
    expectInvalidEntry(singleEntry(#"{"shape":[1],"data_offsets":[0,4]}"#), mentioning: #"no "dtype""#)
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","data_offsets":[0,4]}"#), mentioning: #"no "shape""#)
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":[1]}"#), mentioning: #"no "data_offsets""#)
}

@Test func entriesWithWrongJSONTypesAreRefused() {
    expectInvalidEntry(singleEntry("[1, 2]"), mentioning: "not an object")
    expectInvalidEntry(singleEntry(#"{"dtype":32,"shape":[1],"data_offsets":[0,4]}"#), mentioning: #""dtype" is a number"#)
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":"1","data_offsets":[0,4]}"#), mentioning: #""shape" is a string"#)
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}"#), mentioning: "not a 64-bit integer")
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":[true],"data_offsets":[0,4]}"#), mentioning: "a boolean")
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":{"begin":0}}"#), mentioning: "not an array")
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}"#), mentioning: "3 entries")
    expectInvalidEntry(singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}"#), mentioning: "a string")
}

@Test(arguments: ["C64", "BOOL", "f32", "F8_E4M3", ""])
func unsupportedDTypesAreRefused(dtype: String) {
    let data = handMadeFile(header: singleEntry(#"{"dtype":"\#(dtype)","shape":[1],"data_offsets":[0,4]}"#), buffer: [0, 0, 0, 0])
    #expect(readingError(data) == .unsupportedDType(source: "bad.safetensors", tensor: "w", dtype: dtype))
}

@Test func negativeShapeEntriesAreRefused() throws {
    let data = handMadeFile(header: singleEntry(#"{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,4]}"#), buffer: [0, 0, 0, 0])
    let error = try #require(readingError(data))
    guard case .invalidShape(_, "w", [-1, -4], let problem) = error else {
        Issue.record("expected invalidShape, got \(error)")
        return
    }
    #expect(problem.contains("negative"))
}

@Test(arguments: [[4_611_686_018_427_387_904, 4], [3_037_000_500, 3_037_000_500], [1 << 62]])
func elementCountOverflowIsRefused(shape: [Int]) throws {
    // The last shape fits in Int but its F32 byte size does not.
    let shapeText = shape.map(String.init).joined(separator: ",")
    let data = handMadeFile(header: singleEntry(#"{"dtype":"F32","shape":[\#(shapeText)],"data_offsets":[0,4]}"#), buffer: [0, 0, 0, 0])
    let error = try #require(readingError(data))
    guard case .invalidShape(_, "w", let reportedShape, let problem) = error else {
        Issue.record("expected invalidShape, got \(error)")
        return
    }
    #expect(reportedShape == shape)
    #expect(problem.contains("overflows"))
}

@Test func byteLengthDifferentFromShapeIsRefused() {
    let data = handMadeFile(header: singleEntry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,4]}"#), buffer: [0, 0, 0, 0])
    #expect(readingError(data) == .byteLengthMismatch(source: "bad.safetensors", tensor: "w", expectedByteCount: 8, actualByteCount: 4))
}

@Test func offsetsOutsideTheBufferAreRefused() {
    let pastEnd = handMadeFile(header: singleEntry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#), buffer: [0, 0, 0, 0])
    #expect(readingError(pastEnd) == .offsetsOutOfBounds(source: "bad.safetensors", tensor: "w", begin: 0, end: 8, bufferLength: 4))
    let reversed = handMadeFile(header: singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":[4,0]}"#), buffer: [0, 0, 0, 0])
    #expect(readingError(reversed) == .offsetsOutOfBounds(source: "bad.safetensors", tensor: "w", begin: 4, end: 0, bufferLength: 4))
    let negative = handMadeFile(header: singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#), buffer: [0, 0, 0, 0])
    #expect(readingError(negative) == .offsetsOutOfBounds(source: "bad.safetensors", tensor: "w", begin: -4, end: 0, bufferLength: 4))
}

@Test func overlappingTensorsAreRefused() {
    let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
    let data = handMadeFile(header: header, buffer: [UInt8](repeating: 0, count: 12))
    #expect(readingError(data) == .overlappingTensors(source: "bad.safetensors", first: "a", second: "b"))
    let sameBytes = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#
    #expect(readingError(handMadeFile(header: sameBytes, buffer: [0, 0, 0, 0])) == .overlappingTensors(source: "bad.safetensors", first: "a", second: "b"))
}

@Test func holesInTheBufferAreRefused() {
    let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    #expect(readingError(handMadeFile(header: gap, buffer: [UInt8](repeating: 0, count: 12)))
            == .bufferHole(source: "bad.safetensors", offset: 4, byteCount: 4))
    let leading = singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#)
    #expect(readingError(handMadeFile(header: leading, buffer: [UInt8](repeating: 0, count: 8)))
            == .bufferHole(source: "bad.safetensors", offset: 0, byteCount: 4))
    let trailing = singleEntry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#)
    #expect(readingError(handMadeFile(header: trailing, buffer: [UInt8](repeating: 0, count: 6)))
            == .bufferHole(source: "bad.safetensors", offset: 4, byteCount: 2))
    #expect(readingError(handMadeFile(header: "{}", buffer: [1]))
            == .bufferHole(source: "bad.safetensors", offset: 0, byteCount: 1))
}

@Test(arguments: [
    (#"{"__metadata__":"pt"}"#, "is a string"),
    (#"{"__metadata__":["a","b"]}"#, "is an array"),
    (#"{"__metadata__":{"epoch":10}}"#, "'epoch'"),
    (#"{"__metadata__":{"nested":{"a":"b"}}}"#, "'nested'"),
])
func metadataThatIsNotAStringMapIsRefused(header: String, fragment: String) throws {
    let error = try #require(readingError(handMadeFile(header: header)))
    guard case .invalidMetadata("bad.safetensors", let problem) = error else {
        Issue.record("expected invalidMetadata, got \(error)")
        return
    }
    #expect(problem.contains(fragment), "problem was: \(problem)")
}

@Test func errorDescriptionsNameTheSourceAndTheRemedy() {
    let error = SafeTensorsError.bufferHole(source: "runs/model.safetensors", offset: 4, byteCount: 2)
    #expect(error.description.contains("runs/model.safetensors"))
    #expect(error.description.contains("corrupt"))
    #expect(error.localizedDescription == error.description)
}

// MARK: Files and folders

@Test func missingFileIsRefusedWithItsPath() throws {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("absent.safetensors")
    #expect(throws: SafeTensorsError.fileNotFound(path: url.path)) { try SafeTensorsFile(contentsOf: url) }
}

@Test func folderIsRefusedWhenReadingAndWriting() throws {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(throws: SafeTensorsError.isDirectory(path: folder.path)) { try SafeTensorsFile(contentsOf: folder) }
    #expect(throws: SafeTensorsError.isDirectory(path: folder.path)) { try SafeTensorsFile().write(to: folder) }
}

@Test func truncatedFileOnDiskIsRefusedWithItsPath() throws {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("cut.safetensors")
    let full = SafeTensorsFile(tensors: [NamedTensor(name: "w", shape: [4], floats: [1, 2, 3, 4])]).encoded()
    try full.prefix(full.count - 3).write(to: url)
    let error = try #require(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: url) }
    guard case .offsetsOutOfBounds(url.path, "w", 0, 16, 13) = error else {
        Issue.record("expected offsetsOutOfBounds for the cut file, got \(error)")
        return
    }
}

@Test func writingIntoMissingFolderThrowsAndLeavesNothing() throws {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = folder.appendingPathComponent("no-such-folder", isDirectory: true)
    let url = missing.appendingPathComponent("model.safetensors")
    let file = SafeTensorsFile(tensors: [NamedTensor(name: "w", shape: [1], floats: [1])])
    #expect(throws: SafeTensorsError.directoryMissing(path: url.path, directory: missing.path)) { try file.write(to: url) }
    #expect(!FileManager.default.fileExists(atPath: missing.path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
}

@Test func writingBelowARegularFileThrows() throws {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let notAFolder = folder.appendingPathComponent("plain.txt")
    try Data("x".utf8).write(to: notAFolder)
    let url = notAFolder.appendingPathComponent("model.safetensors")
    #expect(throws: SafeTensorsError.directoryMissing(path: url.path, directory: notAFolder.path)) {
        try SafeTensorsFile().write(to: url)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["plain.txt"])
}
