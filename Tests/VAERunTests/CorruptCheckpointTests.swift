import Foundation
import FuzzSupport
import SafeTensors
import Testing
import VAEModel
@testable import VAERun

/// One damaged model file: how to make it from the tiny model, and a fragment its refusal must contain.
struct CorruptCheckpoint: Sendable, CustomStringConvertible {
    let description: String
    let fragment: String
    let make: @Sendable () throws -> Data

    init(_ description: String, _ fragment: String, _ make: @escaping @Sendable () throws -> Data) {
        self.description = description
        self.fragment = fragment
        self.make = make
    }
}

/// The tiny model's header as a JSON object, changed by `change`, re-assembled with the buffer.
private func editedHeader(buffer change: (inout [UInt8]) -> Void = { _ in },
                          _ edit: (inout [String: Any]) throws -> Void) throws -> Data {
    let parts = try TinyModel.headerAndBuffer()
    var header = try #require(try JSONSerialization.jsonObject(with: Data(parts.header.utf8)) as? [String: Any])
    try edit(&header)
    var buffer = parts.buffer
    change(&buffer)
    let text = String(decoding: try JSONSerialization.data(withJSONObject: header), as: UTF8.self)
    return rawSafetensors(header: text, buffer: buffer)
}

/// Sets a field of one tensor's header entry.
private func setEntry(_ header: inout [String: Any], _ tensor: String, _ field: String, _ value: Any) {
    var entry = header[tensor] as? [String: Any] ?? [:]
    entry[field] = value
    header[tensor] = entry
}

/// The tiny model's tensors with the first element of `name` set to `value`.
private func withValue(_ name: String, _ value: Float) throws -> Data {
    try TinyModel.tensors { tensors in
        let index = tensors.firstIndex { $0.name == name }!
        guard case .float32(var floats) = tensors[index].values else { return }
        floats[0] = value
        tensors[index] = NamedTensor(name: name, shape: tensors[index].shape, floats: floats)
    }
}

private let config = "vae_config", training = "vae_training"
/// The sizes of an MNIST model (784 inputs, 28×28), so the absurd sizes of a case are absurd on any machine.
private let mnist = [(key: "inputSize", json: "784"), (key: "imageHeight", json: "28"), (key: "imageWidth", json: "28"),
                     (key: "hidden", json: "[400]")]

/// The corpus: damaged structure, dtypes, shapes, offsets, tensors, values and metadata. Every one must be
/// refused with a typed error naming the file, and none may allocate what it claims.
let corruptCheckpoints: [CorruptCheckpoint] = [
    // Structure of the file.
    .init("empty file", "shorter than the 8-byte") { Data() },
    .init("7 bytes", "shorter than the 8-byte") { Data([1, 0, 0, 0, 0, 0, 0]) },
    .init("header length 0, nothing after", "not valid JSON") { rawSafetensors(header: "") },
    .init("header length 0, tensors after", "not valid JSON") { rawSafetensors(header: "", buffer: [UInt8](repeating: 0, count: 64)) },
    .init("header length 2^63", "-byte header") { try rawSafetensors(header: TinyModel.headerAndBuffer().header, declaredLength: 1 << 63) },
    .init("header length 2^64 − 1", "-byte header") { try rawSafetensors(header: TinyModel.headerAndBuffer().header, declaredLength: .max) },
    .init("header length just over the 100 MB limit", "-byte header") {
        try rawSafetensors(header: TinyModel.headerAndBuffer().header, declaredLength: 100_000_001)
    },
    .init("header length beyond the file", "follow the length prefix") {
        let parts = try TinyModel.headerAndBuffer()
        return rawSafetensors(header: parts.header, buffer: parts.buffer, declaredLength: UInt64(parts.header.utf8.count + parts.buffer.count + 1))
    },
    .init("header length one byte short", "JSON") {
        let parts = try TinyModel.headerAndBuffer()
        return rawSafetensors(header: parts.header.trimmingCharacters(in: .whitespaces), buffer: parts.buffer,
                              declaredLength: UInt64(parts.header.trimmingCharacters(in: .whitespaces).utf8.count - 1))
    },
    .init("header not UTF-8", "UTF-8") {
        var data = rawSafetensors(header: "{\"a\":1}")
        data[9] = 0xFF
        return data
    },
    .init("header not JSON", "not valid JSON") { rawSafetensors(header: "{not json at all}") },
    .init("header a JSON array", "not an object") { rawSafetensors(header: "[]") },
    .init("header JSON null", "not an object") { rawSafetensors(header: "null") },
    .init("header nested 100,000 deep", "JSON") { rawSafetensors(header: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)) },
    .init("header a number too big for a double", "JSON") {
        rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0])
    },
    // Dtypes.
    .init("unknown dtype F8", "dtype F8") { try editedHeader { setEntry(&$0, "mu.bias", "dtype", "F8") } },
    .init("dtype a number", "\"dtype\"") { try editedHeader { setEntry(&$0, "mu.bias", "dtype", 32) } },
    .init("weight stored as I64", "not floating-point") {
        try TinyModel.tensors { tensors in
            let index = tensors.firstIndex { $0.name == "mu.weight" }!
            tensors[index] = NamedTensor(name: "mu.weight", shape: tensors[index].shape, int64s: [Int64](repeating: 1, count: 6))
        }
    },
    .init("bias stored as U8", "not floating-point") {
        try TinyModel.tensors { tensors in
            let index = tensors.firstIndex { $0.name == "output.bias" }!
            tensors[index] = NamedTensor(name: "output.bias", shape: [4], values: .uint8([1, 2, 3, 4]))
        }
    },
    .init("F32 bytes labelled F64", "spans") { try editedHeader { setEntry(&$0, "output.bias", "dtype", "F64") } },
    // Shapes against byte ranges.
    .init("negative dimension", "negative") { try editedHeader { setEntry(&$0, "mu.bias", "shape", [-2]) } },
    .init("dimensions whose product overflows", "overflows") { try editedHeader { setEntry(&$0, "mu.weight", "shape", [1 << 62, 8]) } },
    .init("shape larger than its bytes", "spans") { try editedHeader { setEntry(&$0, "mu.weight", "shape", [3, 3]) } },
    .init("shape smaller than its bytes", "spans") { try editedHeader { setEntry(&$0, "mu.weight", "shape", [1, 3]) } },
    .init("shape holding a string", "\"shape\"") { try editedHeader { setEntry(&$0, "mu.weight", "shape", ["2", 3]) } },
    .init("shape missing", "no \"shape\"") {
        try editedHeader { header in var entry = header["mu.weight"] as! [String: Any]; entry["shape"] = nil; header["mu.weight"] = entry }
    },
    .init("shape a huge zero-size tensor", "unexpected tensor") {
        try editedHeader { header in header["ghost"] = ["dtype": "F32", "shape": [0, 1 << 62], "data_offsets": [0, 0]] }
    },
    // Offsets.
    .init("data_offsets missing", "no \"data_offsets\"") {
        try editedHeader { header in var entry = header["mu.bias"] as! [String: Any]; entry["data_offsets"] = nil; header["mu.bias"] = entry }
    },
    .init("data_offsets with three entries", "not 2") { try editedHeader { setEntry(&$0, "mu.bias", "data_offsets", [0, 4, 8]) } },
    .init("data_offsets reversed", "data_offsets") { try editedHeader { setEntry(&$0, "decoder.0.bias", "data_offsets", [12, 0]) } },
    .init("data_offsets negative", "data_offsets") { try editedHeader { setEntry(&$0, "decoder.0.bias", "data_offsets", [-12, 0]) } },
    .init("data_offsets past the buffer", "data_offsets") {
        try editedHeader { header in
            let buffer = try TinyModel.headerAndBuffer().buffer.count
            setEntry(&header, "output.weight", "data_offsets", [buffer - 24, buffer + 24])
        }
    },
    .init("data_offsets of 2^63 − 1", "data_offsets") { try editedHeader { setEntry(&$0, "mu.bias", "data_offsets", [Int.max - 8, Int.max]) } },
    .init("two tensors over the same bytes", "share bytes") {
        try editedHeader { header in
            setEntry(&header, "decoder.0.bias", "shape", [4])
            setEntry(&header, "decoder.0.bias", "data_offsets", [0, 16])
        }
    },
    .init("a hole in the buffer", "belong to no tensor") { try editedHeader(buffer: { $0 += [0, 0, 0, 0] }) { _ in } },
    .init("buffer one byte short", "data_offsets") { try editedHeader(buffer: { $0.removeLast() }) { _ in } },
    .init("the file cut in its header", "follow the length prefix") { let bytes = try TinyModel.bytes(); return bytes.prefix(bytes.count / 2) },
    .init("the file cut in its tensors", "data_offsets") {
        let parts = try TinyModel.headerAndBuffer()
        return rawSafetensors(header: parts.header, buffer: Array(parts.buffer.prefix(parts.buffer.count / 2)))
    },
    // Tensors against the configuration.
    .init("encoder weight missing", "encoder.0.weight is missing") { try TinyModel.tensors { $0.removeAll { $0.name == "encoder.0.weight" } } },
    .init("output bias missing", "output.bias is missing") { try TinyModel.tensors { $0.removeAll { $0.name == "output.bias" } } },
    .init("every tensor missing", "is missing") { try TinyModel.tensors { $0.removeAll() } },
    .init("an extra tensor", "unexpected tensor extra.weight") {
        try TinyModel.tensors { $0.append(NamedTensor(name: "extra.weight", shape: [1], floats: [0])) }
    },
    .init("a weight transposed", "has shape [2, 3]") {
        try TinyModel.tensors { tensors in
            let index = tensors.firstIndex { $0.name == "decoder.0.weight" }!
            tensors[index] = NamedTensor(name: "decoder.0.weight", shape: [2, 3], values: tensors[index].values)
        }
    },
    .init("a bias with an extra dimension", "has shape [3, 1]") {
        try TinyModel.tensors { tensors in
            let index = tensors.firstIndex { $0.name == "encoder.0.bias" }!
            tensors[index] = NamedTensor(name: "encoder.0.bias", shape: [3, 1], values: tensors[index].values)
        }
    },
    // Values.
    .init("a NaN weight", "NaN") { try withValue("encoder.0.weight", .nan) },
    .init("a signalling NaN weight", "NaN") { try withValue("mu.weight", .signalingNaN) },
    .init("an infinite weight", "NaN or infinite") { try withValue("output.weight", .infinity) },
    .init("a negative infinite bias", "NaN or infinite") { try withValue("logvar.bias", -.infinity) },
    // The file's metadata.
    .init("no format key", "format is none") { try TinyModel.metadata("format", nil) },
    .init("another format", "format is 'vae-checkpoint-99'") { try TinyModel.metadata("format", "vae-checkpoint-99") },
    .init("no configuration", "not a vae checkpoint") { try TinyModel.metadata(config, nil) },
    .init("configuration not JSON", "not a valid configuration") { try TinyModel.metadata(config, "{latent: two") },
    .init("configuration cut short", "not a valid configuration") {
        let text = try TinyModel.file().metadata[config]!
        return try TinyModel.metadata(config, String(text.prefix(text.count / 2)))
    },
    .init("configuration an array", "not a valid configuration") { try TinyModel.metadata(config, "[]") },
    .init("metadata a number", "__metadata__") {
        try editedHeader { header in var metadata = header["__metadata__"] as! [String: Any]; metadata["format"] = 1; header["__metadata__"] = metadata }
    },
    .init("metadata an array", "__metadata__") { try editedHeader { $0["__metadata__"] = [1, 2] } },
    // Absurd sizes in the configuration.
    .init("latent missing", "not a valid configuration") { try TinyModel.settingJSON(config, "latent", nil) },
    .init("latent a string", "not a valid configuration") { try TinyModel.settingJSON(config, "latent", "\"2\"") },
    .init("latent a fraction", "not a valid configuration") { try TinyModel.settingJSON(config, "latent", "2.5") },
    .init("latent 10^30", "not a valid configuration") { try TinyModel.settingJSON(config, "latent", "1e30") },
    .init("latent 0", "--latent must be at least 1") { try TinyModel.settingJSON(config, "latent", "0") },
    .init("latent −1", "--latent must be at least 1") { try TinyModel.settingJSON(config, "latent", "-1") },
    .init("latent 10^9 (784-400 model)", "would need") { try TinyModel.settingJSONs(config, mnist + [("latent", "1000000000")]) },
    .init("latent 2^63 − 1", "overflows") { try TinyModel.settingJSON(config, "latent", "9223372036854775807") },
    .init("hidden [10^8] (784 inputs)", "would need") { try TinyModel.settingJSONs(config, mnist + [("hidden", "[100000000]")]) },
    .init("hidden [10^6, 10^6] (784 inputs)", "would need") {
        try TinyModel.settingJSONs(config, mnist + [("hidden", "[1000000,1000000]")])
    },
    .init("hidden [2^62, 2^62]", "overflows") { try TinyModel.settingJSON(config, "hidden", "[4611686018427387904,4611686018427387904]") },
    .init("hidden empty", "--hidden must list 1 to 64 widths") { try TinyModel.settingJSON(config, "hidden", "[]") },
    .init("hidden 65 layers", "--hidden must list 1 to 64 widths") {
        try TinyModel.settingJSON(config, "hidden", "[" + Array(repeating: "1", count: 65).joined(separator: ",") + "]")
    },
    .init("hidden width 0", "--hidden widths must be at least 1") { try TinyModel.settingJSON(config, "hidden", "[0]") },
    .init("hidden width −5", "--hidden widths must be at least 1") { try TinyModel.settingJSON(config, "hidden", "[-5]") },
    .init("hidden a number", "not a valid configuration") { try TinyModel.settingJSON(config, "hidden", "3") },
    .init("10^9 classes", "class count") { try TinyModel.settingJSON(config, "classes", "1000000000") },
    .init("257 classes", "class count") { try TinyModel.settingJSON(config, "classes", "257") },
    .init("−1 classes", "class count") { try TinyModel.settingJSON(config, "classes", "-1") },
    .init("input size 0", "input size") { try TinyModel.settingJSON(config, "inputSize", "0") },
    .init("input size −4", "input size") { try TinyModel.settingJSON(config, "inputSize", "-4") },
    .init("input size 10^12 for 10^6 × 10^6 images", "image height") {
        let data = try TinyModel.settingJSON(config, "inputSize", "1000000000000")
        var file = try SafeTensorsFile(data: data)
        var text = file.metadata[config]!
        text = text.replacingOccurrences(of: "\"imageHeight\":2", with: "\"imageHeight\":1000000")
            .replacingOccurrences(of: "\"imageWidth\":2", with: "\"imageWidth\":1000000")
        file.metadata[config] = text
        return file.encoded()
    },
    .init("image height 3 (3 × 2 ≠ 4)", "differs from the input size") { try TinyModel.settingJSON(config, "imageHeight", "3") },
    .init("image width 0", "image width") { try TinyModel.settingJSON(config, "imageWidth", "0") },
    .init("image width 10^6", "image width") { try TinyModel.settingJSON(config, "imageWidth", "1000000") },
    .init("image −2 × −2 (product 4)", "image height") {
        let data = try TinyModel.settingJSON(config, "imageHeight", "-2")
        var file = try SafeTensorsFile(data: data)
        file.metadata[config] = file.metadata[config]!.replacingOccurrences(of: "\"imageWidth\":2", with: "\"imageWidth\":-2")
        return file.encoded()
    },
    .init("image height without width", "given together") { try TinyModel.settingJSON(config, "imageWidth", nil) },
    .init("beta −1", "--beta") { try TinyModel.settingJSON(config, "beta", "-1") },
    .init("beta 10^39 (past Float)", "not a valid configuration") { try TinyModel.settingJSON(config, "beta", "1e39") },
    .init("beta a string", "not a valid configuration") { try TinyModel.settingJSON(config, "beta", "\"NaN\"") },
    .init("unknown activation", "not a valid configuration") { try TinyModel.settingJSON(config, "activation", "\"swish\"") },
    .init("bce loss with tanh output", "the bce loss needs the sigmoid output") { try TinyModel.settingJSON(config, "output", "\"tanh\"") },
    // Absurd training settings and epoch counts.
    .init("training settings not JSON", "not valid training settings") { try TinyModel.metadata(training, "{batchSize:") },
    .init("training settings without batchSize", "not valid training settings") { try TinyModel.settingJSON(training, "batchSize", nil) },
    .init("batch size a string", "not valid training settings") { try TinyModel.settingJSON(training, "batchSize", "\"8\"") },
    .init("batch size 0", "--batch-size must be at least 1") { try TinyModel.settingJSON(training, "batchSize", "0") },
    .init("learning rate −1", "--lr") { try TinyModel.settingJSON(training, "learningRate", "-1") },
    .init("learning rate NaN", "not valid training settings") { try TinyModel.settingJSON(training, "learningRate", "\"NaN\"") },
    .init("threads 0", "--threads") { try TinyModel.settingJSON(training, "threads", "0") },
    .init("threads 1000", "--threads") { try TinyModel.settingJSON(training, "threads", "1000") },
    .init("limit −1", "--limit") { try TinyModel.settingJSON(training, "limit", "-1") },
    .init("sample every −1", "--sample-every") { try TinyModel.settingJSON(training, "sampleEvery", "-1") },
    .init("KL warm-up 10^12 epochs", "--kl-warmup") {
        try TinyModel.settingJSON(training, "klSchedule", #"{"freeBits":0,"warmupEpochs":1000000000000}"#)
    },
    .init("free bits −1", "--free-bits") { try TinyModel.settingJSON(training, "klSchedule", #"{"freeBits":-1,"warmupEpochs":0}"#) },
    .init("Swiss roll of 10^12 points", "Swiss-roll point count") { try TinyModel.settingJSON(training, "swissRollCount", "1000000000000") },
    .init("negative seed", "not valid training settings") { try TinyModel.settingJSON(training, "seed", "-1") },
    .init("unknown dataset", "not valid training settings") { try TinyModel.settingJSON(training, "dataset", "\"cifar\"") },
    .init("epochs completed 'abc'", "not a whole number") { try TinyModel.metadata("epochs_completed", "abc") },
    .init("epochs completed −1", "completed epoch count") { try TinyModel.metadata("epochs_completed", "-1") },
    .init("epochs completed 10^12", "completed epoch count") { try TinyModel.metadata("epochs_completed", "1000000000000") },
]

@Suite("corrupt checkpoints")
struct CorruptCheckpointTests {
    @Test("the tiny model file itself reads")
    func tinyModelReads() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            try TinyModel.bytes().write(to: url)
            let saved = try SavedModel.read(from: url)
            #expect(saved.model.configuration == TinyModel.configuration)
            #expect(saved.settings.training == TinyModel.training)
            #expect(saved.epochsCompleted == 1)
        }
    }

    @Test("every crafted checkpoint is refused with one line naming the file, without allocating what it claims",
          arguments: corruptCheckpoints)
    func refused(_ corrupt: CorruptCheckpoint) throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("bad.safetensors")
            try corrupt.make().write(to: url)
            let measured = PeakMemory.measure { () -> (any Error)? in
                do { _ = try SavedModel.read(from: url); return nil } catch { return error }
            }
            let error = try #require(measured.value, "\(corrupt) was accepted")
            #expect(error is CheckpointError || error is SafeTensorsError, "\(corrupt): untyped error \(type(of: error)): \(error)")
            let message = "\(error)"
            #expect(message.contains(url.path), "\(corrupt): the message does not name the file: \(message)")
            #expect(message.contains(corrupt.fragment), "\(corrupt): expected '\(corrupt.fragment)' in: \(message)")
            #expect(!message.contains("\n"), "\(corrupt): more than one line: \(message)")
            #expect(measured.peakRiseBytes < 256 << 20, "\(corrupt): peak memory rose by \(measured.peakRiseBytes >> 20) MiB")
        }
    }

    @Test("the corpus holds at least 72 distinct cases")
    func corpusSize() {
        #expect(corruptCheckpoints.count >= 72)
        #expect(Set(corruptCheckpoints.map(\.description)).count == corruptCheckpoints.count)
    }
}
