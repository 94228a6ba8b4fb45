import Foundation
import Synchronization
import Testing
@testable import VAEModel

/// The trainer's long-lived threads: every job runs each index once, on distinct threads, and `run`
/// returns only after all of them.
@Suite("worker threads run each job on every thread once, and return after all")
struct WorkerThreadsTests {
    /// Runs `jobs` jobs on `pool`; each call adds 1 to its index's count and records its thread. Some
    /// jobs are slower on one index, so the caller or a helper finishes last.
    static func exercise(_ pool: WorkerThreads, jobs: Int) -> (counts: [Int], allThreadsDistinct: Bool, sawAllDone: Bool) {
        let count = pool.count
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let threads = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        defer { threads.deallocate() }
        nonisolated(unsafe) let countsView = counts, threadsView = threads
        var distinct = true, allDone = true
        for job in 0..<jobs {
            let finished = Atomic<Int>(0)
            pool.run { index in
                if index == job % count && job % 3 == 0 { Thread.sleep(forTimeInterval: 0.0005) }
                countsView[index] += 1
                threadsView[index] = Int(bitPattern: pthread_self())
                finished.add(1, ordering: .releasing)
            }
            allDone = allDone && finished.load(ordering: .acquiring) == count
            distinct = distinct && Set(threads).count == count
        }
        return (Array(counts), distinct, allDone)
    }

    @Test("two to five threads, 300 jobs each, with pauses between some jobs long enough to sleep",
          arguments: [1, 2, 3, 5])
    func everyIndexOncePerJob(count: Int) {
        let pool = WorkerThreads(count: count)
        let first = Self.exercise(pool, jobs: 300)
        #expect(first.counts == [Int](repeating: 300, count: count))
        #expect(first.allThreadsDistinct && first.sawAllDone)
        // Longer than the polling limit: the helpers go to sleep, and the next jobs wake them.
        Thread.sleep(forTimeInterval: Double(WorkerThreads.spinLimit) * 2e-9)
        let second = Self.exercise(pool, jobs: 20)
        #expect(second.counts == [Int](repeating: 20, count: count))
        #expect(second.allThreadsDistinct && second.sawAllDone)
    }

    @Test("more threads than processors: nobody polls, and every job still completes")
    func oversubscribed() {
        let pool = WorkerThreads(count: ProcessInfo.processInfo.activeProcessorCount + 3)
        let result = Self.exercise(pool, jobs: 50)
        #expect(result.counts == [Int](repeating: 50, count: pool.count))
        #expect(result.allThreadsDistinct && result.sawAllDone)
    }
}
