import Foundation

/// A forest plot in SVG: one row per estimate with its interval, a zero line, significant rows coloured.
public struct ForestPlot: Sendable {
    public struct Item: Sendable {
        public let label: String
        public let estimate: Double
        public let lower: Double
        public let upper: Double
        public let significant: Bool

        public init(label: String, estimate: Double, lower: Double, upper: Double, significant: Bool) {
            self.label = label
            self.estimate = estimate
            self.lower = lower
            self.upper = upper
            self.significant = significant
        }
    }

    public var items: [Item]
    /// Formats axis ticks and values (for example as percentages).
    public var format: @Sendable (Double) -> String

    public init(items: [Item], format: @escaping @Sendable (Double) -> String = { String(format: "%.3g", $0) }) {
        self.items = items
        self.format = format
    }

    public func svg(width: Double = 900) -> String {
        let rowHeight = 28.0, top = 30.0, labelWidth = 260.0, right = 120.0
        let height = top + rowHeight * Double(max(items.count, 1)) + 30
        let finite = items.flatMap { [$0.lower, $0.upper, $0.estimate] }.filter(\.isFinite) + [0]
        var lo = finite.min() ?? -1, hi = finite.max() ?? 1
        if hi - lo < 1e-12 { lo -= 1; hi += 1 }
        let pad = (hi - lo) * 0.08
        lo -= pad; hi += pad
        let plotWidth = width - labelWidth - right
        func x(_ v: Double) -> Double { labelWidth + (v - lo) / (hi - lo) * plotWidth }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        svg += "<line x1=\"\(x(0))\" y1=\"\(top - 10)\" x2=\"\(x(0))\" y2=\"\(height - 25)\" stroke=\"#8a93a3\" stroke-dasharray=\"4 3\"/>"
        for tick in 0...4 {
            let v = lo + (hi - lo) * Double(tick) / 4
            svg += "<text x=\"\(x(v))\" y=\"\(height - 8)\" text-anchor=\"middle\" fill=\"#5b6472\">\(HTMLPage.escape(format(v)))</text>"
        }
        for (i, item) in items.enumerated() {
            let y = top + rowHeight * Double(i) + rowHeight / 2
            let colour = item.significant ? (item.estimate >= 0 ? "#1a7f37" : "#a4262c") : "#3b4a66"
            svg += "<text x=\"\(labelWidth - 10)\" y=\"\(y + 4)\" text-anchor=\"end\">\(HTMLPage.escape(item.label))</text>"
            if item.lower.isFinite, item.upper.isFinite {
                svg += "<line x1=\"\(x(item.lower))\" y1=\"\(y)\" x2=\"\(x(item.upper))\" y2=\"\(y)\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>"
            }
            if item.estimate.isFinite {
                svg += "<circle cx=\"\(x(item.estimate))\" cy=\"\(y)\" r=\"5\" fill=\"\(colour)\"/>"
                svg += "<text x=\"\(width - right + 10)\" y=\"\(y + 4)\" fill=\"\(colour)\">\(HTMLPage.escape(format(item.estimate)))</text>"
            }
        }
        return svg + "</svg>"
    }
}
