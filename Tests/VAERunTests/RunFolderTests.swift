import Foundation
import Testing
@testable import VAERun

@Suite("run folders")
struct RunFolderTests {
    @Test("claims racing on eight threads each get their own run-NNN, numbered after the highest present")
    func claimsRacingInThreads() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)/runs")
        try FileManager.default.createDirectory(at: root.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let first = try RunFolder.claimNext(in: root)
        #expect(first.folder.url.lastPathComponent == "run-001")
        #expect(first.created.map(\.lastPathComponent) == ["runs", "run-001"], "runs/ was made for it")
        try Data().write(to: root.appendingPathComponent("run-002"))  // a file in the way is skipped

        let lock = NSLock()
        nonisolated(unsafe) var claimed: [String] = []
        nonisolated(unsafe) var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<8 {
                do {
                    let claim = try RunFolder.claimNext(in: root)
                    lock.withLock {
                        claimed.append(claim.folder.url.lastPathComponent)
                        if claim.created != [claim.folder.url] { failures.append("created \(claim.created)") }
                    }
                } catch {
                    lock.withLock { failures.append("\(error)") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(claimed.count == 64 && Set(claimed).count == 64, "two claims got the same folder: \(claimed.sorted())")
        #expect(Set(claimed) == Set((3...66).map { String(format: "run-%03d", $0) }))
    }

    @Test("a run folder's lock is held by one holder at a time and released when dropped")
    func lock() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let claim = try RunFolder.claim(folder)
        #expect(claim.created == [folder.standardizedFileURL])
        var held: RunFolderLock? = try claim.folder.lock()
        #expect(throws: RunFolderError.inUse(path: displayPath(folder))) { _ = try claim.folder.lock() }
        #expect(held != nil)
        held = nil
        #expect(throws: Never.self) { _ = try claim.folder.lock() }
        // Claiming a folder that exists makes nothing.
        #expect(try RunFolder.claim(folder).created.isEmpty)
    }

    @Test("the latest run: none under a missing folder, the newest model among the runs, an error naming a runs path that is a file")
    func latestRun() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("latest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("runs")
        #expect(try RunFolder.latest(in: root) == nil)
        for (name, age) in [("run-001", 20.0), ("run-002", 10.0), ("run-003", 0.0)] {
            let run = RunFolder(url: root.appendingPathComponent(name))
            try run.create()
            guard name != "run-003" else { continue }  // a run still in its first epoch has no model yet
            try Data([1]).write(to: run.modelURL)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)],
                                                  ofItemAtPath: run.modelURL.path)
        }
        #expect(try RunFolder.latest(in: root)?.url.lastPathComponent == "run-002")

        let file = base.appendingPathComponent("notes")
        try Data("x".utf8).write(to: file)
        #expect(throws: RunFolderError.cannotList(path: displayPath(file), reason: "not a directory")) {
            _ = try RunFolder.latest(in: file)
        }
        #expect(throws: RunFolderError.isAFile(path: displayPath(file))) { _ = try RunFolder.claimNext(in: file) }
    }
}
