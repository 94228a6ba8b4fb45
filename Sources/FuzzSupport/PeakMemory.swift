import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's peak resident memory, to show that reading a file did not allocate what its header claims.
///
/// The peak only rises, so a reader's cost shows as the rise across a call: `after − before`. Other work
/// in the same process can add to the rise, never hide it, so a bound on it errs on the failing side.
public enum PeakMemory {
    /// Peak resident set size of this process so far, in bytes (`getrusage` `ru_maxrss`: kilobytes on
    /// Linux, bytes on macOS).
    public static var bytes: Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss)
        #endif
    }

    /// Runs `body` and returns its value with how far the peak rose and how long it took.
    public static func measure<Value>(_ body: () throws -> Value) rethrows -> Measured<Value> {
        let before = bytes
        let start = Date()
        let value = try body()
        return Measured(value: value, peakRiseBytes: bytes - before, seconds: Date().timeIntervalSince(start))
    }
}

/// A value with the cost of computing it.
public struct Measured<Value> {
    public let value: Value
    /// How far the process's peak resident memory rose meanwhile, in bytes.
    public let peakRiseBytes: Int
    /// Wall-clock time.
    public let seconds: Double
}
