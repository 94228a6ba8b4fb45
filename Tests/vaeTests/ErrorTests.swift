import Foundation
import Testing

/// Writes a gzip-free IDX file: magic 0x0000_08_<rank>, big-endian dimensions, unsigned bytes.
func idxFile(dimensions: [Int], fill: (Int) -> UInt8) -> Data {
    var data = Data([0, 0, 0x08, UInt8(dimensions.count)])
    for d in dimensions {
        let value = UInt32(d).bigEndian
        withUnsafeBytes(of: value) { data.append(contentsOf: $0) }
    }
    let count = dimensions.reduce(1, *)
    data.append(contentsOf: (0..<count).map(fill))
    return data
}

/// A folder of tiny MNIST-layout IDX files with `height`×`width` images.
func writeIDXFolder(_ sandbox: Sandbox, _ folder: String, height: Int, width: Int, train: Int = 20, test: Int = 10) throws {
    try sandbox.write(idxFile(dimensions: [train, height, width]) { UInt8(($0 * 37) % 256) },
                      to: "\(folder)/train-images-idx3-ubyte")
    try sandbox.write(idxFile(dimensions: [train]) { UInt8($0 % 10) }, to: "\(folder)/train-labels-idx1-ubyte")
    try sandbox.write(idxFile(dimensions: [test, height, width]) { UInt8(($0 * 11) % 256) },
                      to: "\(folder)/t10k-images-idx3-ubyte")
    try sandbox.write(idxFile(dimensions: [test]) { UInt8($0 % 10) }, to: "\(folder)/t10k-labels-idx1-ubyte")
}

@Suite("errors")
struct ErrorTests {
    @Test("invalid flags are refused before anything is written",
          arguments: [
              (["train", "--epochs", "0"], ["--epochs"]),
              (["sample", "--n", "0"], ["--n"]),
              (["train", "--latent", "0"], ["--latent"]),
              (["train", "--hidden", ""], ["--hidden"]),
              (["train", "--hidden", "400,x"], ["--hidden", "400,x"]),
              (["train", "--beta=-1"], ["--beta", "-1"]),
              (["train", "--beta", "-1"], ["--beta"]),
              (["train", "--loss", "bce", "--output-activation", "tanh"], ["bce", "tanh"]),
              (["train", "--limit", "0"], ["--limit"]),
              (["train", "--batch-size", "0"], ["--batch-size"]),
              (["train", "--lr", "0"], ["--lr"]),
              (["train", "--threads", "0"], ["--threads"]),
              (["train", "--activation", "swish"], ["swish"]),
              (["train", "--dataset", "swiss-roll", "--conditional"], ["swiss-roll"]),
              (["sample", "--nrow", "0"], ["--nrow"]),
              (["reconstruct", "--n", "0"], ["--n"]),
          ] as [([String], [String])])
    func invalidFlags(arguments: [String], fragments: [String]) throws {
        try withSandbox { sandbox in
            let result = try expectFailureWritesNothing(sandbox, arguments, mentioning: fragments)
            #expect(result.status == 64, "usage errors exit with 64 (EX_USAGE)\n\(result)")
            #expect(sandbox.allFiles().isEmpty, "nothing may be created: \(sandbox.allFiles())")
            #expect(!FileManager.default.fileExists(atPath: sandbox.url("runs").path), "no runs/ folder may be created")
        }
    }

    @Test("sample and reconstruct in an empty folder tell the user to train first", arguments: ["sample", "reconstruct"])
    func noRunsYet(command: String) throws {
        try withSandbox { sandbox in
            let result = try expectFailureWritesNothing(sandbox, [command], mentioning: ["vae train"])
            #expect(result.stderr.contains("runs"), "\(result)")
            #expect(sandbox.allFiles().isEmpty)
        }
    }

    @Test("sample with a file named runs says it cannot list the runs and how to go on")
    func runsIsAFile() throws {
        try withSandbox { sandbox in
            try Data("notes\n".utf8).write(to: sandbox.url("runs"))
            let result = try expectFailureWritesNothing(sandbox, ["sample", "-o", "grid.png"],
                                                        mentioning: ["runs", "not a directory", "--model"])
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result)")
            #expect(sandbox.allFiles() == ["runs"])
        }
    }

    @Test("sample --model missing.safetensors names the file")
    func missingModel() throws {
        try withSandbox { sandbox in
            try expectFailureWritesNothing(sandbox, ["sample", "--model", "missing.safetensors", "-o", "out.png"],
                                           mentioning: ["missing.safetensors"])
            try expectFailureWritesNothing(sandbox, ["reconstruct", "--model", "missing.safetensors", "-o", "out.png"],
                                           mentioning: ["missing.safetensors"])
            try expectFailureWritesNothing(sandbox, ["train", "--resume", "missing-run"], mentioning: ["missing-run"])
            #expect(sandbox.allFiles().isEmpty)
        }
    }

    @Test("a corrupt or truncated checkpoint is reported with its name; -o is not created")
    func corruptCheckpoints() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--out", "good", "--sample-every", "0")
            let good = try sandbox.data("good/model.safetensors")

            var generator = SystemRandomNumberGenerator()
            try sandbox.write(Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }), to: "random.safetensors")
            try sandbox.write(good.prefix(good.count / 2), to: "truncated.safetensors")
            try sandbox.write(good.prefix(6), to: "tiny.safetensors")
            try sandbox.write(Data(), to: "empty.safetensors")
            // A valid header whose tensors lack one byte at the end.
            try sandbox.write(good.dropLast(), to: "short/model.safetensors")

            for (model, name) in [("random.safetensors", "random.safetensors"), ("truncated.safetensors", "truncated.safetensors"),
                                  ("tiny.safetensors", "tiny.safetensors"), ("empty.safetensors", "empty.safetensors"),
                                  ("short", "short/model.safetensors")] {
                for command in ["sample", "reconstruct"] {
                    try expectFailureWritesNothing(sandbox, [command, "--model", model, "-o", "out.png"], mentioning: [name])
                    #expect(!sandbox.exists("out.png"))
                }
            }
        }
    }

    @Test("a safetensors file that is not a vae checkpoint is refused")
    func foreignSafetensors() throws {
        try withSandbox { sandbox in
            // A minimal valid safetensors file: one F32 tensor, no vae metadata.
            let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
            var data = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: header.utf8)
            data.append(contentsOf: [UInt8](repeating: 0, count: 8))
            try sandbox.write(data, to: "foreign.safetensors")
            try expectFailureWritesNothing(sandbox, ["sample", "--model", "foreign.safetensors", "-o", "out.png"],
                                           mentioning: ["foreign.safetensors", "not a vae checkpoint"])
        }
    }

    @Test("--resume with another architecture is refused and the run is left as it was")
    func resumeWithOtherArchitecture() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--out", "RUN")
            try expectFailureWritesNothing(sandbox, ["train", "--resume", "RUN", "--latent", "5"], mentioning: ["--latent", "RUN"])
            try expectFailureWritesNothing(sandbox, ["train", "--resume", "RUN", "--hidden", "64"], mentioning: ["--hidden"])
            try expectFailureWritesNothing(sandbox, ["train", "--resume", "RUN", "--conditional"], mentioning: ["--conditional"])

            // Without its trainer state a run cannot be resumed exactly.
            try FileManager.default.removeItem(at: sandbox.url("RUN/trainer-state.safetensors"))
            try expectFailureWritesNothing(sandbox, ["train", "--resume", "RUN"], mentioning: ["trainer-state.safetensors"])
        }
    }

    @Test("reconstruct --data with 14×14 images is refused with the image sizes")
    func reconstructWrongImageSize() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--sample-every", "0")
            try writeIDXFolder(sandbox, "small", height: 14, width: 14)
            try expectFailureWritesNothing(sandbox, ["reconstruct", "--data", "small"], mentioning: ["14×14", "28×28"])
            #expect(!sandbox.exists("reconstruction.png"))
            // The same data cannot continue the 28×28 run either.
            try expectFailureWritesNothing(sandbox, ["train", "--resume", "runs/run-001", "--data", "small"], mentioning: ["784"])
        }
    }

    @Test("a model trained on 14×14 IDX files works end to end")
    func smallImages() throws {
        try withSandbox { sandbox in
            try writeIDXFolder(sandbox, "small", height: 14, width: 14)
            let train = try sandbox.vaeSucceeds("train", "--data", "small", "--epochs", "1", "--hidden", "16", "--latent", "2")
            #expect(train.stdout.contains("small"), "train should name the data folder\n\(train)")
            try expectGrayPNG(sandbox, "runs/run-001/samples/epoch-001.png", width: 130, height: 130)
            try sandbox.vaeSucceeds("sample", "--n", "4", "--nrow", "2", "-o", "s.png")
            try expectGrayPNG(sandbox, "s.png", width: 34, height: 34)
            try sandbox.vaeSucceeds("reconstruct", "--n", "3")
            try expectGrayPNG(sandbox, "reconstruction.png", width: 50, height: 34)
        }
    }

    @Test("train --data with a missing or broken folder names it")
    func badDataFolder() throws {
        try withSandbox { sandbox in
            try expectFailureWritesNothing(sandbox, ["train", "--data", "nowhere"], mentioning: ["nowhere"])
            try sandbox.write(Data("not idx".utf8), to: "broken/train-images-idx3-ubyte")
            try sandbox.write(idxFile(dimensions: [3]) { _ in 1 }, to: "broken/train-labels-idx1-ubyte")
            try expectFailureWritesNothing(sandbox, ["train", "--data", "broken", "--epochs", "1"],
                                           mentioning: ["train-images-idx3-ubyte"])
            #expect(!sandbox.exists("runs"))
        }
    }

    @Test("sample -o into a missing folder names the path and creates nothing")
    func outputIntoMissingFolder() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "32", "--sample-every", "0")
            try expectFailureWritesNothing(sandbox, ["sample", "-o", "nonexistent-dir/grid.png"],
                                           mentioning: ["nonexistent-dir"])
            try expectFailureWritesNothing(sandbox, ["reconstruct", "-o", "nonexistent-dir/r.png"], mentioning: ["nonexistent-dir"])
            #expect(!sandbox.exists("nonexistent-dir"))
        }
    }

    @Test("train --out on a path that is a file fails with its name")
    func outIsAFile() throws {
        try withSandbox { sandbox in
            try sandbox.write(Data("x".utf8), to: "taken")
            try expectFailureWritesNothing(sandbox, ["train", "--epochs", "1", "--limit", "64", "--out", "taken"],
                                           mentioning: ["taken"])
        }
    }

    @Test("vae download refuses a bad dataset or mirror setting without touching the network")
    func downloadValidation() throws {
        try withSandbox { sandbox in
            try expectFailureWritesNothing(sandbox, ["download", "--dataset", "cifar", "--dir", "d"], mentioning: ["cifar"])
            let before = sandbox.allFiles()
            let result = try sandbox.vae(arguments: ["download", "--dir", "d"],
                                         environment: ["VAE_DOWNLOAD_BASE_URL": "ftp://example.invalid/"])
            expectCleanFailure(result, mentioning: ["VAE_DOWNLOAD_BASE_URL"])
            #expect(sandbox.allFiles() == before)
            #expect(!sandbox.exists("d"))
        }
    }
}
