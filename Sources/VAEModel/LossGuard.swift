/// A training loss that has exploded: the batch whose loss tripped `LossGuard`, and what it was measured against.
public struct LossExplosion: Error, Equatable, Sendable {
    /// 1-based index of the batch within its epoch.
    public let batch: Int
    /// Batches in the epoch.
    public let batchCount: Int
    /// The batch's loss per example (NaN or infinite when the loss stopped being a number).
    public let batchLoss: Double
    /// The median of the recent batch losses it was compared with (nil for a first batch, or when the loss
    /// stopped being a number).
    public let recentMedian: Double?
    /// The factor the loss exceeded (`LossGuard.factor`).
    public let factor: Double

    public init(batch: Int, batchCount: Int, batchLoss: Double, recentMedian: Double?, factor: Double) {
        self.batch = batch; self.batchCount = batchCount; self.batchLoss = batchLoss
        self.recentMedian = recentMedian; self.factor = factor
    }

    /// Whether the loss stopped being a number (NaN or ±∞) rather than growing past the limit.
    public var isNonFinite: Bool { !batchLoss.isFinite }
}

/// Watches every training batch's loss per example and says when training has blown up.
///
/// Rule: batch b's loss L_b explodes when it is NaN or infinite, or when
/// L_b > factor · max(median(L_{b−window}, …, L_{b−1}), floor) — far above the losses of the
/// batches just before it (the first batch a guard sees is only checked for being finite). The
/// defaults, factor 100 over the last 100 batches with a floor of 1, leave a wide margin on normal
/// runs: measured batch by batch over 2 to 5 epochs with the tool's defaults, with the bce, mse and l1
/// losses, a tanh output, binarization, batch 16, on the Swiss roll, conditional, with KL warm-up and
/// with free bits, no batch's loss went above 1.9 times that median (the loss falls as training goes
/// on); `--lr 0.03` reached 10 times, once, in its second batch, and then trained normally. A learning
/// rate far too large does trip it: on the bundled MNIST subset, `--lr 0.1` and `--lr 0.3` trip it in the
/// second batch (at 0.3 that batch's loss is 40,000 times the first's).
///
/// The floor keeps noise from counting as an explosion on a model whose loss per example is near 0
/// (a loss below 1 counts as 1 in the reference). Losses are ≥ 0 for every reconstruction loss, so the
/// median is too. Checking a batch allocates nothing once the window is full.
public struct LossGuard: Sendable {
    /// How many times the recent median a batch's loss may reach (default 100).
    public let factor: Double
    /// How many recent batches the median is taken over (default 100).
    public let window: Int
    /// The smallest reference a loss is compared with (default 1).
    public let floor: Double
    /// The recent losses in arrival order (a ring of `window` values once full) and the same values sorted.
    private var recent: [Double] = []
    private var sorted: [Double] = []
    private var next = 0

    /// - Parameters: see the properties; `factor` > 1, `window` ≥ 1, `floor` > 0.
    public init(factor: Double = 100, window: Int = 100, floor: Double = 1) {
        precondition(factor > 1 && window >= 1 && floor > 0, "LossGuard: factor > 1, window ≥ 1 and floor > 0")
        self.factor = factor; self.window = window; self.floor = floor
        recent.reserveCapacity(window)
        sorted.reserveCapacity(window)
    }

    /// The median of the recent losses, or nil before the first one.
    public var recentMedian: Double? {
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Checks batch `batch` of `batchCount` (1-based) whose loss per example is `loss`; remembers the
    /// loss when it is fine.
    /// - Returns: the explosion, or nil when the loss is fine.
    public mutating func check(loss: Double, batch: Int, batchCount: Int) -> LossExplosion? {
        guard loss.isFinite else {
            return LossExplosion(batch: batch, batchCount: batchCount, batchLoss: loss, recentMedian: nil, factor: factor)
        }
        if let median = recentMedian, loss > factor * Swift.max(median, floor) {
            return LossExplosion(batch: batch, batchCount: batchCount, batchLoss: loss, recentMedian: median, factor: factor)
        }
        remember(loss)
        return nil
    }

    /// Adds `loss` to the window, dropping the oldest value once it is full.
    private mutating func remember(_ loss: Double) {
        if recent.count < window {
            recent.append(loss)
        } else {
            sorted.remove(at: insertionIndex(of: recent[next]))
            recent[next] = loss
            next = (next + 1) % window
        }
        sorted.insert(loss, at: insertionIndex(of: loss))
    }

    /// The first index of `sorted` whose value is ≥ `value` (binary search).
    private func insertionIndex(of value: Double) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
