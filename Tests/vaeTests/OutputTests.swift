import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The file type bits of `path` itself (a link is not followed), or nil when nothing is there.
private func fileType(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
}

@Suite("outputs: devices, FIFOs and links")
struct OutputTests {
    static func trainSmall(_ sandbox: Sandbox) throws {
        try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--latent", "2", "--sample-every", "0")
    }

    @Test("-o /dev/full: one line saying the disk is full, exit 1, /dev/full stays a device; -o /dev/null works",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func devices() throws {
        try withSandbox { sandbox in
            try Self.trainSmall(sandbox)
            for command in ["sample", "reconstruct", "encode"] {
                let before = try snapshot(sandbox)
                let full = try sandbox.vae(command, "-o", "/dev/full")
                expectCleanFailure(full, mentioning: ["/dev/full", "no space left on device"])
                #expect(full.status == 1, "\(full)")
                #expect(fileType("/dev/full") == S_IFCHR, "/dev/full must stay a device")
                #expect(try snapshot(sandbox) == before, "nothing is written elsewhere")
                let null = try sandbox.vae(command, "-o", "/dev/null")
                #expect(null.succeeded, "\(null)")
                #expect(fileType("/dev/null") == S_IFCHR)
            }
        }
    }

    @Test("a FIFO's reader gets the PNG a regular file gets, and the FIFO stays a FIFO")
    func fifo() throws {
        try withSandbox { sandbox in
            try Self.trainSmall(sandbox)
            try sandbox.vaeSucceeds("sample", "--seed", "4", "-o", "file.png")
            let path = sandbox.url("pipe.png").path
            #expect(mkfifo(path, 0o600) == 0)
            nonisolated(unsafe) var received = Data()
            let done = DispatchSemaphore(value: 0)
            Thread {
                if let handle = FileHandle(forReadingAtPath: path) {
                    received = handle.readDataToEndOfFile()
                    try? handle.close()
                }
                done.signal()
            }.start()
            let result = try sandbox.vae("sample", "--seed", "4", "-o", "pipe.png")
            // Should vae have failed without opening the FIFO, let the reader's open return.
            let release = open(path, O_WRONLY | O_NONBLOCK)
            if release >= 0 { close(release) }
            #expect(result.succeeded, "\(result)")
            #expect(done.wait(timeout: .now() + 60) == .success)
            #expect(received == (try sandbox.data("file.png")), "the reader got \(received.count) bytes")
            #expect(fileType(path) == S_IFIFO)
        }
    }

    @Test("a link is written through (it stays a link); a dangling link creates its target; a folder or a link into a missing folder is refused")
    func links() throws {
        try withSandbox { sandbox in
            try Self.trainSmall(sandbox)
            try sandbox.vaeSucceeds("sample", "--seed", "4", "-o", "file.png")
            try sandbox.write(Data("old".utf8), to: "pictures/target.png")
            #expect(symlink("pictures/target.png", sandbox.url("link.png").path) == 0)
            try sandbox.vaeSucceeds("sample", "--seed", "4", "-o", "link.png")
            #expect(fileType(sandbox.url("link.png").path) == S_IFLNK, "the link must stay a link")
            #expect(try sandbox.data("pictures/target.png") == sandbox.data("file.png"))

            #expect(symlink("pictures/new.png", sandbox.url("dangling.png").path) == 0)
            try sandbox.vaeSucceeds("reconstruct", "-o", "dangling.png")
            #expect(fileType(sandbox.url("dangling.png").path) == S_IFLNK)
            #expect(pngColorType(try sandbox.data("pictures/new.png")) != nil)

            #expect(symlink("missing/x.png", sandbox.url("nowhere.png").path) == 0)
            expectCleanFailure(try sandbox.vae("sample", "-o", "nowhere.png"), mentioning: ["nowhere.png", "missing"])
            #expect(fileType(sandbox.url("nowhere.png").path) == S_IFLNK && !sandbox.exists("missing"))
            unlink(sandbox.url("nowhere.png").path)
            try FileManager.default.createDirectory(at: sandbox.url("folder.png"), withIntermediateDirectories: true)
            try expectFailureWritesNothing(sandbox, ["sample", "-o", "folder.png"], mentioning: ["folder.png", "folder"])
            #expect(sandbox.allFiles().allSatisfy { !$0.contains(".partial") }, "\(sandbox.allFiles())")
        }
    }

    @Test("-o - writes the file to standard output alone (the report line goes to standard error), and no file named '-'",
          arguments: [["sample", "-n", "4"], ["reconstruct", "-n", "4"], ["encode", "-n", "4"]])
    func standardOutput(arguments: [String]) throws {
        try withSandbox { sandbox in
            try Self.trainSmall(sandbox)
            let before = try snapshot(sandbox)
            let process = Process()
            process.executableURL = try VAEBinary.require()
            process.arguments = arguments + ["-o", "-"]
            process.currentDirectoryURL = sandbox.directory
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let bytes = output.fileHandleForReading.readDataToEndOfFile()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(stderr)")
            #expect(stderr.split(separator: "\n").contains { $0.hasPrefix("Wrote -: ") }, "the report goes to standard error: \(stderr)")
            if arguments[0] == "encode" {
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("index,label,") && text.split(separator: "\n").count == 5, "a CSV and nothing else: \(text)")
            } else {
                #expect(pngColorType(bytes) != nil, "a PNG and nothing else on standard output")
                #expect(!String(decoding: bytes.suffix(64), as: UTF8.self).contains("Wrote"), "no report line after the PNG")
            }
            #expect(try snapshot(sandbox) == before, "no file named '-' or any other file is made")
        }
    }

    @Test("a standard output that cannot be written (a full disk) gives one line and exit 1, not a crash",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func fullStandardOutput() throws {
        try withSandbox { sandbox in
            try Self.trainSmall(sandbox)
            let process = Process()
            process.executableURL = try VAEBinary.require()
            process.arguments = ["sample", "-o", "s.png"]
            process.currentDirectoryURL = sandbox.directory
            let errors = Pipe()
            guard let full = FileHandle(forWritingAtPath: "/dev/full") else {
                Issue.record("/dev/full cannot be opened for writing")
                return
            }
            process.standardOutput = full
            process.standardError = errors
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
            let lines = stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(lines == ["Error: cannot write to standard output: no space left on device; its further lines are dropped."],
                    "\(stderr)")
            #expect(pngColorType(try sandbox.data("s.png")) != nil, "the picture itself was written")
        }
    }
}
