import Foundation
import Testing
@testable import MNISTData

@Suite("MD5")
struct MD5Tests {
    @Test("RFC 1321 test suite vectors")
    func rfcVectors() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (message, digest) in vectors {
            #expect(MD5.hex(of: Array(message.utf8)) == digest, "MD5(\"\(message)\")")
        }
    }

    @Test("chunked updates give the same digest as one update, across block boundaries")
    func incremental() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = MD5.hex(of: bytes)
        for chunkSize in [1, 3, 55, 56, 63, 64, 65, 200] {
            var digest = MD5()
            var start = 0
            while start < bytes.count {
                digest.update(bytes[start..<min(start + chunkSize, bytes.count)])
                start += chunkSize
            }
            #expect(digest.finalizeHex() == whole, "chunk size \(chunkSize)")
        }
        #expect(whole != MD5.hex(of: bytes.dropLast()))
    }
}

@Suite("Download over loopback", .serialized)
struct DownloadTests {
    let first = Array("first file contents\n".utf8)
    let second = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    func files() -> [DownloadFile] {
        [DownloadFile(name: "a-idx1-ubyte.gz", md5: MD5.hex(of: first)),
         DownloadFile(name: "b-idx3-ubyte.gz", md5: MD5.hex(of: second))]
    }

    func contents(of folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test("good files download, verify and land under their names with no temporary files left")
    func goodFiles() throws {
        let server = try LoopbackHTTPServer(routes: ["/mnist/a-idx1-ubyte.gz": .ok(first), "/mnist/b-idx3-ubyte.gz": .ok(second)],
                                            maxConnections: 2)
        try withTemporaryDirectory { base in
            let folder = base.appendingPathComponent("data/mnist")
            let downloader = Downloader(mirrors: [server.baseURL("mnist")], files: files(), timeout: 10, progress: .silent)
            let report = try downloader.download(into: folder)
            #expect(report.downloaded == ["a-idx1-ubyte.gz", "b-idx3-ubyte.gz"])
            #expect(report.skipped.isEmpty)
            #expect(contents(of: folder) == ["a-idx1-ubyte.gz", "b-idx3-ubyte.gz"])
            #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("b-idx3-ubyte.gz"))) == second)
            #expect(server.requests == ["/mnist/a-idx1-ubyte.gz", "/mnist/b-idx3-ubyte.gz"])
        }
        server.waitUntilStopped()
    }

    @Test("a file whose checksum does not match is refused and nothing is left behind")
    func corrupt() throws {
        var damaged = second
        damaged[100] ^= 0xFF
        let server = try LoopbackHTTPServer(routes: ["/m/b-idx3-ubyte.gz": .ok(damaged)], maxConnections: 1)
        try withTemporaryDirectory { folder in
            let downloader = Downloader(mirrors: [server.baseURL("m")], files: [files()[1]], timeout: 10, progress: .silent)
            let url = server.baseURL("m").appendingPathComponent("b-idx3-ubyte.gz").absoluteString
            #expect(throws: DownloadError.checksumMismatch(url: url, file: "b-idx3-ubyte.gz",
                                                           expected: MD5.hex(of: second), actual: MD5.hex(of: damaged))) {
                try downloader.download(into: folder)
            }
            #expect(contents(of: folder).isEmpty)
        }
        server.waitUntilStopped()
    }

    @Test("a body shorter than its Content-Length is refused and nothing is left behind")
    func truncated() throws {
        let server = try LoopbackHTTPServer(routes: ["/m/b-idx3-ubyte.gz": .truncated(second, sentBytes: 20_000)], maxConnections: 1)
        try withTemporaryDirectory { folder in
            let downloader = Downloader(mirrors: [server.baseURL("m")], files: [files()[1]], timeout: 10, progress: .silent)
            let url = server.baseURL("m").appendingPathComponent("b-idx3-ubyte.gz").absoluteString
            #expect(throws: DownloadError.truncated(url: url, expectedBytes: second.count, receivedBytes: 20_000)) {
                try downloader.download(into: folder)
            }
            #expect(contents(of: folder).isEmpty)
        }
        server.waitUntilStopped()
    }

    @Test("files already present and valid are skipped without a request; a damaged copy is replaced")
    func skipsValidFiles() throws {
        let server = try LoopbackHTTPServer(routes: ["/m/b-idx3-ubyte.gz": .ok(second)], maxConnections: 1)
        try withTemporaryDirectory { folder in
            try write(first, to: folder, name: "a-idx1-ubyte.gz")
            try write([1, 2, 3], to: folder, name: "b-idx3-ubyte.gz")
            let downloader = Downloader(mirrors: [server.baseURL("m")], files: files(), timeout: 10, progress: .silent)
            let report = try downloader.download(into: folder)
            #expect(report.skipped == ["a-idx1-ubyte.gz"])
            #expect(report.downloaded == ["b-idx3-ubyte.gz"])
            #expect(server.requests == ["/m/b-idx3-ubyte.gz"])
            #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("b-idx3-ubyte.gz"))) == second)
            // Second run: everything valid, no request at all.
            let again = try downloader.download(into: folder)
            #expect(again.skipped == ["a-idx1-ubyte.gz", "b-idx3-ubyte.gz"] && again.downloaded.isEmpty)
            #expect(server.requests.count == 1)
        }
        server.waitUntilStopped()
    }

    @Test("the fallback mirror is used when the first answers 404; all failing lists each failure")
    func fallback() throws {
        let server = try LoopbackHTTPServer(routes: ["/good/a-idx1-ubyte.gz": .ok(first)], maxConnections: 4)
        try withTemporaryDirectory { folder in
            let downloader = Downloader(mirrors: [server.baseURL("gone"), server.baseURL("good")], files: [files()[0]],
                                        timeout: 10, progress: .silent)
            let report = try downloader.download(into: folder)
            #expect(report.downloaded == ["a-idx1-ubyte.gz"])
            #expect(server.requests == ["/gone/a-idx1-ubyte.gz", "/good/a-idx1-ubyte.gz"])

            let nowhere = Downloader(mirrors: [server.baseURL("x"), server.baseURL("y")], files: [files()[1]],
                                     timeout: 10, progress: .silent)
            let x = server.baseURL("x").appendingPathComponent("b-idx3-ubyte.gz").absoluteString
            let y = server.baseURL("y").appendingPathComponent("b-idx3-ubyte.gz").absoluteString
            #expect(throws: DownloadError.allMirrorsFailed(file: "b-idx3-ubyte.gz", failures: [
                .httpStatus(url: x, status: 404), .httpStatus(url: y, status: 404)])) {
                try nowhere.download(into: folder)
            }
            #expect(contents(of: folder) == ["a-idx1-ubyte.gz"])
        }
        server.waitUntilStopped()
    }

    @Test("an unreachable server gives a network error naming the URL and suggesting --data")
    func offline() throws {
        try withTemporaryDirectory { folder in
            let base = URL(string: "http://127.0.0.1:\(unusedLoopbackPort())/mnist/")!
            let downloader = Downloader(mirrors: [base], files: [files()[0]], timeout: 5, progress: .silent)
            do {
                _ = try downloader.download(into: folder)
                Issue.record("download from a closed port must fail")
            } catch let error as DownloadError {
                guard case .network(let url, _) = error else {
                    Issue.record("expected a network error, got \(error)")
                    return
                }
                #expect(url == base.appendingPathComponent("a-idx1-ubyte.gz").absoluteString)
                #expect(error.description.contains(url))
                #expect(error.description.contains("--data"))
            }
            #expect(contents(of: folder).isEmpty)
        }
    }

    @Test("a closed port fails at once and creates no folder, not even its parents")
    func closedPortCreatesNothing() throws {
        try withTemporaryDirectory { base in
            let folder = base.appendingPathComponent("data/mnist")
            let mirror = URL(string: "http://127.0.0.1:\(unusedLoopbackPort())/mnist/")!
            let downloader = Downloader(mirrors: [mirror, mirror.appendingPathComponent("again")], files: files(), progress: .silent)
            let start = Date()
            #expect(throws: DownloadError.self) { try downloader.download(into: folder) }
            #expect(Date().timeIntervalSince(start) < 5, "a refused connection must fail at once")
            #expect(contents(of: base).isEmpty, "left behind: \(contents(of: base))")
        }
    }

    @Test("a server that stops answering fails after the request timeout, leaving nothing")
    func silentServerTimesOut() throws {
        let server = try LoopbackHTTPServer(routes: ["/m/a-idx1-ubyte.gz": .silent(seconds: 5)], maxConnections: 1)
        try withTemporaryDirectory { base in
            let folder = base.appendingPathComponent("data/mnist")
            let downloader = Downloader(mirrors: [server.baseURL("m")], files: [files()[0]], timeout: 1, progress: .silent)
            let start = Date()
            do {
                _ = try downloader.download(into: folder)
                Issue.record("a silent server must time out")
            } catch let error as DownloadError {
                guard case .network = error else { Issue.record("expected a network error, got \(error)"); return }
            }
            #expect(Date().timeIntervalSince(start) < 3, "the 1-second timeout was not applied")
            #expect(contents(of: base).isEmpty, "left behind: \(contents(of: base))")
        }
        server.waitUntilStopped()
    }

    @Test("a stop asked during a transfer ends it within seconds, keeps nothing, and says so")
    func stopDuringTransfer() throws {
        let server = try LoopbackHTTPServer(routes: ["/m/a-idx1-ubyte.gz": .silent(seconds: 5)], maxConnections: 1)
        try withTemporaryDirectory { base in
            let folder = base.appendingPathComponent("data/mnist")
            var downloader = Downloader(mirrors: [server.baseURL("m")], files: [files()[0]], timeout: 10, progress: .silent)
            let start = Date()
            downloader.stopRequested = { Date().timeIntervalSince(start) > 0.5 }
            do {
                _ = try downloader.download(into: folder)
                Issue.record("a stopped download must throw")
            } catch let error as DownloadError {
                #expect(error == .stopped(file: "a-idx1-ubyte.gz"))
                #expect(error.description.contains("a-idx1-ubyte.gz") && error.description.contains("again"))
            }
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed > 0.4 && elapsed < 3, "stopped after \(elapsed) s; the server stays silent for 5 s")
            #expect(contents(of: base).isEmpty, "left behind: \(contents(of: base))")
        }
        server.waitUntilStopped()
    }

    @Test("a stop asked before the first file fetches nothing")
    func stopBeforeStart() throws {
        try withTemporaryDirectory { base in
            var downloader = Downloader(mirrors: [URL(string: "http://127.0.0.1:\(unusedLoopbackPort())/m/")!], files: files(),
                                        timeout: 10, progress: .silent)
            downloader.stopRequested = { true }
            #expect(throws: DownloadError.stopped(file: files()[0].name)) { try downloader.download(into: base.appendingPathComponent("d")) }
            #expect(contents(of: base).isEmpty)
        }
    }

    @Test("libcurl is opened from the system; a missing one is one line saying what to install")
    func curlLibrary() throws {
        let curl = try CurlLibrary.shared()
        #expect(curl.describe(0) == "No error")
        #expect(curl.describe(7) == "Couldn't connect to server")
        do {
            _ = try CurlLibrary(names: ["libcurl-that-is-not-there.so.4"])
            Issue.record("a library that does not exist must not load")
        } catch {
            #expect(error.description.contains("libcurl4") && error.description.contains("--data"))
            #expect(!error.description.contains("\n"))
            let message = DownloadError.networkLibraryMissing(reason: error.description).description
            #expect(message.hasPrefix("Cannot download: libcurl is not installed"))
        }
    }

    @Test("the default timeout fails a dead network in seconds")
    func defaultTimeoutIsShort() {
        #expect(Downloader.defaultTimeout <= 15)
        #expect(Downloader(dataset: .mnist).timeout == Downloader.defaultTimeout)
    }

    @Test("the folder is made only when a file has been verified; files verified before a failure stay, nothing else")
    func folderMadeOnVerifiedFile() throws {
        var damaged = second
        damaged[7] ^= 1
        let server = try LoopbackHTTPServer(routes: ["/m/a-idx1-ubyte.gz": .ok(first), "/m/b-idx3-ubyte.gz": .ok(damaged)],
                                            maxConnections: 2)
        try withTemporaryDirectory { base in
            let folder = base.appendingPathComponent("data/mnist")
            let downloader = Downloader(mirrors: [server.baseURL("m")], files: files(), timeout: 10, progress: .silent)
            #expect(throws: DownloadError.self) { try downloader.download(into: folder) }
            #expect(contents(of: base) == ["data"])
            #expect(contents(of: folder) == ["a-idx1-ubyte.gz"], "only the verified file, no temporary file")
        }
        server.waitUntilStopped()
    }

    @Test("a folder that cannot be written is reported once, without trying the other mirrors")
    func unwritableFolder() throws {
        try withTemporaryDirectory { base in
            try write([1], to: base, name: "taken")
            let mirror = URL(string: "http://127.0.0.1:\(unusedLoopbackPort())/m/")!
            let downloader = Downloader(mirrors: [mirror, mirror], files: files(), progress: .silent)
            #expect(throws: DownloadError.cannotWrite(path: base.appendingPathComponent("taken/mnist").path,
                                                      reason: "\(base.appendingPathComponent("taken").path) is a file, not a folder")) {
                try downloader.download(into: base.appendingPathComponent("taken/mnist"))
            }
            #expect(contents(of: base) == ["taken"])
        }
    }

    @Test("every mirror failing is reported on one line")
    func allMirrorsFailedIsOneLine() {
        let error = DownloadError.allMirrorsFailed(file: "x.gz", failures: [
            .httpStatus(url: "http://a/x.gz", status: 404), .network(url: "http://b/x.gz", reason: "refused")])
        #expect(!error.description.contains("\n"), "\(error.description)")
        #expect(error.description.contains("http://a/x.gz") && error.description.contains("http://b/x.gz"))
        #expect(error.description.contains("--data"))
    }

    @Test("known data sets list the standard files, checksums and mirrors")
    func catalogue() {
        let mnist = DownloadableDataset.mnist
        let expectedNames: [String] = [(DataSplit.train, DataFileKind.images), (.train, .labels), (.test, .images), (.test, .labels)]
            .map { standardFileNames(split: $0.0, kind: $0.1)[0] }
        #expect(mnist.files.map(\.name) == expectedNames)
        #expect(mnist.files[0].md5 == "f68b3c2dcbeaaa9fbdd348bbdeb94873")
        #expect(mnist.mirrors.count == 2)
        #expect(mnist.defaultFolder == DataLocation.localFolderPath)
        #expect(DownloadableDataset.fashionMNIST.defaultFolder == "data/fashion-mnist")
        for dataset in DownloadableDataset.allCases {
            #expect(dataset.files.count == 4)
            #expect(dataset.files.allSatisfy { $0.md5.count == 32 })
            #expect(!dataset.mirrors.isEmpty)
        }
        let overridden = Downloader(dataset: .kmnist, baseURL: URL(string: "http://127.0.0.1:1/k"), progress: .silent)
        #expect(overridden.mirrors == [URL(string: "http://127.0.0.1:1/k/")!])
    }
}
