import Foundation

/// A binary tree in SVG: each node a box of text lines, leaves side by side at the bottom of their
/// branch, edges labelled with the condition that leads to the child.
public struct TreeChart: Sendable {
    public struct Node: Sendable {
        /// The condition on the edge from the parent ("" for the root).
        public let edge: String
        public let lines: [String]
        public let children: [Int]
        /// Leaves can be highlighted (for instance by their estimate's sign).
        public let shade: String?

        public init(edge: String, lines: [String], children: [Int], shade: String? = nil) {
            self.edge = edge
            self.lines = lines
            self.children = children
            self.shade = shade
        }
    }

    /// nodes[0] is the root.
    public var nodes: [Node]

    public init(nodes: [Node]) { self.nodes = nodes }

    public func svg() -> String {
        guard !nodes.isEmpty else { return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>" }
        let boxWidth = 190.0, gap = 16.0, rowHeight = 110.0, lineHeight = 15.0
        var x = [Double](repeating: 0, count: nodes.count), depth = [Int](repeating: 0, count: nodes.count)
        var nextLeaf = 0.0
        func place(_ i: Int, _ d: Int) {
            depth[i] = d
            if nodes[i].children.isEmpty {
                x[i] = nextLeaf * (boxWidth + gap) + boxWidth / 2 + gap
                nextLeaf += 1
                return
            }
            for c in nodes[i].children { place(c, d + 1) }
            x[i] = nodes[i].children.map { x[$0] }.reduce(0, +) / Double(nodes[i].children.count)
        }
        place(0, 0)
        let width = max(nextLeaf, 1) * (boxWidth + gap) + gap
        let boxHeight = Double((nodes.map { $0.lines.count + ($0.edge.isEmpty ? 0 : 1) }.max() ?? 1)) * lineHeight + 10
        let height = Double((depth.max() ?? 0) + 1) * rowHeight + 20
        func y(_ i: Int) -> Double { 10 + Double(depth[i]) * rowHeight }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        for (i, node) in nodes.enumerated() {
            for c in node.children {
                let x1 = x[i], y1 = y(i) + boxHeight, x2 = x[c], y2 = y(c)
                out += "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"#8a94a6\"/>"
            }
        }
        for (i, node) in nodes.enumerated() {
            let left = x[i] - boxWidth / 2
            out += "<rect x=\"\(f(left))\" y=\"\(f(y(i)))\" width=\"\(f(boxWidth))\" height=\"\(f(boxHeight))\" rx=\"4\" "
                + "fill=\"\(node.shade ?? "#f4f6fa")\" stroke=\"#3b4a66\"/>"
            // The condition that leads here, in bold, then the node's lines.
            for (k, line) in ([node.edge].filter { !$0.isEmpty } + node.lines).enumerated() {
                let weight = k == 0 && !node.edge.isEmpty ? " font-weight=\"bold\"" : ""
                out += "<text x=\"\(f(x[i]))\" y=\"\(f(y(i) + 16 + Double(k) * lineHeight))\" text-anchor=\"middle\"\(weight)>\(HTMLPage.escape(line))</text>"
            }
        }
        return out + "</svg>"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
