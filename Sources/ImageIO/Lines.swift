/// A repeating on/off pattern along a line, in pixels of path length.
public struct DashPattern: Sendable, Hashable {
    /// Length of each drawn dash, at least 1.
    public var on: Int
    /// Length of each gap, at least 1.
    public var off: Int

    /// Creates a pattern of `on` drawn pixels followed by `off` skipped ones.
    public init(on: Int, off: Int) {
        precondition(on >= 1 && off >= 1, "dash lengths must be positive, got on \(on), off \(off)")
        self.on = on
        self.off = off
    }
}

/// How a line series is stroked.
public enum LineStyle: Sendable, Hashable {
    /// A continuous line.
    case solid
    /// Dashes of `4 · lineWidth` pixels separated by gaps of `3 · lineWidth` pixels.
    case dashed

    /// The dash pattern for a line `lineWidth` pixels wide (nil for solid).
    public func dashPattern(lineWidth: Int) -> DashPattern? {
        switch self {
        case .solid: nil
        case .dashed: DashPattern(on: 4 * max(1, lineWidth), off: 3 * max(1, lineWidth))
        }
    }
}

extension RGBImage {
    /// Draws straight segments through consecutive `points`, clipped to `clip` and to the image.
    ///
    /// Each segment visits `max(|dx|, |dy|) + 1` pixels (a DDA line, endpoints included); at each one a
    /// `width × width` square is filled whose top-left is `(width − 1) / 2` pixels up and left of it.
    /// A dash pattern runs on across segment joins, measured in visited pixels.
    /// A single point draws one square; no points draw nothing.
    /// - Parameters:
    ///   - points: Pixel positions, within ±2^40 (far-away segments are clipped before stepping, so they cost little).
    ///   - color: Line color.
    ///   - width: Line width in pixels (default 1), at least 1.
    ///   - dash: On/off pattern (default nil: solid).
    ///   - clip: Only pixels inside this rectangle are touched (default: whole image).
    public mutating func strokePolyline(_ points: [PixelPoint], color: RGBColor, width: Int = 1,
                                        dash: DashPattern? = nil, clip: PixelRect? = nil) {
        precondition(width >= 1, "line width must be at least 1, got \(width)")
        let bounds = PixelRect(x: 0, y: 0, width: self.width, height: height)
        let area = clip.map { $0.intersection(bounds) } ?? bounds
        guard area.width > 0, area.height > 0, let first = points.first else { return }
        let offset = (width - 1) / 2
        // Pixels whose square can touch the area; segments are cut to this box before stepping.
        let reach = PixelRect(x: area.x - width, y: area.y - width, width: area.width + 2 * width,
                              height: area.height + 2 * width)
        var travelled = 0  // path length so far, for the dash pattern
        func stamp(_ x: Int, _ y: Int) {
            if let dash, travelled % (dash.on + dash.off) >= dash.on { return }
            fillRect(PixelRect(x: x - offset, y: y - offset, width: width, height: width).intersection(area), color: color)
        }
        if points.count == 1 {
            if reach.contains(x: first.x, y: first.y) { stamp(first.x, first.y) }
            return
        }
        for (index, (a, b)) in zip(points, points.dropFirst()).enumerated() {
            let steps = max(abs(b.x - a.x), abs(b.y - a.y))
            // The first pixel of a segment is the last of the previous one: visit it only once.
            let firstStep = index == 0 ? 0 : 1
            guard let visible = Self.visibleSteps(from: a, to: b, steps: steps, within: reach) else {
                travelled += steps + 1 - firstStep
                continue
            }
            let start = max(firstStep, visible.lowerBound)
            travelled += start - firstStep
            if start <= visible.upperBound {
                for step in start...visible.upperBound {
                    let t = steps == 0 ? 0 : Double(step) / Double(steps)
                    stamp(a.x + Int((Double(b.x - a.x) * t).rounded()), a.y + Int((Double(b.y - a.y) * t).rounded()))
                    travelled += 1
                }
            }
            travelled += steps - max(visible.upperBound, start - 1)
        }
    }

    /// The steps `0...steps` of the segment a→b whose pixels may lie inside `box` (Liang–Barsky clipping,
    /// widened by one step on each side for rounding), or nil when the segment misses the box.
    private static func visibleSteps(from a: PixelPoint, to b: PixelPoint, steps: Int,
                                     within box: PixelRect) -> ClosedRange<Int>? {
        guard steps > 0 else { return box.contains(x: a.x, y: a.y) ? 0...0 : nil }
        var low = 0.0, high = 1.0
        let dx = Double(b.x - a.x), dy = Double(b.y - a.y)
        let limits = [(-dx, Double(a.x - box.x)), (dx, Double(box.maxX - 1 - a.x)),
                      (-dy, Double(a.y - box.y)), (dy, Double(box.maxY - 1 - a.y))]
        for (p, q) in limits {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { low = max(low, r) } else { high = min(high, r) }
            }
        }
        guard low <= high else { return nil }
        let first = max(0, Int((low * Double(steps)).rounded(.down)) - 1)
        let last = min(steps, Int((high * Double(steps)).rounded(.up)) + 1)
        return first...last
    }
}
