import Foundation
import ImageIO
import MNISTData
import VAEModel

/// The latent means of encoded examples as a scatter plot, one colour per class.
public struct LatentScatter {
    /// The chart (640 × 640 plus the legend column).
    public let chart: ScatterPlot
    /// The 2-D coordinates plotted, [count, 2]: (z_0, z_1) for a 2-D latent, else the first two principal
    /// components of the means.
    public let points: [Float]
    /// Whether the points are principal components (latent of more than 2 dimensions).
    public let isProjected: Bool
    /// Whether the points are coloured by class (the data has labels).
    public let isColouredByClass: Bool

    /// Plots `encoded`'s means.
    /// - Parameters:
    ///   - classNames: a name per class (legend entries); ignored without labels.
    ///   - title: the chart's title.
    public init(_ encoded: EncodedExamples, classNames: [String], title: String) {
        let e = encoded.encoding
        var xLabel = "z[0]", yLabel = "z[1]"
        let points: [Float]
        if e.latent == 1 {
            points = e.mean.flatMap { [$0, 0] }
            yLabel = "0 (1-dimensional latent)"
            isProjected = false
        } else if e.latent == 2 {
            points = e.mean
            isProjected = false
        } else {
            let pca = PrincipalComponents(rows: e.mean, dimension: e.latent)
            points = pca.project(rows: e.mean, onto: 2)
            xLabel = "PC 1 (\(formatFixed(100 * pca.varianceFraction(0), decimals: 0)) % of variance)"
            yLabel = "PC 2 (\(formatFixed(100 * pca.varianceFraction(1), decimals: 0)) % of variance)"
            isProjected = true
        }
        self.points = points
        var series: [ScatterSeries] = []
        if let labels = encoded.labels, !classNames.isEmpty {
            for (k, name) in classNames.enumerated() {
                let rows = labels.indices.filter { labels[$0] == k }
                series.append(ScatterSeries(name: name, points: rows.map { PlotPoint(x: points[2 * $0], y: points[2 * $0 + 1]) },
                                            color: .categorical(k)))
            }
            isColouredByClass = true
        } else {
            series = [ScatterSeries(name: "no labels", interleaved: points, color: .categorical(0))]
            isColouredByClass = false
        }
        // The legend column (swatch, gaps and the longest name at text scale 2) widens the picture, so the plot stays square.
        let legendWidth = isColouredByClass ? 60 + (classNames.map { BitmapFont.textSize($0, scale: 2).width }.max() ?? 0) : 0
        let options = ScatterPlotOptions(width: 640 + legendWidth, height: 640, title: title,
                                         xLabel: xLabel, yLabel: yLabel, pointRadius: 1,
                                         showLegend: isColouredByClass, legendPlacement: .outsideRight)
        chart = ScatterPlot(series: series, options: options)
    }
}
