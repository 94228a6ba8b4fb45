// sgemm timed on the matrix shapes a training step runs, as its tape declares them.

import ArgumentParser
import Dispatch
import Foundation
import MNISTData
import SeededRandom
import TensorCore
import VAEModel

extension Bench {
    // MARK: sgemm

    /// Times `cblas_sgemm` on each shape (single-threaded OpenBLAS is assumed set by the caller): 7
    /// samples of every shape, the median per shape.
    /// - Parameter concurrency: how many threads run the products at once, each on buffers of its
    ///   own (as the trainer's workers do); the rate is their total.
    func measureSGEMM(shapes: [GEMMShape], batch: Int, concurrency: Int = 1, verbose: Bool) -> SGEMMResult {
        let result = SGEMMSampler(shapes: shapes, batch: batch, concurrency: concurrency,
                                  sampleMilliseconds: sgemmSampleMilliseconds).windowResult()
        if verbose {
            for measurement in result.shapes {
                let label = measurement.shape.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                let notation = measurement.shape.notation.padding(toLength: 22, withPad: " ", startingAt: 0)
                print("  \(label) \(notation) \(formatFixed(measurement.flops / 1e6, decimals: 1).leftPadded(6)) MFLOP "
                      + "\(formatFixed(measurement.gflops, decimals: 1).leftPadded(6)) GFLOP/s")
            }
        }
        return result
    }

}

/// sgemm on a training step's shapes, one sample of every shape per pass, so that passes can sit
/// between the epochs of a training run and see the machine as the run does.
///
/// Each shape gets buffers of its own per thread (uniform noise, seed 0xB1A5), three untimed calls, and
/// a number of calls per sample sized to about `sampleMilliseconds`. A sample runs those calls back to
/// back on operands left in cache: the rate a product reaches when nothing else competes for the caches.
final class SGEMMSampler {
    let shapes: [GEMMShape]
    /// Rows per product (the batch, or a worker's share of it).
    let batch: Int
    /// Threads running the products at once, each on its own buffers; rates are their total.
    let concurrency: Int
    /// Calls per sample, per shape (on each thread).
    private var calls: [Int] = []
    /// Seconds of each pass's sample, per shape.
    private var seconds: [[Double]]
    private var operands: [[GEMMOperands]] = []

    /// Allocates the operands, warms every shape up and sizes its samples; takes no sample.
    init(shapes: [GEMMShape], batch: Int, concurrency: Int, sampleMilliseconds: Double) {
        self.shapes = shapes
        self.batch = batch
        self.concurrency = concurrency
        seconds = Array(repeating: [], count: shapes.count)
        var generator = SeededGenerator(seed: 0xB1A5)
        for (index, shape) in shapes.enumerated() {
            operands.append((0..<concurrency).map { _ in GEMMOperands(shape: shape, generator: &generator) })
            run(shape: index, calls: 3)
            var count = 1
            while true {
                let t = time { run(shape: index, calls: count) }
                if t >= sampleMilliseconds * 1e-3 / 4 || count >= 1 << 20 {
                    count = max(1, Int(Double(count) * sampleMilliseconds * 1e-3 / max(t, 1e-9)))
                    break
                }
                count *= 4
            }
            calls.append(count)
        }
    }

    deinit { for group in operands { for o in group { o.deallocate() } } }

    /// Passes taken so far.
    var passes: Int { seconds.first?.count ?? 0 }

    /// Forgets the samples taken so far (the operands and calls per sample stay).
    func reset() { seconds = Array(repeating: [], count: shapes.count) }

    /// Times one sample of every shape, in the step's order.
    func samplePass() {
        for index in shapes.indices {
            let n = calls[index]
            seconds[index].append(time { run(shape: index, calls: n) })
        }
    }

    /// A measurement in a window of its own: the samples so far forgotten, then `passes` passes, and per
    /// shape the median of their rates.
    func windowResult(passes: Int = 7) -> SGEMMResult {
        reset()
        for _ in 0..<passes { samplePass() }
        return medianResult
    }

    /// Per shape the median of its samples' rates; combined as `SGEMMResult.combinedGFLOPS` says.
    private var medianResult: SGEMMResult {
        result { index in
            median(seconds[index].map { Double(calls[index] * concurrency) * shapes[index].flops / $0 / 1e9 })
        }
    }

    /// Per shape all its samples' calls over all their seconds: the rate over the whole time sampled,
    /// the statistic a training run's images/s is (its images over its epochs' seconds).
    var totalResult: SGEMMResult {
        result { index in
            Double(calls[index] * concurrency * seconds[index].count) * shapes[index].flops / seconds[index].reduce(0, +) / 1e9
        }
    }

    private func result(rate: (Int) -> Double) -> SGEMMResult {
        let measurements = shapes.indices.map { index in
            let gflops = rate(index)
            return GEMMMeasurement(shape: shapes[index], flops: shapes[index].flops, gflops: gflops,
                                   secondsPerCall: shapes[index].flops / (gflops * 1e9))
        }
        let totalFlops = measurements.reduce(0) { $0 + $1.flops }
        let totalSeconds = measurements.reduce(0) { $0 + $1.secondsPerCall }
        return SGEMMResult(batch: batch, threads: concurrency, shapes: measurements,
                           combinedGFLOPS: totalFlops / totalSeconds / 1e9, flopsPerExample: totalFlops / Double(batch))
    }

    private func run(shape index: Int, calls: Int) {
        let group = UncheckedSendable(operands[index])
        if concurrency == 1 {
            for _ in 0..<calls { group.value[0].call() }
        } else {
            DispatchQueue.concurrentPerform(iterations: concurrency) { t in
                for _ in 0..<calls { group.value[t].call() }
            }
        }
    }
}

/// Seconds `body` takes (monotonic clock).
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

/// The median of `values` (mean of the middle two for an even count); NaN when empty.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// A, B and C buffers for one product, filled with uniform noise.
private struct GEMMOperands {
    let shape: GEMMShape
    let a: UnsafeMutableBufferPointer<Float>
    let b: UnsafeMutableBufferPointer<Float>
    let c: UnsafeMutableBufferPointer<Float>

    init(shape: GEMMShape, generator: inout SeededGenerator) {
        self.shape = shape
        a = .allocate(capacity: shape.m * shape.k)
        b = .allocate(capacity: shape.k * shape.n)
        c = .allocate(capacity: shape.m * shape.n)
        generator.fillUniform(a, low: -1, high: 1)
        generator.fillUniform(b, low: -1, high: 1)
        c.initialize(repeating: 0)
    }

    /// One sgemm call, C = A·B (+ beta·C) as the shape says.
    func call() {
        gemm(transposeA: shape.transposeA ? .transposed : .none, transposeB: shape.transposeB ? .transposed : .none,
             m: shape.m, n: shape.n, k: shape.k, a: UnsafePointer(a.baseAddress!), lda: shape.lda,
             b: UnsafePointer(b.baseAddress!), ldb: shape.ldb, beta: shape.beta, c: c.baseAddress!, ldc: shape.n)
    }

    func deallocate() { a.deallocate(); b.deallocate(); c.deallocate() }
}

/// Carries buffers into a concurrent closure whose threads touch disjoint ones.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
