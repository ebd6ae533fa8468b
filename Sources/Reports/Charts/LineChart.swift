import Foundation

/// Lines on one pair of axes in SVG: Qini and uplift curves against random and perfect, value
/// against spend. Long series are thinned to at most `maximumPoints` points for drawing.
public struct LineChart: Sendable {
    public enum Style: String, Sendable { case solid, dashed, dotted }

    public struct Series: Sendable {
        public let label: String
        public let x: [Double]
        public let y: [Double]
        public let style: Style
        public let colour: String

        public init(label: String, x: [Double], y: [Double], style: Style = .solid, colour: String = "#3b4a66") {
            self.label = label
            self.x = x
            self.y = y
            self.style = style
            self.colour = colour
        }
    }

    public var series: [Series]
    public var xLabel: String
    public var yLabel: String
    public var maximumPoints = 600
    /// Whether the y axis always reaches 0 (for cumulative curves); off to zoom on the data.
    public var includeZero = true

    public init(series: [Series], xLabel: String, yLabel: String) {
        self.series = series
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    static func thin(_ x: [Double], _ y: [Double], to limit: Int) -> [(Double, Double)] {
        let n = min(x.count, y.count)
        guard n > limit, limit > 2 else { return (0..<n).map { (x[$0], y[$0]) } }
        return (0..<limit).map { k in
            let i = Int((Double(k) * Double(n - 1) / Double(limit - 1)).rounded())
            return (x[i], y[i])
        }
    }

    public func svg(width: Double = 640, height: Double = 400) -> String {
        let left = 70.0, right = 20.0, top = 20.0, bottom = 60.0
        let points: [[(Double, Double)]] = series.map { s in Self.thin(s.x, s.y, to: maximumPoints).filter { $0.0.isFinite && $0.1.isFinite } }
        let xs: [Double] = points.flatMap { $0.map { $0.0 } }
        let ys: [Double] = points.flatMap { $0.map { $0.1 } } + (includeZero ? [0] : [])
        var x0: Double = xs.min() ?? 0, x1: Double = xs.max() ?? 1
        var y0: Double = ys.min() ?? 0, y1: Double = ys.max() ?? 1
        if x1 - x0 < 1e-12 { x1 = x0 + 1 }
        if y1 - y0 < 1e-12 { y1 = y0 + 1 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        let plotWidth: Double = width - left - right, plotHeight: Double = height - top - bottom
        let (fx0, fx1, fy0, fy1) = (x0, x1, y0, y1)
        func px(_ v: Double) -> Double { left + (v - fx0) / (fx1 - fx0) * plotWidth }
        func py(_ v: Double) -> Double {
            let t: Double = (v - fy0) / (fy1 - fy0)
            return top + (1 - t) * plotHeight
        }
        func number(_ v: Double) -> String { HTMLPage.escape(String(format: "%.4g", v)) }
        // The legend wraps onto more lines below the plot when the labels do not fit on one.
        var legend: [(x: Double, line: Int)] = [], lx = left, line = 0
        for s in series {
            let w = 40 + Double(s.label.count) * 6.5
            if lx > left, lx + w > width { lx = left; line += 1 }
            legend.append((lx, line))
            lx += w
        }
        let total = height + Double(line) * 16
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(total))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(total))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#d0d5dd\"/>"
        for k in 0...4 {
            let f = Double(k) / 4
            let vx: Double = x0 + (x1 - x0) * f
            let vy: Double = y0 + (y1 - y0) * f
            svg += "<text x=\"\(px(vx))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\" fill=\"#5b6472\">\(number(vx))</text>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(vy) + 4)\" text-anchor=\"end\" fill=\"#5b6472\">\(number(vy))</text>"
        }
        if y0 < 0, y1 > 0 {
            svg += "<line x1=\"\(left)\" y1=\"\(py(0))\" x2=\"\(left + plotWidth)\" y2=\"\(py(0))\" stroke=\"#d0d5dd\"/>"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 22)\" text-anchor=\"middle\">\(HTMLPage.escape(xLabel))</text>"
        svg += "<text x=\"14\" y=\"\(top + plotHeight / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(top + plotHeight / 2))\">\(HTMLPage.escape(yLabel))</text>"
        for (s, pts) in zip(series, points) where !pts.isEmpty {
            var parts: [String] = []
            for (i, p) in pts.enumerated() { parts.append((i == 0 ? "M" : "L") + String(format: "%.1f %.1f", px(p.0), py(p.1))) }
            let d = parts.joined(separator: " ")
            let dash = s.style == .dashed ? " stroke-dasharray=\"6 4\"" : s.style == .dotted ? " stroke-dasharray=\"2 3\"" : ""
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"\(s.style == .solid ? 2 : 1.5)\"\(dash)><title>\(HTMLPage.escape(s.label))</title></path>"
        }
        // Legend along the bottom.
        for (s, place) in zip(series, legend) {
            let dash = s.style == .dashed ? " stroke-dasharray=\"6 4\"" : s.style == .dotted ? " stroke-dasharray=\"2 3\"" : ""
            let y = height - 6 + Double(place.line) * 16
            svg += "<line x1=\"\(place.x)\" y1=\"\(y)\" x2=\"\(place.x + 22)\" y2=\"\(y)\" stroke=\"\(s.colour)\" stroke-width=\"2\"\(dash)/>"
            svg += "<text x=\"\(place.x + 26)\" y=\"\(y + 4)\">\(HTMLPage.escape(s.label))</text>"
        }
        return svg + "</svg>"
    }
}
