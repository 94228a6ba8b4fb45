import Foundation
import Testing

/// Whether `line` ends a sentence right after a path (a word holding a '/' or a file extension).
func sentenceEndsWithPath(_ line: String) -> Bool {
    line.split(separator: " ").contains { word in
        guard word.hasSuffix("."), word.count > 1 else { return false }
        let stem = word.dropLast()
        // A path closed by a quote, a backtick or a parenthesis does not run into the period.
        if let last = stem.last, "'`)\"".contains(last) { return false }
        return stem.contains("/") || [".safetensors", ".png", "-ubyte", ".json", ".csv", ".txt"].contains { stem.hasSuffix($0) }
    }
}

/// Checks the wording of a failure's one error line: no doubled period, no Foundation text, no path
/// right before a period.
func expectPlainSentences(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for line in result.errorLines {
        #expect(!line.contains(".."), "a doubled period\n\(result)", sourceLocation: sourceLocation)
        #expect(!line.contains("NSCocoaErrorDomain") && !line.contains("could not be completed"),
                "Foundation's text instead of a reason\n\(result)", sourceLocation: sourceLocation)
        #expect(!sentenceEndsWithPath(line), "a sentence ends right after a path\n\(result)", sourceLocation: sourceLocation)
    }
}

@Suite("messages")
struct MessageTests {
    @Test("--resume of a model file other than the run's model.safetensors is refused as such, not blamed on flags")
    func resumeForeignModelFile() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "8", "--sample-every", "0", "--out", "A")
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--sample-every", "0", "--out", "B")
            try sandbox.write(try sandbox.data("A/model.safetensors"), to: "B/other.safetensors")
            // No architecture flag is given: before, this said "the checkpoint's architecture differs from the flags given".
            let result = try expectFailureWritesNothing(sandbox, ["train", "--resume", "B/other.safetensors", "--epochs", "1"],
                                                        mentioning: ["B/other.safetensors", "--resume takes a run folder"])
            #expect(!result.stderr.contains("flags given"), "\(result)")
            expectPlainSentences(result)
        }
    }

    @Test("-o/--out naming an existing file says so, and the file is kept")
    func outIsAFile() throws {
        try withSandbox { sandbox in
            try sandbox.write(Data("notes\n".utf8), to: "notes.txt")
            let result = try expectFailureWritesNothing(sandbox, ["train", "--out", "notes.txt", "--epochs", "1", "--limit", "64"],
                                                        mentioning: ["notes.txt", "is a file, not a folder"])
            expectPlainSentences(result)
            // A run folder under a file: the system's reason, not "NSCocoaErrorDomain error 512".
            let under = try expectFailureWritesNothing(sandbox, ["train", "-o", "notes.txt/run", "--epochs", "1", "--limit", "64"],
                                                       mentioning: ["notes.txt/run", "not a directory"])
            expectPlainSentences(under)
        }
    }

    @Test("failures read as plain sentences: no '..', no Foundation text, no path right before a period",
          arguments: [
              ["train", "--data", "missing", "--epochs", "1"],
              ["train", "--data", "empty", "--epochs", "1"],
              ["train", "--data", "notes.txt", "--epochs", "1"],
              ["sample", "--model", "missing"],
              ["sample", "--model", "notes.txt"],
              ["sample", "--model", "empty"],
              ["train", "--resume", "empty"],
              ["plot", "empty"],
              ["plot", "missing"],
              ["info", "missing"],
              ["info", "notes.txt"],
              ["evaluate", "--model", "empty"],
          ])
    func plainSentences(arguments: [String]) throws {
        try withSandbox { sandbox in
            try sandbox.write(Data("notes\n".utf8), to: "notes.txt")
            try FileManager.default.createDirectory(at: sandbox.url("empty"), withIntermediateDirectories: true)
            let result = try expectFailureWritesNothing(sandbox, arguments, mentioning: [])
            expectPlainSentences(result)
        }
    }

    @Test("a folder where train-images-idx3-ubyte should be is reported as such, not as missing images")
    func folderInsteadOfImages() throws {
        try withSandbox { sandbox in
            try writeIDXFolder(sandbox, "data", height: 28, width: 28)
            try FileManager.default.removeItem(at: sandbox.url("data/train-images-idx3-ubyte"))
            try FileManager.default.createDirectory(at: sandbox.url("data/train-images-idx3-ubyte"), withIntermediateDirectories: true)
            let result = try expectFailureWritesNothing(sandbox, ["train", "--data", "data", "--epochs", "1"],
                                                        mentioning: ["data/train-images-idx3-ubyte is a folder"])
            #expect(!result.stderr.contains("has no training images"), "\(result)")
            expectPlainSentences(result)
        }
    }

    @Test("--epochs and --kl-warmup are bounded at 1,000,000", arguments: [
        ["train", "--epochs", "1000000000000"],
        ["train", "--epochs", "9223372036854775807"],
        ["train", "--kl-warmup", "1000001"],
    ])
    func epochsBounded(arguments: [String]) throws {
        try withSandbox { sandbox in
            let result = try expectFailureWritesNothing(sandbox, arguments, mentioning: [arguments[1], "1,000,000"])
            #expect(result.status == 64, "a usage error\n\(result)")
        }
    }

    @Test("an unconditional model reconstructs a folder whose labels it does not use: damaged or of other classes")
    func reconstructIgnoresUnusedLabels() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "8", "--sample-every", "0")
            try writeIDXFolder(sandbox, "letters", height: 28, width: 28)
            // Labels 0…25 (as in EMNIST letters): outside the 10 classes the reader accepts.
            try sandbox.write(idxFile(dimensions: [10]) { UInt8(15 + $0) }, to: "letters/t10k-labels-idx1-ubyte")
            try sandbox.write(Data("not IDX".utf8), to: "letters/train-labels-idx1-ubyte")
            for command in [["reconstruct", "-o", "r.png"], ["traverse", "-o", "t.png"], ["interpolate", "-o", "i.png"]] {
                let result = try sandbox.vae(arguments: command + ["--data", "letters"])
                #expect(result.succeeded, "\(result)")
                #expect(sandbox.exists(command[2]), "\(result)")
            }
            // A conditional model takes the labels as input, so it still refuses them.
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "8", "--sample-every", "0",
                                    "--conditional", "--out", "C")
            try expectFailureWritesNothing(sandbox, ["reconstruct", "--model", "C", "--data", "letters", "-o", "c.png"],
                                           mentioning: ["letters/"])
        }
    }
}
