import FileErrors
import Foundation
import ImageIO
import MNISTData
import SafeTensors
import Testing
@testable import VAERun

/// Error messages are sentences: a file error's reason sits inside them without a period of its own,
/// and no sentence ends right after a path (where the period reads as part of it).
@Suite("Message form")
struct MessageFormTests {
    /// What Foundation throws on a read-only file system: "The operation could not be completed. The
    /// volume is read only." around the POSIX error.
    static let readOnly = NSError(domain: NSCocoaErrorDomain, code: 642,
                                  userInfo: [NSUnderlyingErrorKey: POSIXError(.EROFS), NSFilePathErrorKey: "/mnt/ro/x"])
    /// What Foundation throws when a path runs through a file: "(NSCocoaErrorDomain error 512.)".
    static let throughAFile = NSError(domain: NSCocoaErrorDomain, code: 512,
                                      userInfo: [NSUnderlyingErrorKey: POSIXError(.ENOTDIR), NSFilePathErrorKey: "afile/x"])

    @Test("a file error's reason is the system's, lower-case, without a final period")
    func reasons() {
        #expect(Self.readOnly.localizedDescription.hasSuffix("."), "Foundation's own text is a sentence")
        #expect(fileErrorReason(Self.readOnly) == "read-only file system")
        #expect(fileErrorReason(Self.throughAFile) == "not a directory")
        #expect(fileErrorReason(POSIXError(.EACCES)) == "permission denied")
        #expect(fileErrorReason(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))) == "no space left on device")
        #expect(fileErrorReason(errno: ENOENT) == "no such file or directory")
        #expect(sentenceFragment("The request timed out.") == "the request timed out")
        #expect(sentenceFragment("HTTP 404.") == "HTTP 404")
    }

    /// Every message built around a file error's reason, with the paths a user gives.
    static var messages: [String] {
        let reason = fileErrorReason(readOnly)
        return [
            RunFolderError.cannotCreate(path: "runs/run-001", reason: reason).description,
            CheckpointError.writeFailed(path: "runs/run-001/config.json", reason: reason).description,
            CheckpointError.unreadable(path: "runs/run-001/model.safetensors", reason: reason).description,
            CheckpointError.writeFailed(path: "runs/run-001/samples/epoch-001.png",
                                        reason: Checkpoint.writeFailureReason(PNGError.unwritableFile(path: "x.png", reason: reason)))
                .description,
            CheckpointError.writeFailed(path: "runs/run-001/trainer-state.safetensors",
                                        reason: Checkpoint.writeFailureReason(SafeTensorsError.writeFailed(path: "t", reason: reason)))
                .description,
            MetricsError.writeFailed(path: "runs/run-001/metrics.jsonl", reason: reason).description,
            MetricsError.unreadable(path: "runs/run-001/metrics.jsonl", reason: reason).description,
            OutputError.unwritable(path: "latents.csv", reason: reason).description,
            PNGError.unwritableFile(path: "samples.png", reason: reason).description,
            SafeTensorsError.writeFailed(path: "model.safetensors", reason: reason).description,
            IDXError.unreadable(file: "data/mnist/train-images-idx3-ubyte", reason: reason).description,
            IDXError.fileNotFound(file: "data/mnist/train-images-idx3-ubyte").description,
            DatasetError.folderNotFound(folder: "data/fashion").description,
            DatasetError.folderInsteadOfFile(path: "data/mnist/train-images-idx3-ubyte").description,
            CheckpointError.stateMismatch(path: "runs/run-001/trainer-state.safetensors", reason: Checkpoint.stateProblem(
                .shapeMismatch(source: "runs/run-001/trainer-state.safetensors", name: "adam.exp_avg.mu.weight",
                               actual: [16, 8], expected: [20, 400]))).description,
            RunFolderError.isAFile(path: "notes.txt").description,
            RunFolderError.cannotList(path: "runs", reason: fileErrorReason(throughAFile)).description,
            RunRequestError.notARunModel(path: "runs/run-001/copy.safetensors", run: "runs/run-001").description,
        ]
    }

    @Test("messages built around a file error read as sentences: no '..', no Foundation preamble, no path before a period")
    func messagesAreSentences() {
        for message in Self.messages {
            #expect(!message.contains(".."), "\(message)")
            #expect(!message.contains("could not be completed") && !message.contains("NSCocoaErrorDomain"), "\(message)")
            #expect(!endsSentenceWithPath(message), "a sentence ends right after a path: \(message)")
            #expect(message.hasSuffix(".") || message.hasSuffix(")"), "\(message)")
        }
    }
}

/// Whether `text` has a path (a word with a '/' in it, or a file name with an extension) right before a
/// sentence-ending period.
func endsSentenceWithPath(_ text: String) -> Bool {
    let words = text.split(separator: " ")
    return words.contains { word in
        guard word.hasSuffix("."), word.count > 1 else { return false }
        let stem = word.dropLast()
        // A path closed by a quote, a backtick or a parenthesis does not run into the period.
        if let last = stem.last, "'`)\"".contains(last) { return false }
        return stem.contains("/") || stem.contains(".safetensors") || stem.contains(".png") || stem.contains("-ubyte")
            || stem.contains(".json") || stem.contains(".csv")
    }
}
