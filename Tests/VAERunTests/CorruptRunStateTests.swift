import Foundation
import MNISTData
import SafeTensors
import Testing
import VAEModel
@testable import VAERun

/// A small Swiss-roll run trained for one epoch in `folder/run`: model, trainer state, config.json, metrics.
private func trainBaseRun(in folder: URL) throws -> URL {
    var request = RunRequest()
    request.dataset = .swissRoll
    request.limit = 64
    request.hidden = [4]
    request.latent = 2
    request.batchSize = 16
    request.threads = 1
    request.sampleEvery = 0
    let run = folder.appendingPathComponent("run", isDirectory: true)
    request.out = run.path
    let session = try TrainingSession(plan: TrainingPlan.make(request))
    #expect(try session.train(epochs: 1) { _ in } == .finished)
    return run
}

/// Resumes the run for one more epoch, as `vae train --resume RUN --epochs 1` does.
private func resume(_ run: URL) throws {
    var request = RunRequest()
    request.resume = run.path
    let session = try TrainingSession(plan: TrainingPlan.make(request))
    #expect(try session.train(epochs: 1) { _ in } == .finished)
}

/// Rewrites the safetensors file at `url` after `change`.
private func editSafetensors(_ url: URL, _ change: (inout SafeTensorsFile) throws -> Void) throws {
    var file = try SafeTensorsFile(contentsOf: url)
    try change(&file)
    try file.encoded().write(to: url)
}

/// Sets `key` in the model file's `vae_training` JSON to the raw JSON `json` (nil: removes it).
private func setTraining(_ run: URL, _ key: String, _ json: String?) throws {
    let url = run.appendingPathComponent("model.safetensors")
    try editSafetensors(url) { file in
        var text = try #require(file.metadata["vae_training"])
        let range = try #require(TinyModel.valueRange(of: key, in: text))
        if let json {
            text.replaceSubrange(range, with: json)
        } else {
            let keyStart = try #require(text.range(of: "\"\(key)\":")).lowerBound
            let end = text[range.upperBound] == "," ? text.index(after: range.upperBound) : range.upperBound
            text.removeSubrange(keyStart..<end)
            if text.hasSuffix(",}") { text.remove(at: text.index(text.endIndex, offsetBy: -2)) }
        }
        file.metadata["vae_training"] = text
    }
}

/// Replaces a trainer-state tensor (or removes it when `tensor` is nil).
private func setState(_ run: URL, _ name: String, _ tensor: NamedTensor?) throws {
    try editSafetensors(run.appendingPathComponent("trainer-state.safetensors")) { file in
        var tensors = file.tensors.filter { $0.name != name }
        if let tensor { tensors.append(tensor) }
        file = SafeTensorsFile(tensors: tensors, metadata: file.metadata)
    }
}

/// One damaged run folder: how to damage it, and a file name its refusal must mention.
struct CorruptRunState: Sendable, CustomStringConvertible {
    let description: String
    let mentions: String
    let damage: @Sendable (URL) throws -> Void

    init(_ description: String, mentions: String = "model.safetensors", _ damage: @escaping @Sendable (URL) throws -> Void) {
        self.description = description
        self.mentions = mentions
        self.damage = damage
    }
}

let corruptRunStates: [CorruptRunState] = [
    // Bad values in each saved training setting (the model file's vae_training), as flags would be refused.
    .init("batch size 0") { try setTraining($0, "batchSize", "0") },
    .init("batch size −1") { try setTraining($0, "batchSize", "-1") },
    .init("batch size 10^9 (memory)") { try setTraining($0, "batchSize", "1000000000") },
    .init("limit −1") { try setTraining($0, "limit", "-1") },
    .init("limit 0") { try setTraining($0, "limit", "0") },
    .init("threads 0") { try setTraining($0, "threads", "0") },
    .init("threads 1000") { try setTraining($0, "threads", "1000") },
    .init("learning rate −1") { try setTraining($0, "learningRate", "-1") },
    .init("learning rate 0") { try setTraining($0, "learningRate", "0") },
    .init("learning rate NaN") { try setTraining($0, "learningRate", "\"NaN\"") },
    .init("sample every −1") { try setTraining($0, "sampleEvery", "-1") },
    .init("KL warm-up −1") { try setTraining($0, "klSchedule", #"{"freeBits":0,"warmupEpochs":-1}"#) },
    .init("KL warm-up 10^12") { try setTraining($0, "klSchedule", #"{"freeBits":0,"warmupEpochs":1000000000000}"#) },
    .init("free bits −1") { try setTraining($0, "klSchedule", #"{"freeBits":-1,"warmupEpochs":0}"#) },
    .init("Swiss roll of 10^12 points") { try setTraining($0, "swissRollCount", "1000000000000") },
    .init("Swiss-roll noise −1") { try setTraining($0, "swissRollNoise", "-1") },
    .init("a missing key") { try setTraining($0, "batchSize", nil) },
    .init("a string where a number belongs") { try setTraining($0, "threads", "\"1\"") },
    .init("training settings cut short") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { file in
            file.metadata["vae_training"] = String(try #require(file.metadata["vae_training"]).prefix(20))
        }
    },
    .init("no training settings") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { $0.metadata["vae_training"] = nil }
    },
    // The epoch counts.
    .init("epochs completed 'abc'") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { $0.metadata["epochs_completed"] = "abc" }
    },
    .init("epochs completed −1") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { $0.metadata["epochs_completed"] = "-1" }
    },
    .init("epochs completed 10^12") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { $0.metadata["epochs_completed"] = "1000000000000" }
    },
    .init("model and trainer state at different epochs", mentions: "trainer-state.safetensors") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { $0.metadata["epochs_completed"] = "5" }
    },
    // The checkpoint files.
    .init("model file missing", mentions: "run") { try FileManager.default.removeItem(at: $0.appendingPathComponent("model.safetensors")) },
    .init("model file truncated") { run in
        let url = run.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)
    },
    .init("model file with an image 3 × 1 for 2 inputs") { run in
        try editSafetensors(run.appendingPathComponent("model.safetensors")) { file in
            file.metadata["vae_config"] = try #require(file.metadata["vae_config"])
                .replacingOccurrences(of: "\"inputSize\"", with: "\"imageHeight\":3,\"imageWidth\":1,\"inputSize\"")
        }
    },
    .init("trainer state missing", mentions: "trainer-state.safetensors") {
        try FileManager.default.removeItem(at: $0.appendingPathComponent("trainer-state.safetensors"))
    },
    .init("trainer state empty", mentions: "trainer-state.safetensors") {
        try Data().write(to: $0.appendingPathComponent("trainer-state.safetensors"))
    },
    .init("trainer state a folder", mentions: "trainer-state.safetensors") { run in
        let url = run.appendingPathComponent("trainer-state.safetensors")
        try FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    },
    .init("trainer state without its format", mentions: "trainer-state.safetensors") { run in
        try editSafetensors(run.appendingPathComponent("trainer-state.safetensors")) { $0.metadata = [:] }
    },
    .init("Adam step missing", mentions: "trainer-state.safetensors") { try setState($0, "adam.step", nil) },
    .init("Adam step negative", mentions: "trainer-state.safetensors") {
        try setState($0, "adam.step", NamedTensor(name: "adam.step", shape: [1], int64s: [-4]))
    },
    .init("Adam step 2^63 − 1", mentions: "trainer-state.safetensors") {
        try setState($0, "adam.step", NamedTensor(name: "adam.step", shape: [1], int64s: [.max]))
    },
    .init("Adam step a float", mentions: "trainer-state.safetensors") {
        try setState($0, "adam.step", NamedTensor(name: "adam.step", shape: [1], floats: [4]))
    },
    .init("trainer epoch count 10^12", mentions: "trainer-state.safetensors") {
        try setState($0, "trainer.epochs_completed", NamedTensor(name: "trainer.epochs_completed", shape: [1], int64s: [1_000_000_000_000]))
    },
    .init("a moment of the wrong shape", mentions: "trainer-state.safetensors") {
        try setState($0, "adam.exp_avg.mu.weight", NamedTensor(name: "adam.exp_avg.mu.weight", shape: [4, 2], floats: [Float](repeating: 0, count: 8)))
    },
    .init("a moment missing", mentions: "trainer-state.safetensors") { try setState($0, "adam.exp_avg_sq.output.bias", nil) },
    .init("a NaN first moment", mentions: "trainer-state.safetensors") {
        try setState($0, "adam.exp_avg.output.bias", NamedTensor(name: "adam.exp_avg.output.bias", shape: [2], floats: [.nan, 0]))
    },
    .init("a negative second moment", mentions: "trainer-state.safetensors") {
        try setState($0, "adam.exp_avg_sq.output.bias", NamedTensor(name: "adam.exp_avg_sq.output.bias", shape: [2], floats: [-1, 0]))
    },
    .init("generator state of 3 words", mentions: "trainer-state.safetensors") {
        try setState($0, "generator.state", NamedTensor(name: "generator.state", shape: [3], uint64s: [1, 2, 3]))
    },
    .init("generator state all zero", mentions: "trainer-state.safetensors") {
        try setState($0, "generator.state", NamedTensor(name: "generator.state", shape: [4], uint64s: [0, 0, 0, 0]))
    },
    // The metrics file.
    .init("metrics line garbage", mentions: "metrics.jsonl") { try Data("not json\n".utf8).write(to: $0.appendingPathComponent("metrics.jsonl")) },
    .init("metrics binary garbage", mentions: "metrics.jsonl") {
        try Data([0xFF, 0xFE, 0x00, 0x7B, 0x0A]).write(to: $0.appendingPathComponent("metrics.jsonl"))
    },
    .init("metrics epoch a string", mentions: "metrics.jsonl") { run in
        let url = run.appendingPathComponent("metrics.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"epoch\":1", with: "\"epoch\":\"one\"")
        try Data(text.utf8).write(to: url)
    },
    .init("metrics a folder", mentions: "metrics.jsonl") { run in
        let url = run.appendingPathComponent("metrics.jsonl")
        try FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    },
]

@Suite("corrupt run states")
struct CorruptRunStateTests {
    @Test("the base run resumes (the corpus starts from a good run)")
    func baseRunResumes() throws {
        try withTemporaryFolder { folder in
            let run = try trainBaseRun(in: folder)
            try resume(run)
            #expect(try SavedModel.read(from: run.appendingPathComponent("model.safetensors")).epochsCompleted == 2)
        }
    }

    @Test("every damaged run state is refused on --resume with one line naming the file, and nothing in the run changes",
          arguments: corruptRunStates)
    func refused(_ state: CorruptRunState) throws {
        try withTemporaryFolder { folder in
            let run = try trainBaseRun(in: folder)
            try state.damage(run)
            let before = snapshot(run)
            let thrown: (any Error)?
            do { try resume(run); thrown = nil } catch { thrown = error }
            let error = try #require(thrown, "\(state) was accepted")
            let typed = error is CheckpointError || error is SafeTensorsError || error is RunFolderError || error is MetricsError
                || error is RunRequestError
            #expect(typed, "\(state): untyped error \(type(of: error)): \(error)")
            let message = "\(error)"
            #expect(message.contains(run.path) && message.contains(state.mentions),
                    "\(state): the message should name \(state.mentions) in the run: \(message)")
            #expect(!message.contains("\n"), "\(state): more than one line: \(message)")
            #expect(snapshot(run) == before, "\(state): the refused resume changed the run's files")
        }
    }

    @Test("the corpus holds at least 26 distinct run states")
    func corpusSize() {
        #expect(corruptRunStates.count >= 26)
        #expect(Set(corruptRunStates.map(\.description)).count == corruptRunStates.count)
    }

    @Test("config.json is not read back: a damaged one does not stop --resume, and is written again")
    func configurationIsNotReadBack() throws {
        try withTemporaryFolder { folder in
            let run = try trainBaseRun(in: folder)
            let url = run.appendingPathComponent("config.json")
            try Data(#"{"training":{"batchSize":0,"threads":1000,"learningRate":-1}}"#.utf8).write(to: url)
            try resume(run)
            let rewritten = try String(contentsOf: url, encoding: .utf8)
            #expect(rewritten.contains("\"batchSize\" : 16"), "\(rewritten)")
        }
    }
}
