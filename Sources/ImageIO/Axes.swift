import Foundation

/// A closed interval of data values shown along one axis.
public struct AxisRange: Sendable, Hashable {
    /// Value at the left (x) or bottom (y) edge of the plot area.
    public var low: Double
    /// Value at the right (x) or top (y) edge of the plot area.
    public var high: Double

    /// Creates a range; `low < high`.
    public init(low: Double, high: Double) {
        precondition(low < high, "axis range needs low < high, got [\(low), \(high)]")
        self.low = low
        self.high = high
    }

    /// The smallest range containing `values` (non-finite ones ignored), widened by
    /// `marginFraction · (max − min)` on each side.
    ///
    /// A single distinct value v gets the range v ± max(0.5, |v| · 0.05) before the margin is added;
    /// no finite values at all give [0, 1].
    /// - Parameters:
    ///   - values: Data values.
    ///   - marginFraction: Fraction of the data span added on each side (default 0.05).
    public static func enclosing<S: Sequence>(_ values: S, marginFraction: Double = 0.05) -> AxisRange
    where S.Element == Float {
        var low = Double.infinity, high = -Double.infinity
        for v in values where v.isFinite {
            low = min(low, Double(v))
            high = max(high, Double(v))
        }
        guard low <= high else { return AxisRange(low: 0, high: 1) }
        if low == high {
            let half = max(0.5, abs(low) * 0.05)
            return AxisRange(low: low - half, high: high + half)
        }
        let margin = (high - low) * marginFraction
        return AxisRange(low: low - margin, high: high + margin)
    }
}

/// Tick positions for one axis and their text labels.
public struct AxisTicks: Sendable, Hashable {
    /// Distance between consecutive ticks, of the form {1, 2, 5} · 10^k.
    public var step: Double
    /// Tick values in increasing order, all multiples of `step` inside the requested range.
    public var values: [Double]
    /// One label per value, printed with just enough decimals for `step` (e.g. "0.5", "-10").
    public var labels: [String]
}

/// "Nice" tick values covering [low, high]: the step is the smallest of {1, 2, 5} · 10^k that is at
/// least `(high − low) / (targetCount − 1)`, and the ticks are every multiple of it within the range.
///
/// - Parameters:
///   - low: Start of the range.
///   - high: End of the range; if it is not above `low` (or either is not finite) a single tick at `low` is returned.
///   - targetCount: Roughly how many ticks are wanted (default 6), at least 2; at most `targetCount` result.
///   - integersOnly: When true the step is at least 1, so every tick is a whole number printed without
///     decimals (for counts such as epochs; default false). Fewer than `targetCount` ticks may result.
/// - Returns: The step, the tick values and their labels.
public func niceTicks(from low: Double, to high: Double, targetCount: Int = 6, integersOnly: Bool = false) -> AxisTicks {
    precondition(targetCount >= 2, "targetCount must be at least 2, got \(targetCount)")
    guard low.isFinite, high.isFinite, high > low else {
        let value = low.isFinite ? low : 0
        return AxisTicks(step: 1, values: [value], labels: [formatTick(value, decimals: 0)])
    }
    let rawStep = max((high - low) / Double(targetCount - 1), integersOnly ? 1 : 0)
    let magnitude = pow(10, floor(log10(rawStep)))
    var step = 10 * magnitude
    for multiplier in [1.0, 2.0, 5.0] where multiplier * magnitude >= rawStep * (1 - 1e-9) {
        step = multiplier * magnitude
        break
    }
    let tolerance = 1e-9
    let first = Int((low / step - tolerance).rounded(.up))
    let last = Int((high / step + tolerance).rounded(.down))
    let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
    var values: [Double] = [], labels: [String] = []
    if first <= last {
        for k in first...last {
            let value = Double(k) * step
            values.append(value)
            labels.append(k == 0 ? formatTick(0, decimals: decimals) : formatTick(value, decimals: decimals))
        }
    }
    return AxisTicks(step: step, values: values, labels: labels)
}

/// Fixed-point text for a tick value with the given number of decimals.
private func formatTick(_ value: Double, decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}

