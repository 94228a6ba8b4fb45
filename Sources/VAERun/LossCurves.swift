import Foundation
import ImageIO

/// One run's metrics, named for a legend.
public struct NamedMetrics: Sendable {
    public let name: String
    public let records: [EpochRecord]

    public init(name: String, records: [EpochRecord]) {
        self.name = name
        self.records = records
    }
}

/// Loss curves from `metrics.jsonl`: x = epoch, train solid, test dashed.
///
/// One run: the total loss, the reconstruction term and the KL term, one colour each. Several runs: the
/// total loss of each run, one colour per run (the three terms of ten runs would be unreadable).
public enum LossCurves {
    /// The chart of `runs` (each with at least one record), 500 pixels high, 800 wide or more for long run names.
    public static func chart(_ runs: [NamedMetrics], title: String) -> LinePlot {
        var series: [LineSeries] = []
        func add(_ name: String, _ records: [EpochRecord], color: RGBColor, train: (EpochRecord) -> Double,
                 test: (EpochRecord) -> Double?) {
            series.append(LineSeries(name: "\(name) train",
                                     points: records.map { PlotPoint(x: Float($0.epoch), y: Float(train($0))) }, color: color))
            let testPoints = records.compactMap { r in test(r).map { PlotPoint(x: Float(r.epoch), y: Float($0)) } }
            if !testPoints.isEmpty {
                series.append(LineSeries(name: "\(name) test", points: testPoints, color: color, style: .dashed))
            }
        }
        if runs.count == 1, let run = runs.first {
            add("total", run.records, color: .categorical(0), train: \.trainLoss, test: \.testLoss)
            add("recon", run.records, color: .categorical(1), train: \.trainReconstruction, test: \.testReconstruction)
            add("KL", run.records, color: .categorical(2), train: \.trainKL, test: \.testKL)
        } else {
            for (index, run) in runs.enumerated() {
                add(run.name, run.records, color: .categorical(index), train: \.trainLoss, test: \.testLoss)
            }
        }
        let lowest = series.flatMap { $0.points.map(\.y) }.min() ?? 0
        // Losses start at 0 when they are all positive, so the KL curve and the totals compare by height.
        let yRange = lowest >= 0 ? AxisRange.enclosing(series.flatMap { $0.points.map(\.y) } + [0], marginFraction: 0.04) : nil
        // At least 800 pixels wide, wider when long legend names would crowd the plot (it keeps about 560).
        let legendWidth = 70 + (series.map { BitmapFont.textSize($0.name, scale: 2).width }.max() ?? 0)
        let options = LinePlotOptions(width: max(800, 560 + legendWidth), title: title, xLabel: "epoch",
                                      yLabel: runs.count == 1 ? "loss per example" : "total loss per example",
                                      yRange: yRange.map { AxisRange(low: 0, high: $0.high) })
        return LinePlot(series: series, options: options)
    }
}
