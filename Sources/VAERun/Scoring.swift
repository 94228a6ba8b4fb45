import Foundation
import ImageIO
import VAEModel

/// Per-image anomaly scores: a CSV, the least (or most) likely images, and how well the NLL separates
/// two data sets.
public enum Scoring {
    /// `index,label,log_px,nll,elbo,reconstruction,kl`: one line per example, in nats, label empty
    /// when the data has none. log_px is the importance-weighted log p(x); nll = −log_px.
    public static func csv(_ scored: ScoredExamples) -> String {
        var lines = ["index,label,log_px,nll,elbo,reconstruction,kl"]
        lines.reserveCapacity(scored.estimates.count + 1)
        for (index, image) in scored.estimates.images.enumerated() {
            let label = scored.inputs.labels.map { String($0[index]) } ?? ""
            lines.append("\(index),\(label),\(number(image.logLikelihood)),\(number(image.negativeLogLikelihood)),"
                + "\(number(image.elbo)),\(number(image.reconstruction)),\(number(image.kl))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Six decimals, enough to round-trip the averages a report prints.
    static func number(_ value: Double) -> String { String(format: "%.6f", value) }

    /// Example indices ordered from the least likely (highest NLL) to the most likely; ties by index.
    public static func leastLikelyFirst(_ estimates: LikelihoodEstimates) -> [Int] {
        estimates.images.indices.sorted { a, b in
            let x = estimates.images[a].negativeLogLikelihood, y = estimates.images[b].negativeLogLikelihood
            return x != y ? x > y : a < b
        }
    }

    /// The area under the ROC curve of a score that should be higher for `positives` than for
    /// `negatives` (here: the NLL of out-of-distribution images against in-distribution ones):
    /// P(score(positive) > score(negative)) + ½ P(equal), by the Mann–Whitney rank sum. 1 for a perfect
    /// separation, 0.5 for none, NaN when either set is empty.
    public static func areaUnderROC(positives: [Double], negatives: [Double]) -> Double {
        guard !positives.isEmpty, !negatives.isEmpty else { return .nan }
        let all = (positives.map { (value: $0, positive: true) } + negatives.map { (value: $0, positive: false) })
            .sorted { $0.value < $1.value }
        // Average ranks (1-based) over ties.
        var rankSum = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].value == all[i].value { j += 1 }
            let averageRank = Double(i + j + 2) / 2
            for t in i...j where all[t].positive { rankSum += averageRank }
            i = j + 1
        }
        let p = Double(positives.count), n = Double(negatives.count)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    /// The images of `indices` in a grid, 8 per row, each row labelled with the NLL range of its images.
    public static func grid(of indices: [Int], scored: ScoredExamples, configuration c: VAEConfiguration,
                            title: String) -> LabeledImageGrid? {
        guard let height = c.imageHeight, let width = c.imageWidth, !indices.isEmpty else { return nil }
        let size = height * width
        var pixels = [Float]()
        pixels.reserveCapacity(indices.count * size)
        for index in indices { pixels += scored.inputs.values[(index * size)..<((index + 1) * size)] }
        let perRow = min(8, indices.count)
        let rows = stride(from: 0, to: indices.count, by: perRow).map { start -> String in
            let scores = indices[start..<min(start + perRow, indices.count)].map {
                scored.estimates.images[$0].negativeLogLikelihood
            }
            let first = String(format: "%.0f", scores.first!), last = String(format: "%.0f", scores.last!)
            return first == last ? "NLL \(first)" : "NLL \(first) to \(last)"
        }
        return LabeledImageGrid(images: pixels, imageCount: indices.count, imageHeight: height, imageWidth: width,
                                imagesPerRow: perRow, normalization: .forOutput(c.output), rowLabels: rows,
                                title: title)
    }
}
