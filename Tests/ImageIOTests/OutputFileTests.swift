import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ImageIO

/// The file type bits of `path` itself (not following a final symbolic link), or nil when nothing is there.
private func fileType(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
}

private func contents(_ url: URL) throws -> String {
    String(decoding: try Data(contentsOf: url), as: UTF8.self)
}

@Suite("output files: regular files replaced atomically, links and devices written through")
struct OutputFileTests {
    @Test("a new file and a regular file are written whole, with no temporary file left; the file's mode is kept")
    func regularFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let target = folder.file("out.png")
        #expect(OutputFile.write(Data("first".utf8), to: target) == nil)
        #expect(try contents(target) == "first")
        #expect(chmod(target.path, 0o600) == 0)
        #expect(OutputFile.write(Data("second".utf8), to: target) == nil)
        #expect(try contents(target) == "second")
        var info = stat()
        #expect(stat(target.path, &info) == 0 && info.st_mode & 0o777 == 0o600, "the replaced file keeps its permissions")
        #expect(try folder.contents() == ["out.png"], "no temporary file is left")
    }

    @Test("a symbolic link to a regular file stays a link and its target gets the new content (also through a chain)")
    func symlinkWrittenThrough() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.file("real"), withIntermediateDirectories: true)
        try Data("old".utf8).write(to: folder.file("real/target.png"))
        #expect(symlink("real/target.png", folder.file("link.png").path) == 0)
        #expect(symlink("link.png", folder.file("chain.png").path) == 0)

        #expect(OutputFile.problem(writing: folder.file("link.png")) == nil)
        #expect(OutputFile.write(Data("new".utf8), to: folder.file("link.png")) == nil)
        #expect(fileType(folder.file("link.png").path) == S_IFLNK, "the link must stay a link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder.file("link.png").path) == "real/target.png")
        #expect(try contents(folder.file("real/target.png")) == "new")

        #expect(OutputFile.write(Data("newer".utf8), to: folder.file("chain.png")) == nil)
        #expect(fileType(folder.file("chain.png").path) == S_IFLNK)
        #expect(try contents(folder.file("real/target.png")) == "newer")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("real").path) == ["target.png"],
                "the temporary file goes beside the target and is gone")
    }

    @Test("a dangling link is written through when its target's folder exists, refused when it does not")
    func danglingSymlink() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(symlink("made-later.png", folder.file("dangling.png").path) == 0)
        #expect(OutputFile.write(Data("x".utf8), to: folder.file("dangling.png")) == nil)
        #expect(fileType(folder.file("dangling.png").path) == S_IFLNK)
        #expect(try contents(folder.file("made-later.png")) == "x")

        #expect(symlink("missing-folder/out.png", folder.file("nowhere.png").path) == 0)
        let reason = try #require(OutputFile.problem(writing: folder.file("nowhere.png")))
        #expect(reason.contains("missing-folder"), "\(reason)")
        #expect(OutputFile.write(Data("x".utf8), to: folder.file("nowhere.png")) != nil)
        #expect(fileType(folder.file("nowhere.png").path) == S_IFLNK, "the link is left as it was")
        #expect(!FileManager.default.fileExists(atPath: folder.file("missing-folder").path))
    }

    @Test("a folder, a link to a folder, a loop of links and a missing folder are refused and left as they were")
    func refused() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.file("dir.png"), withIntermediateDirectories: true)
        #expect(symlink("dir.png", folder.file("to-dir.png").path) == 0)
        #expect(symlink("loop-b.png", folder.file("loop-a.png").path) == 0)
        #expect(symlink("loop-a.png", folder.file("loop-b.png").path) == 0)
        let cases: [(String, String)] = [("dir.png", "folder"), ("to-dir.png", "folder"), ("loop-a.png", "symbolic links"),
                                         ("no-such-folder/out.png", "does not exist")]
        for (name, fragment) in cases {
            let reason = OutputFile.write(Data("x".utf8), to: folder.file(name))
            #expect(reason?.contains(fragment) == true, "\(name): \(reason ?? "accepted")")
        }
        #expect(try folder.contents().sorted() == ["dir.png", "loop-a.png", "loop-b.png", "to-dir.png"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("dir.png").path).isEmpty)
    }

    @Test("a character device is written through and stays a device: /dev/null takes the bytes, /dev/full says the disk is full",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func devices() throws {
        #expect(OutputFile.problem(writing: URL(fileURLWithPath: "/dev/null")) == nil)
        #expect(OutputFile.write(Data(repeating: 7, count: 100_000), to: URL(fileURLWithPath: "/dev/null")) == nil)
        #expect(fileType("/dev/null") == S_IFCHR)
        let full = OutputFile.write(Data(repeating: 7, count: 1000), to: URL(fileURLWithPath: "/dev/full"))
        #expect(full?.contains("no space left on device") == true, "\(full ?? "accepted")")
        #expect(full?.contains("\n") == false)
        #expect(fileType("/dev/full") == S_IFCHR, "/dev/full must stay a device")

        // Through a link, too.
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(symlink("/dev/full", folder.file("full.png").path) == 0)
        #expect(OutputFile.write(Data("x".utf8), to: folder.file("full.png"))?.contains("no space left") == true)
        #expect(fileType(folder.file("full.png").path) == S_IFLNK)
        #expect(try folder.contents() == ["full.png"])
    }

    @Test("a FIFO's reader gets every byte, and the FIFO stays a FIFO")
    func fifo() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("pipe.png").path
        #expect(mkfifo(path, 0o600) == 0)
        let payload = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })  // more than a pipe buffer
        nonisolated(unsafe) var received = Data()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            if let handle = FileHandle(forReadingAtPath: path) {
                received = handle.readDataToEndOfFile()
                try? handle.close()
            }
            done.signal()
        }
        reader.start()
        #expect(OutputFile.write(payload, to: URL(fileURLWithPath: path)) == nil)
        // Should the write have failed before opening the FIFO, let the reader's open return (end of file).
        let release = open(path, O_WRONLY | O_NONBLOCK)
        if release >= 0 { close(release) }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(received == payload)
        #expect(fileType(path) == S_IFIFO)
        #expect(try folder.contents() == ["pipe.png"])
    }

    @Test("a link that names no file but leads to a pipe (/dev/stdout in a pipeline, /proc/self/fd/N) is written through",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/fd")))
    func procFileDescriptorLink() throws {
        let pipe = Pipe()
        let path = "/proc/self/fd/\(pipe.fileHandleForWriting.fileDescriptor)"
        #expect(fileType(path) == S_IFLNK)
        let payload = Data("through the pipe".utf8)
        #expect(OutputFile.write(payload, to: URL(fileURLWithPath: path)) == nil)
        try pipe.fileHandleForWriting.close()
        #expect(pipe.fileHandleForReading.readDataToEndOfFile() == payload)
    }
}
