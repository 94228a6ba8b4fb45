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

    /// Times `cblas_sgemm` on each shape (single-threaded OpenBLAS is assumed set by the caller).
    /// - Parameter concurrency: how many threads run the products at once, each on buffers of its
    ///   own (as the trainer's workers do); the rate is their total.
    func measureSGEMM(shapes: [GEMMShape], batch: Int, concurrency: Int = 1, verbose: Bool) -> SGEMMResult {
        var generator = SeededGenerator(seed: 0xB1A5)
        var measurements: [GEMMMeasurement] = []
        for shape in shapes {
            let operands = (0..<concurrency).map { _ in GEMMOperands(shape: shape, generator: &generator) }
            defer { for o in operands { o.deallocate() } }
            let box = UncheckedSendable(operands)
            let run = { (calls: Int) in
                if concurrency == 1 {
                    for _ in 0..<calls { box.value[0].call() }
                } else {
                    DispatchQueue.concurrentPerform(iterations: concurrency) { t in
                        for _ in 0..<calls { box.value[t].call() }
                    }
                }
            }
            // Warm up, then size a sample to about sgemmSampleMilliseconds.
            run(3)
            var calls = 1
            while true {
                let t = time { run(calls) }
                if t >= sgemmSampleMilliseconds * 1e-3 / 4 || calls >= 1 << 20 {
                    calls = max(1, Int(Double(calls) * sgemmSampleMilliseconds * 1e-3 / max(t, 1e-9)))
                    break
                }
                calls *= 4
            }
            var rates: [Double] = []
            for _ in 0..<7 {
                let t = time { run(calls) }
                rates.append(shape.flops * Double(calls * concurrency) / t / 1e9)
            }
            let rate = median(rates)
            measurements.append(GEMMMeasurement(shape: shape, flops: shape.flops, gflops: rate,
                                                secondsPerCall: shape.flops / (rate * 1e9)))
            if verbose {
                let label = shape.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                let notation = shape.notation.padding(toLength: 22, withPad: " ", startingAt: 0)
                print("  \(label) \(notation) \(formatFixed(shape.flops / 1e6, decimals: 1).leftPadded(6)) MFLOP "
                      + "\(formatFixed(rate, decimals: 1).leftPadded(6)) GFLOP/s")
            }
        }
        let totalFlops = measurements.reduce(0) { $0 + $1.flops }
        let totalSeconds = measurements.reduce(0) { $0 + $1.secondsPerCall }
        return SGEMMResult(batch: batch, threads: concurrency, shapes: measurements,
                           combinedGFLOPS: totalFlops / totalSeconds / 1e9, flopsPerExample: totalFlops / Double(batch))
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
