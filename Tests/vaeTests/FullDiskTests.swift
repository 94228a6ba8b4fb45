import Foundation
import Testing

/// A small disk that can fill up: a tmpfs mounted in a private mount namespace (`unshare -rm`, no
/// privileges needed where user namespaces are allowed).
enum SmallDisk {
    /// Whether this machine lets an unprivileged process mount a tmpfs in its own namespace.
    static let available: Bool = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil else { return false }
        return (try? runShell("mount -t tmpfs -o size=64k tmpfs \(folder.path)", in: folder))?.status == 0
    }()

    /// Runs `script` with `sh -e` inside a new user and mount namespace, in `directory`.
    static func runShell(_ script: String, in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-rm", "sh", "-e", "-c", script]
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

@Suite("full disk")
struct FullDiskTests {
    @Test("a disk that fills up during an epoch: one line naming the file, exit 1, the last complete epoch kept and resumable",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") && SmallDisk.available))
    func diskFullDuringEpoch() throws {
        try withSandbox { sandbox in
            let vae = try VAEBinary.require().path
            // Epoch 1 on an 8 MB disk, then fill it to 100 KB of free space (less than one model file) and resume.
            let script = """
                mkdir disk before after
                mount -t tmpfs -o size=8m tmpfs disk
                cd disk
                '\(vae)' train --epochs 1 --limit 256 --hidden 32 --latent 4 --threads 2 > ../train-1.txt 2>&1
                cp -r runs/run-001 ../before/
                free=$(df -k --output=avail . | tail -1)
                dd if=/dev/zero of=filler bs=1k count=$((free - 100)) 2> /dev/null || true
                set +e
                '\(vae)' train --resume runs/run-001 --epochs 2 > ../resume.out 2> ../resume.err
                echo $? > ../resume.status
                set -e
                cp -r runs/run-001 ../after/
                ls -a runs/run-001 runs/run-001/samples > ../listing.txt
                """
            let run = try SmallDisk.runShell(script, in: sandbox.directory)
            try #require(run.status == 0, "the script failed: \(run.output)")
            let status = try sandbox.text("resume.status").trimmingCharacters(in: .whitespacesAndNewlines)
            let stderr = try sandbox.text("resume.err")
            #expect(status == "1", "a full disk is an error, exit 1\n\(stderr)")
            let lines = stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line\n\(stderr)")
            let line = String(lines.first ?? "")
            for fragment in ["Error: runs/run-001/", "no space left on device", "Epoch 1 is kept in runs/run-001",
                             "continue with: vae train --resume runs/run-001 --epochs 2"] {
                #expect(line.contains(fragment), "'\(fragment)' missing\n\(stderr)")
            }
            #expect(!(try sandbox.text("resume.out")).contains("Saved"))
            // The kept checkpoint is the epoch-1 one, untouched, and no temporary file is left.
            for file in ["model.safetensors", "trainer-state.safetensors"] {
                #expect(try sandbox.data("after/run-001/\(file)") == sandbox.data("before/run-001/\(file)"), "\(file) changed")
            }
            let listing = try sandbox.text("listing.txt")
            #expect(!listing.contains(".partial"), "a temporary file was left: \(listing)")
            // With space again, the printed command continues the run.
            let resumed = try sandbox.vaeSucceeds("train", "--resume", "after/run-001", "--epochs", "2")
            #expect(resumed.stdout.contains("resuming after epoch 1") && resumed.stdout.contains("epoch 3/3"), "\(resumed)")
        }
    }
}
