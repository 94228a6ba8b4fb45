import Foundation

/// What one damaged file did to the reader under test.
public enum FuzzOutcome: Sendable {
    /// The reader accepted it (and the test checked that what it returned is self-consistent).
    case accepted
    /// The reader refused it with its typed error (and the test checked the message).
    case refused
}

/// How a fuzzing run went: how many damaged files were refused and accepted, the slowest single read,
/// and the whole run's time and peak-memory rise (`PeakMemory`).
public struct FuzzReport: CustomStringConvertible, Sendable {
    public let name: String
    public let iterations: Int
    public internal(set) var refused = 0
    public internal(set) var accepted = 0
    public internal(set) var slowestSeconds = 0.0
    public internal(set) var seconds = 0.0
    public internal(set) var peakRiseBytes = 0

    /// One line for the test log, e.g. "IDX fuzzer: 10000 iterations, 8472 refused, 1528 accepted, 0.3 s,
    /// slowest 0.000 s, peak memory rise 0 MiB".
    public var description: String {
        "\(name): \(iterations) iterations, \(refused) refused, \(accepted) accepted, "
            + "\(String(format: "%.1f", seconds)) s, slowest \(String(format: "%.3f", slowestSeconds)) s, "
            + "peak memory rise \(peakRiseBytes >> 20) MiB"
    }

    /// The rules every fuzzer's run must keep, each broken one as a sentence (empty when all hold):
    /// every iteration ended accepted or refused, more than half of the damaged files were refused, no
    /// file took a second, and peak memory rose by less than 300 MiB.
    public var violations: [String] {
        var broken: [String] = []
        if refused + accepted != iterations {
            broken.append("\(refused + accepted) of \(iterations) iterations ended accepted or refused")
        }
        if refused <= iterations / 2 {
            broken.append("most damaged files should be refused (\(refused) of \(iterations))")
        }
        if slowestSeconds >= 1 { broken.append("the slowest file took \(slowestSeconds) s") }
        if peakRiseBytes >= 300 << 20 { broken.append("peak memory rose by \(peakRiseBytes >> 20) MiB") }
        return broken
    }
}

/// The one fuzzing loop of the tests: `iterations` times, `makeInput` damages a file with a mutator seeded
/// `seed` (so a run is reproducible), and `read` gives it to the reader under test (with the iteration's
/// index, for messages) and says whether it was accepted or refused. Each read is timed; the whole run is
/// measured for peak memory. A check that fails inside `read` throws and ends the run.
public func fuzz<Input>(_ name: String, iterations: Int, seed: UInt64, makeInput: (inout Mutator) throws -> Input,
                        read: (Input, Int) throws -> FuzzOutcome) rethrows -> FuzzReport {
    var report = FuzzReport(name: name, iterations: iterations)
    var mutator = Mutator(seed: seed)
    let measured = try PeakMemory.measure { () throws -> Void in
        for iteration in 0..<iterations {
            let input = try makeInput(&mutator)
            let start = Date()
            switch try read(input, iteration) {
            case .accepted: report.accepted += 1
            case .refused: report.refused += 1
            }
            report.slowestSeconds = max(report.slowestSeconds, Date().timeIntervalSince(start))
        }
    }
    report.seconds = measured.seconds
    report.peakRiseBytes = measured.peakRiseBytes
    return report
}
