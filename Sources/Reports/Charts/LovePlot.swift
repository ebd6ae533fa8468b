import Foundation

/// A Love plot: one row per covariate, its absolute standardized mean difference before (hollow)
/// and after (filled) matching or weighting, with the 0.1 threshold drawn.
public struct LovePlot: Sendable {
    public struct Row: Sendable {
        public let label: String
        public let before: Double
        public let after: Double
        public init(label: String, before: Double, after: Double) {
            self.label = label
            self.before = before
            self.after = after
        }
    }

    public var rows: [Row]
    public var threshold = 0.1

    public init(rows: [Row]) { self.rows = rows }

    public func svg(width: Double = 760) -> String {
        let rowHeight = 22.0, top = 34.0, labelWidth = 240.0, right = 40.0
        let height = top + rowHeight * Double(max(rows.count, 1)) + 40
        let hi = max(threshold * 1.5, (rows.flatMap { [abs($0.before), abs($0.after)] }.filter(\.isFinite).max() ?? 0) * 1.08)
        let plotWidth = width - labelWidth - right
        func x(_ v: Double) -> Double { labelWidth + min(max(v, 0), hi) / hi * plotWidth }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        svg += "<text x=\"\(labelWidth)\" y=\"16\" fill=\"#5b6472\">○ before   ● after   (|standardized mean difference|)</text>"
        svg += "<line x1=\"\(x(threshold))\" y1=\"\(top - 8)\" x2=\"\(x(threshold))\" y2=\"\(height - 30)\" stroke=\"#a4262c\" stroke-dasharray=\"4 3\"/>"
        svg += "<line x1=\"\(x(0))\" y1=\"\(top - 8)\" x2=\"\(x(0))\" y2=\"\(height - 30)\" stroke=\"#8a93a3\"/>"
        svg += "<text x=\"\(x(threshold) + 3)\" y=\"\(top - 2)\" fill=\"#a4262c\">\(String(format: "%.2g", threshold))</text>"
        for tick in 0...4 {
            let v = hi * Double(tick) / 4
            svg += "<text x=\"\(x(v))\" y=\"\(height - 12)\" text-anchor=\"middle\" fill=\"#5b6472\">\(String(format: "%.2f", v))</text>"
        }
        for (i, row) in rows.enumerated() {
            let y = top + rowHeight * Double(i) + rowHeight / 2
            svg += "<line x1=\"\(labelWidth)\" y1=\"\(y)\" x2=\"\(width - right)\" y2=\"\(y)\" stroke=\"#eef0f4\"/>"
            svg += "<text x=\"\(labelWidth - 10)\" y=\"\(y + 4)\" text-anchor=\"end\">\(HTMLPage.escape(row.label))</text>"
            if row.before.isFinite { svg += "<circle cx=\"\(x(abs(row.before)))\" cy=\"\(y)\" r=\"5\" fill=\"none\" stroke=\"#3b4a66\" stroke-width=\"1.5\"/>" }
            if row.after.isFinite {
                let colour = abs(row.after) > threshold ? "#a4262c" : "#1a7f37"
                svg += "<circle cx=\"\(x(abs(row.after)))\" cy=\"\(y)\" r=\"5\" fill=\"\(colour)\"/>"
            }
        }
        return svg + "</svg>"
    }
}

/// Two histograms back to back on a shared axis: the propensity scores of the treated above the
/// line and of the untreated below, the region outside [0.1, 0.9] shaded.
public struct MirroredHistogram: Sendable {
    public var upper: [Int]
    public var lower: [Int]
    public var upperLabel: String
    public var lowerLabel: String

    public init(upper: [Int], lower: [Int], upperLabel: String, lowerLabel: String) {
        self.upper = upper
        self.lower = lower
        self.upperLabel = upperLabel
        self.lowerLabel = lowerLabel
    }

    public func svg(width: Double = 640, height: Double = 320) -> String {
        let left = 50.0, right = 20.0, top = 24.0, bottom = 34.0
        let mid = top + (height - top - bottom) / 2, half = (height - top - bottom) / 2
        let bins = max(upper.count, 1)
        let peak = Double(max((upper + lower).max() ?? 1, 1))
        let w = (width - left - right) / Double(bins)
        func x(_ v: Double) -> Double { left + v * (width - left - right) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        svg += "<rect x=\"\(x(0))\" y=\"\(top)\" width=\"\(x(0.1) - x(0))\" height=\"\(2 * half)\" fill=\"#fbeaea\"/>"
        svg += "<rect x=\"\(x(0.9))\" y=\"\(top)\" width=\"\(x(1) - x(0.9))\" height=\"\(2 * half)\" fill=\"#fbeaea\"/>"
        for (k, count) in upper.enumerated() where count > 0 {
            let h = Double(count) / peak * half
            svg += "<rect x=\"\(left + Double(k) * w + 0.5)\" y=\"\(mid - h)\" width=\"\(w - 1)\" height=\"\(h)\" fill=\"#c0392b\"><title>\(count)</title></rect>"
        }
        for (k, count) in lower.enumerated() where count > 0 {
            let h = Double(count) / peak * half
            svg += "<rect x=\"\(left + Double(k) * w + 0.5)\" y=\"\(mid)\" width=\"\(w - 1)\" height=\"\(h)\" fill=\"#3b4a66\"><title>\(count)</title></rect>"
        }
        svg += "<line x1=\"\(left)\" y1=\"\(mid)\" x2=\"\(width - right)\" y2=\"\(mid)\" stroke=\"#1d2433\"/>"
        svg += "<text x=\"\(left + 4)\" y=\"\(top + 12)\" fill=\"#c0392b\">\(HTMLPage.escape(upperLabel))</text>"
        svg += "<text x=\"\(left + 4)\" y=\"\(height - bottom - 4)\" fill=\"#3b4a66\">\(HTMLPage.escape(lowerLabel))</text>"
        for tick in 0...10 where tick % 2 == 0 {
            let v = Double(tick) / 10
            svg += "<text x=\"\(x(v))\" y=\"\(height - 12)\" text-anchor=\"middle\" fill=\"#5b6472\">\(String(format: "%.1f", v))</text>"
        }
        return svg + "</svg>"
    }
}

/// sensemakr's contour plot: the adjusted estimate over a grid of confounder strengths
/// (partial R² with the treatment on x, with the outcome on y), contour lines labelled, the
/// zero line red and dashed, benchmark bounds marked.
public struct ContourPlot: Sendable {
    public var xLabel: String
    public var yLabel: String
    public var maximum: Double
    /// f(x, y) on [0, maximum]².
    public var value: @Sendable (Double, Double) -> Double
    public var points: [(label: String, x: Double, y: Double)]
    public var unadjusted: Double

    public init(xLabel: String, yLabel: String, maximum: Double, unadjusted: Double, points: [(label: String, x: Double, y: Double)],
                value: @escaping @Sendable (Double, Double) -> Double) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.maximum = maximum
        self.unadjusted = unadjusted
        self.points = points
        self.value = value
    }

    public func svg(size: Double = 480) -> String {
        let left = 60.0, bottom = 50.0, top = 20.0, right = 20.0
        let plot = size - left - right
        let grid = 80
        func px(_ v: Double) -> Double { left + v / maximum * plot }
        func py(_ v: Double) -> Double { top + plot - v / maximum * plot }
        var values = [[Double]](repeating: [Double](repeating: 0, count: grid + 1), count: grid + 1)
        for i in 0...grid { for j in 0...grid { values[i][j] = value(Double(i) / Double(grid) * maximum * 0.999, Double(j) / Double(grid) * maximum * 0.999) } }
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        // Round levels (1, 2 or 5 × 10^k apart), zero among them when the range crosses it.
        let raw = max((hi - lo) / 8, 1e-12)
        let magnitude = pow(10, floor(log10(raw)))
        let levelStep = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var levels: [Double] = []
        var level = (lo / levelStep).rounded(.up) * levelStep
        while level < hi { if level > lo { levels.append(abs(level) < levelStep * 1e-9 ? 0 : level) }; level += levelStep }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size))\" height=\"\(Int(size))\" "
            + "viewBox=\"0 0 \(Int(size)) \(Int(size))\" font-family=\"system-ui, sans-serif\" font-size=\"11\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plot)\" height=\"\(plot)\" fill=\"none\" stroke=\"#8a93a3\"/>"
        // Marching squares, one segment per cell and level.
        let step = maximum / Double(grid)
        for level in levels {
            let zero = level == 0
            var path = ""
            for i in 0..<grid {
                for j in 0..<grid {
                    let corners = [(Double(i), Double(j), values[i][j]), (Double(i + 1), Double(j), values[i + 1][j]),
                                   (Double(i + 1), Double(j + 1), values[i + 1][j + 1]), (Double(i), Double(j + 1), values[i][j + 1])]
                    var crossings: [(Double, Double)] = []
                    for k in 0..<4 {
                        let a = corners[k], b = corners[(k + 1) % 4]
                        if (a.2 - level) * (b.2 - level) < 0 {
                            let t = (level - a.2) / (b.2 - a.2)
                            crossings.append(((a.0 + t * (b.0 - a.0)) * step, (a.1 + t * (b.1 - a.1)) * step))
                        }
                    }
                    if crossings.count >= 2 {
                        path += "M\(px(crossings[0].0)),\(py(crossings[0].1))L\(px(crossings[1].0)),\(py(crossings[1].1))"
                    }
                }
            }
            svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(zero ? "#a4262c" : "#3b4a66")\" stroke-width=\"\(zero ? 2 : 1)\"\(zero ? " stroke-dasharray=\"5 3\"" : "")/>"
            // Label where the level crosses the diagonal.
            var t = 0.0
            while t < maximum, (value(t, t) - level) * (value(min(t + step, maximum * 0.999), min(t + step, maximum * 0.999)) - level) > 0 { t += step }
            if t < maximum { svg += "<text x=\"\(px(t) + 4)\" y=\"\(py(t) - 4)\" fill=\"\(zero ? "#a4262c" : "#3b4a66")\">\(String(format: "%.3g", level))</text>" }
        }
        svg += "<polygon points=\"\(px(0) - 5),\(py(0)) \(px(0)),\(py(0) - 5) \(px(0) + 5),\(py(0)) \(px(0)),\(py(0) + 5)\" fill=\"#1d2433\"><title>unadjusted \(String(format: "%.4g", unadjusted))</title></polygon>"
        for p in points where p.x <= maximum && p.y <= maximum {
            svg += "<circle cx=\"\(px(p.x))\" cy=\"\(py(p.y))\" r=\"4\" fill=\"#c0392b\"/>"
            svg += "<text x=\"\(px(p.x) + 6)\" y=\"\(py(p.y) + 4)\" fill=\"#c0392b\">\(HTMLPage.escape(p.label))</text>"
        }
        for tick in 0...4 {
            let v = maximum * Double(tick) / 4
            svg += "<text x=\"\(px(v))\" y=\"\(top + plot + 16)\" text-anchor=\"middle\" fill=\"#5b6472\">\(String(format: "%.2f", v))</text>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(v) + 4)\" text-anchor=\"end\" fill=\"#5b6472\">\(String(format: "%.2f", v))</text>"
        }
        svg += "<text x=\"\(left + plot / 2)\" y=\"\(size - 10)\" text-anchor=\"middle\">\(HTMLPage.escape(xLabel))</text>"
        svg += "<text transform=\"translate(14 \(top + plot / 2)) rotate(-90)\" text-anchor=\"middle\">\(HTMLPage.escape(yLabel))</text>"
        return svg + "</svg>"
    }
}
