import Foundation

/// A switchback timeline in SVG: one lane per region, its windows as a band coloured by arm and
/// the window-level outcome drawn as a line above the band, all lanes on one time axis.
public struct TimelineChart: Sendable {
    public struct Window: Sendable, Equatable {
        /// 0-based position on the time axis.
        public let index: Int
        /// Index into `arms` (the band's colour).
        public let arm: Int
        /// The window's outcome, or nil when nothing was observed (a gap in the line).
        public let value: Double?

        public init(index: Int, arm: Int, value: Double?) {
            self.index = index
            self.arm = arm
            self.value = value
        }
    }

    public struct Lane: Sendable {
        public let label: String
        public let windows: [Window]

        public init(label: String, windows: [Window]) {
            self.label = label
            self.windows = windows
        }
    }

    public var arms: [String]
    public var lanes: [Lane]
    /// Axis labels: (window index, text), for example one per day.
    public var ticks: [(index: Int, label: String)]

    public static let palette = ["#3b4a66", "#d9822b", "#1a7f37", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b"]

    public init(arms: [String], lanes: [Lane], ticks: [(index: Int, label: String)] = []) {
        self.arms = arms
        self.lanes = lanes
        self.ticks = ticks
    }

    public func svg(width: Double = 900) -> String {
        let labelWidth = 90.0, right = 20.0, lineHeight = 56.0, bandHeight = 10.0, gap = 18.0, top = 34.0
        let count = (lanes.flatMap { $0.windows.map(\.index) }.max() ?? 0) + 1
        let laneHeight = lineHeight + bandHeight + gap
        let height = top + laneHeight * Double(max(lanes.count, 1)) + 24
        let plotWidth = width - labelWidth - right
        let step = plotWidth / Double(count)
        func x(_ index: Int) -> Double { labelWidth + Double(index) * step }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        // Legend.
        var legendX = labelWidth
        for (k, arm) in arms.enumerated() {
            svg += "<rect x=\"\(legendX)\" y=\"8\" width=\"12\" height=\"12\" fill=\"\(Self.colour(k))\"/>"
            svg += "<text x=\"\(legendX + 16)\" y=\"18\">\(HTMLPage.escape(arm))</text>"
            legendX += 30 + Double(arm.count) * 7
        }
        for tick in ticks {
            let tx = x(tick.index)
            svg += "<line x1=\"\(tx)\" y1=\"\(top - 4)\" x2=\"\(tx)\" y2=\"\(height - 22)\" stroke=\"#d0d5dd\" stroke-width=\"0.8\"/>"
            svg += "<text x=\"\(tx)\" y=\"\(height - 8)\" text-anchor=\"middle\" fill=\"#5b6472\">\(HTMLPage.escape(tick.label))</text>"
        }
        for (l, lane) in lanes.enumerated() {
            let laneTop = top + laneHeight * Double(l)
            let bandTop = laneTop + lineHeight
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(bandTop + bandHeight)\" text-anchor=\"end\">\(HTMLPage.escape(lane.label))</text>"
            // The band: one rectangle per run of windows with the same arm.
            let sorted = lane.windows.sorted { $0.index < $1.index }
            var runStart = 0
            for i in sorted.indices {
                let last = i == sorted.count - 1 || sorted[i + 1].arm != sorted[i].arm || sorted[i + 1].index != sorted[i].index + 1
                guard last else { continue }
                let from = sorted[runStart].index, to = sorted[i].index
                svg += "<rect x=\"\(x(from))\" y=\"\(bandTop)\" width=\"\(Double(to - from + 1) * step)\" height=\"\(bandHeight)\" "
                    + "fill=\"\(Self.colour(sorted[i].arm))\"><title>\(HTMLPage.escape(arms.indices.contains(sorted[i].arm) ? arms[sorted[i].arm] : "?"))</title></rect>"
                runStart = i + 1
            }
            // The outcome line, scaled per lane, broken where a window has no value.
            let values = sorted.compactMap(\.value).filter(\.isFinite)
            guard var lo = values.min(), var hi = values.max() else { continue }
            if hi - lo < 1e-12 { lo -= 1; hi += 1 }
            func y(_ v: Double) -> Double { laneTop + 4 + (1 - (v - lo) / (hi - lo)) * (lineHeight - 10) }
            var path = "", pen = false
            for w in sorted {
                guard let v = w.value, v.isFinite else { pen = false; continue }
                path += (pen ? "L" : "M") + String(format: "%.1f %.1f ", x(w.index) + step / 2, y(v))
                pen = true
            }
            svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\"/>"
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(laneTop + 12)\" text-anchor=\"end\" fill=\"#5b6472\">\(HTMLPage.escape(String(format: "%.3g", hi)))</text>"
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(laneTop + lineHeight - 4)\" text-anchor=\"end\" fill=\"#5b6472\">\(HTMLPage.escape(String(format: "%.3g", lo)))</text>"
        }
        return svg + "</svg>"
    }

    static func colour(_ arm: Int) -> String { palette[((arm % palette.count) + palette.count) % palette.count] }
}
