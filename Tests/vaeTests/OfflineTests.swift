import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// A loopback port nothing listens on (bound to find a free number, then released).
private func closedLoopbackPort() -> UInt16 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 ? getsockname(descriptor, pointer, &length) : -1
        }
    }
    return UInt16(bigEndian: address.sin_port)
}

@Suite("offline")
struct OfflineTests {
    @Test("vae download against a closed port: the header, then one error line, at once; no data folder is left")
    func downloadFromClosedPort() throws {
        try withSandbox { sandbox in
            let base = "http://127.0.0.1:\(closedLoopbackPort())/mnist/"
            let process = Process()
            process.executableURL = try VAEBinary.require()
            process.arguments = ["download"]
            process.currentDirectoryURL = sandbox.directory
            var environment = ProcessInfo.processInfo.environment
            environment["VAE_DOWNLOAD_BASE_URL"] = base
            process.environment = environment
            // Both streams into one pipe, to see the order a terminal would show.
            let both = Pipe()
            process.standardOutput = both
            process.standardError = both
            let start = Date()
            try process.run()
            let output = String(decoding: both.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(Date().timeIntervalSince(start) < 10, "a closed port must fail at once\n\(output)")
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(output)")
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(output)")
            #expect(lines.first == "Downloading MNIST into data/mnist from \(base)", "the header comes first\n\(output)")
            let error = lines.last ?? ""
            #expect(error.hasPrefix("Error: ") && error.contains(base + "train-images-idx3-ubyte.gz") && error.contains("--data"),
                    "\(output)")
            #expect(sandbox.allFiles().isEmpty && !sandbox.exists("data"), "left behind: \(sandbox.allFiles())")
        }
    }

    @Test("train in a folder whose data/mnist holds no images uses the bundled data, saying so on one line")
    func emptyDataFolderFallsBack() throws {
        try withSandbox { sandbox in
            try FileManager.default.createDirectory(at: sandbox.url("data/mnist"), withIntermediateDirectories: true)
            let result = try sandbox.vaeSucceeds("train", "--epochs", "1", "--limit", "64", "--hidden", "16", "--sample-every", "0")
            #expect(result.stdout.contains("Note: ./data/mnist holds no training images, so the bundled MNIST subset is used "
                + "(run 'vae download' to fetch MNIST).\nData: bundled MNIST subset: 64 train"), "\(result)")
            #expect(result.stderr.isEmpty, "\(result)")
        }
    }
}
