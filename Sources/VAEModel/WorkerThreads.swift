import Foundation
import Synchronization

/// Threads that live as long as a trainer and run one job on all of them at once, twice per training
/// step (the workers' passes, then the parameter updates).
///
/// `run(body)` calls `body(0)` on the calling thread and `body(1)`, …, `body(count − 1)` on the helper
/// threads, and returns when every call has returned. Between jobs a helper first polls for the next
/// one for up to `spinLimit` (a step's serial part, batch preparation and the loss sums, takes about
/// 0.1 ms), then sleeps until woken: handing a job to a polling thread takes about a microsecond, waking
/// a sleeping one tens of microseconds (35 µs at the median for Dispatch's `concurrentPerform` on the
/// development machine, twice per 4 ms step). When there are more threads than processors, nobody
/// polls: a polling thread would hold a processor another one needs.
final class WorkerThreads: @unchecked Sendable {
    /// Threads taking part in a job, the caller included.
    let count: Int
    private let shared: Shared

    /// How long a waiting thread polls before it sleeps (2 ms).
    static let spinLimit: UInt64 = 2_000_000

    /// - Parameter count: threads per job, the caller's included (at least 1: then `run` just calls body(0)).
    init(count: Int) {
        precondition(count >= 1, "WorkerThreads: count must be at least 1")
        self.count = count
        let polls = count <= ProcessInfo.processInfo.activeProcessorCount
        shared = Shared(helpers: count - 1, spinLimit: polls ? Self.spinLimit : 0)
        for index in 1..<max(count, 1) {
            let shared = self.shared
            let thread = Thread { shared.helperLoop(index: index) }
            thread.stackSize = 8 << 20
            thread.name = "vae-worker-\(index)"
            thread.start()
        }
    }

    deinit { shared.stop() }

    /// Runs `body(t)` for t in 0..<count, t = 0 on the calling thread, and returns when all have returned.
    func run(_ body: (Int) -> Void) {
        if count == 1 { body(0); return }
        withoutActuallyEscaping(body) { job in
            shared.post(job)
            job(0)
            shared.waitForHelpers()
        }
    }

    /// What the caller and the helpers share: the job, its generation number, and the count of helpers
    /// still running it.
    private final class Shared: @unchecked Sendable {
        let helpers: Int
        let spinLimit: UInt64
        /// Bumped once per job (and once to stop); a helper runs a job when it sees a new value.
        let generation = Atomic<Int>(0)
        /// Helpers that have not finished the current job.
        let remaining = Atomic<Int>(0)
        /// Set once, when the owner goes away: helpers return instead of running a job.
        let stopping = Atomic<Bool>(false)
        /// Guards the sleeping counts below; sleepers wait on it.
        let condition = NSCondition()
        var sleepingHelpers = 0
        var callerSleeping = false
        /// Written by the caller before the generation is bumped, read by helpers after they see it.
        var job: ((Int) -> Void)?

        init(helpers: Int, spinLimit: UInt64) {
            self.helpers = helpers
            self.spinLimit = spinLimit
        }

        func post(_ job: @escaping (Int) -> Void) {
            self.job = job
            remaining.store(helpers, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            condition.lock()
            if sleepingHelpers > 0 { condition.broadcast() }
            condition.unlock()
        }

        func waitForHelpers() {
            if !poll(until: { remaining.load(ordering: .acquiring) == 0 }) {
                condition.lock()
                callerSleeping = true
                while remaining.load(ordering: .acquiring) != 0 { condition.wait() }
                callerSleeping = false
                condition.unlock()
            }
            job = nil
        }

        func stop() {
            stopping.store(true, ordering: .relaxed)
            condition.lock()
            generation.add(1, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
        }

        func helperLoop(index: Int) {
            var seen = 0
            while true {
                if !poll(until: { generation.load(ordering: .acquiring) != seen }) {
                    condition.lock()
                    sleepingHelpers += 1
                    while generation.load(ordering: .acquiring) == seen { condition.wait() }
                    sleepingHelpers -= 1
                    condition.unlock()
                }
                seen = generation.load(ordering: .acquiring)
                if stopping.load(ordering: .relaxed) { return }
                job!(index)
                if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    condition.lock()
                    if callerSleeping { condition.broadcast() }
                    condition.unlock()
                }
            }
        }

        /// Polls `done` for up to `spinLimit`; true when it turned true in that time.
        @inline(__always)
        private func poll(until done: () -> Bool) -> Bool {
            if done() { return true }
            guard spinLimit > 0 else { return false }
            let start = DispatchTime.now().uptimeNanoseconds
            var polls = 0
            while true {
                if done() { return true }
                polls &+= 1
                if polls & 255 == 0 && DispatchTime.now().uptimeNanoseconds - start > spinLimit { return false }
            }
        }
    }
}
