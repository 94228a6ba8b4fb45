import Foundation
@testable import MNISTData

/// Runs `body` with a fresh empty folder under the system temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("mnistdata-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Async variant of `withTemporaryDirectory`.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("mnistdata-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Writes `bytes` to `folder/name` and returns the URL.
@discardableResult
func write(_ bytes: [UInt8], to folder: URL, name: String) throws -> URL {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// A small images IDX file's contents: `count` images of `height`×`width`, pixel = (i + p) % 256.
func imagesIDX(count: Int, height: Int, width: Int) -> IDXArray {
    let n = count * height * width
    var pixels = [UInt8](repeating: 0, count: n)
    for i in 0..<count {
        for p in 0..<(height * width) { pixels[i * height * width + p] = UInt8((i + p) % 256) }
    }
    return IDXArray(uint8Values: pixels, shape: [count, height, width])
}

/// A labels IDX array holding `values`.
func labelsIDX(_ values: [UInt8]) -> IDXArray {
    IDXArray(uint8Values: values, shape: [values.count])
}

/// Writes a standard-layout data folder; `gzip` chooses `.gz` files.
func writeDataFolder(_ folder: URL, trainCount: Int = 6, testCount: Int? = 3, height: Int = 4, width: Int = 5,
                     trainLabels: Bool = true, testLabels: Bool = true, gzip: Bool = true) throws {
    let suffix = gzip ? ".gz" : ""
    func put(_ array: IDXArray, _ name: String) throws {
        let bytes = array.encoded()
        try write(gzip ? gzipCompress(bytes) : bytes, to: folder, name: name + suffix)
    }
    try put(imagesIDX(count: trainCount, height: height, width: width), "train-images-idx3-ubyte")
    if trainLabels { try put(labelsIDX((0..<trainCount).map { UInt8($0 % 10) }), "train-labels-idx1-ubyte") }
    if let testCount {
        try put(imagesIDX(count: testCount, height: height, width: width), "t10k-images-idx3-ubyte")
        if testLabels { try put(labelsIDX((0..<testCount).map { UInt8(($0 + 3) % 10) }), "t10k-labels-idx1-ubyte") }
    }
}

/// Big-endian bytes of a UInt32.
func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}
