/// A self-contained HTML page: inline CSS, inline SVG, no scripts or external resources.
public struct HTMLPage: Sendable {
    public var title: String
    private var body: [String] = []

    public init(title: String) { self.title = title }

    /// Escapes text for HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    public mutating func heading(_ text: String, level: Int = 2) {
        body.append("<h\(level)>\(Self.escape(text))</h\(level)>")
    }

    public mutating func paragraph(_ text: String, className: String? = nil) {
        body.append("<p\(className.map { " class=\"\(Self.escape($0))\"" } ?? "")>\(Self.escape(text))</p>")
    }

    /// A table of text cells; numeric-looking cells align right.
    public mutating func table(columns: [String], rows: [[String]]) {
        var html = "<table><thead><tr>" + columns.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.map { cell in
                let numeric = Double(cell) != nil
                return "<td\(numeric ? " class=\"num\"" : "")>\(Self.escape(cell))</td>"
            }.joined() + "</tr>"
        }
        body.append(html + "</tbody></table>")
    }

    /// Inline SVG made by a chart type (already escaped).
    public mutating func svg(_ markup: String) { body.append("<figure>\(markup)</figure>") }

    /// The whole document.
    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
        <style>
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; max-width: 1500px; color: #1d2433; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
        table { border-collapse: collapse; margin: 1rem 0; font-size: 12px; font-variant-numeric: tabular-nums; }
        td { white-space: nowrap; }
        th, td { padding: .3rem .6rem; border-bottom: 1px solid #e3e6ee; text-align: left; }
        td.num { text-align: right; } th { background: #f4f6fa; }
        p.warn { color: #a4262c; font-weight: 600; } p.note { color: #5b6472; }
        figure { margin: 1rem 0; }
        </style></head><body>
        <h1>\(Self.escape(title))</h1>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }
}
