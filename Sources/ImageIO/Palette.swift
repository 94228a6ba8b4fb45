extension RGBColor {
    /// The ten Tableau-10 colors (matplotlib's `tab10`), in order: blue, orange, green, red, purple,
    /// brown, pink, gray, olive, cyan. Well distinguishable from each other and from white, for
    /// coloring classes (digit k → `categorical[k]`) or runs.
    public static let categorical: [RGBColor] = [
        RGBColor(red: 31, green: 119, blue: 180),   // #1f77b4 blue
        RGBColor(red: 255, green: 127, blue: 14),   // #ff7f0e orange
        RGBColor(red: 44, green: 160, blue: 44),    // #2ca02c green
        RGBColor(red: 214, green: 39, blue: 40),    // #d62728 red
        RGBColor(red: 148, green: 103, blue: 189),  // #9467bd purple
        RGBColor(red: 140, green: 86, blue: 75),    // #8c564b brown
        RGBColor(red: 227, green: 119, blue: 194),  // #e377c2 pink
        RGBColor(red: 127, green: 127, blue: 127),  // #7f7f7f gray
        RGBColor(red: 188, green: 189, blue: 34),   // #bcbd22 olive
        RGBColor(red: 23, green: 190, blue: 207),   // #17becf cyan
    ]

    /// Categorical color number `index` (at least 0), cycling through `categorical` after ten.
    public static func categorical(_ index: Int) -> RGBColor {
        precondition(index >= 0, "palette index must be non-negative, got \(index)")
        return categorical[index % categorical.count]
    }
}
