import Foundation
import SafeTensors
import SeededRandom
import Testing
import VAEModel
@testable import VAERun

/// A fresh empty folder under the system temporary directory; `body` runs in it and it is removed after.
func withTemporaryFolder<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vaerun-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// The smallest real model file: 2×2 images (4 inputs), hidden [3], latent 2, with training settings
/// and an epoch count in its metadata, exactly as `vae train` writes them.
enum TinyModel {
    static let configuration = VAEConfiguration(inputSize: 4, hidden: [3], latent: 2, imageHeight: 2, imageWidth: 2)
    static let training = TrainingSettings(dataset: .mnist, dataDescription: "tiny", batchSize: 8, threads: 1, sampleEvery: 0)

    /// The file's bytes.
    static func bytes() throws -> Data {
        var generator = SeededGenerator(seed: 5)
        let model = VAE(configuration: configuration, generator: &generator)
        return try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            try Checkpoint.saveModel(model, to: url,
                                     metadata: RunSettings(model: configuration, training: training).metadata(epochsCompleted: 1))
            return try Data(contentsOf: url)
        }
    }

    /// The parsed file, to change and re-encode.
    static func file() throws -> SafeTensorsFile { try SafeTensorsFile(data: bytes()) }

    /// The file with one metadata JSON entry (`vae_config` or `vae_training`) changed: `key` set to the raw
    /// JSON text `json`, or removed when `json` is nil.
    static func settingJSON(_ entry: String, _ key: String, _ json: String?) throws -> Data {
        var file = try self.file()
        var text = file.metadata[entry] ?? "{}"
        // The writer sorts keys and writes no spaces: "key":value up to the next "," or "}" at depth 0.
        if let range = valueRange(of: key, in: text) {
            if let json {
                text.replaceSubrange(range, with: json)
            } else {
                let keyStart = text.range(of: "\"\(key)\":")!.lowerBound
                var removal = keyStart..<range.upperBound
                if text[range.upperBound] == "," { removal = keyStart..<text.index(after: range.upperBound) }
                else if text[text.index(before: keyStart)] == "," { removal = text.index(before: keyStart)..<range.upperBound }
                text.removeSubrange(removal)
            }
        } else if let json {
            text.insert(contentsOf: "\"\(key)\":\(json),", at: text.index(after: text.startIndex))
        }
        file.metadata[entry] = text
        return file.encoded()
    }

    /// The file with several keys of one metadata JSON entry changed (see `settingJSON`).
    static func settingJSONs(_ entry: String, _ changes: [(key: String, json: String)]) throws -> Data {
        var data = try bytes()
        for change in changes {
            var file = try SafeTensorsFile(data: data)
            var text = try #require(file.metadata[entry])
            let range = try #require(valueRange(of: change.key, in: text), "no \(change.key) in \(entry)")
            text.replaceSubrange(range, with: change.json)
            file.metadata[entry] = text
            data = file.encoded()
        }
        return data
    }

    /// The range of the value of top-level `key` in compact JSON `text`.
    static func valueRange(of key: String, in text: String) -> Range<String.Index>? {
        guard let keyRange = text.range(of: "\"\(key)\":") else { return nil }
        var depth = 0, inString = false, index = keyRange.upperBound
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if character == "\\" { index = text.index(after: index) } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "[" || character == "{" {
                depth += 1
            } else if character == "]" || character == "}" {
                if depth == 0 { break }
                depth -= 1
            } else if character == "," && depth == 0 {
                break
            }
            index = text.index(after: index)
        }
        return keyRange.upperBound..<index
    }

    /// The file with the metadata entry `key` set to `value` (nil: removed).
    static func metadata(_ key: String, _ value: String?) throws -> Data {
        var file = try self.file()
        file.metadata[key] = value
        return file.encoded()
    }

    /// The file with its tensors changed by `change` (metadata kept).
    static func tensors(_ change: (inout [NamedTensor]) -> Void) throws -> Data {
        let original = try file()
        var tensors = original.tensors
        change(&tensors)
        return SafeTensorsFile(tensors: tensors, metadata: original.metadata).encoded()
    }

    /// The header JSON text and the data buffer of the file, to rebuild it by hand.
    static func headerAndBuffer() throws -> HeaderAndBuffer {
        let bytes = try self.bytes()
        let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        return HeaderAndBuffer(header: header, buffer: Array(bytes[(8 + length)...]))
    }
}

/// A safetensors file taken apart: the header's JSON text and the data buffer after it.
struct HeaderAndBuffer {
    var header: String
    var buffer: [UInt8]
}

/// Safetensors bytes from a length prefix (default: the header's own length), header text and buffer.
func rawSafetensors(header: String, buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var data = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header.utf8)
    data.append(contentsOf: buffer)
    return data
}

/// Every file under `folder` with its bytes (to show a failed command changed nothing).
func snapshot(_ folder: URL) -> [String: Data] {
    var files: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return files }
    for case let url as URL in enumerator {
        if let data = try? Data(contentsOf: url) { files[url.path] = data }
    }
    return files
}
