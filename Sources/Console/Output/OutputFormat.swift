import Foundation
import ArgumentParser
import Platform

/// Renders a command's output as text. One type per format.
public protocol OutputFormat: Sendable {
    /// The complete text to print, ending with a newline.
    func render(_ output: CommandOutput) -> String
    /// Remarks for standard error about what the text could not carry.
    func notes(for output: CommandOutput) -> [String]
}

extension OutputFormat {
    public func notes(for output: CommandOutput) -> [String] { [] }
}

/// The formats `--format` and `\format` name.
public enum OutputFormatName: String, CaseIterable, Sendable, ExpressibleByArgument {
    case aligned, csv, json

    /// The renderer for this format.
    public var format: any OutputFormat {
        switch self {
        case .aligned: AlignedFormat()
        case .csv: CSVFormat()
        case .json: JSONFormat()
        }
    }
}

/// psql's aligned format: padded columns, `|` separators, a `(N rows)` footer.
public struct AlignedFormat: OutputFormat {
    public init() {}

    public func render(_ output: CommandOutput) -> String {
        switch output {
        case .message(let text), .summary(let text, _):
            return text.hasSuffix("\n") ? text : text + "\n"
        case .record(let fields):
            let width = fields.map { displayWidth($0.0) }.max() ?? 0
            return fields.map { key, value in
                " " + pad(key, to: width, right: false) + " | " + value.text
            }.joined(separator: "\n") + "\n"
        case .table(let table):
            var widths = table.columns.map(displayWidth)
            for row in table.rows {
                for (index, value) in row.enumerated() { widths[index] = max(widths[index], displayWidth(value.text)) }
            }
            var lines: [String] = []
            lines.append(table.columns.enumerated().map { index, name in " " + center(name, to: widths[index]) + " " }
                .joined(separator: "|").trimmingTrailingSpaces())
            lines.append(widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+"))
            for row in table.rows {
                let cells = row.enumerated().map { index, value in
                    " " + pad(value.text, to: widths[index], right: value.isNumeric) + " "
                }
                lines.append(cells.joined(separator: "|").trimmingTrailingSpaces())
            }
            lines.append("(\(table.rows.count) \(table.rows.count == 1 ? "row" : "rows"))")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    private func displayWidth(_ text: String) -> Int { text.count }

    private func pad(_ text: String, to width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - displayWidth(text)))
        return right ? padding + text : text + padding
    }

    private func center(_ text: String, to width: Int) -> String {
        let total = max(0, width - displayWidth(text))
        return String(repeating: " ", count: total / 2) + text + String(repeating: " ", count: total - total / 2)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var slice = Substring(self)
        while slice.last == " " { slice.removeLast() }
        return String(slice)
    }
}

/// RFC 4180 CSV with a header row.
public struct CSVFormat: OutputFormat {
    public init() {}

    public func render(_ output: CommandOutput) -> String {
        switch output {
        case .message(let text):
            return "message\n" + CSV.field(text) + "\n"
        case .record(let fields), .summary(_, let fields):
            return fields.map { CSV.field($0.0) }.joined(separator: ",") + "\n"
                + fields.map { CSV.field($0.1.dataText) }.joined(separator: ",") + "\n"
        case .table(let table):
            var out = table.columns.map(CSV.field).joined(separator: ",") + "\n"
            for row in table.rows { out += row.map { CSV.field($0.dataText) }.joined(separator: ",") + "\n" }
            return out
        }
    }
}

/// One JSON document per command: an array of row objects, an object, or `{"message": …}`.
///
/// Numbers are whole: a double's shortest round-trip form, never rounded for display. JSON has no
/// NaN or infinity: such a number is `null`, and an object gains `"notes"` naming each one
/// (`rows[2].lift is NaN`); for an array of rows the notes go to standard error.
public struct JSONFormat: OutputFormat {
    public init() {}

    public func render(_ output: CommandOutput) -> String {
        switch output {
        case .message(let text):
            return ConsoleValue.object([("message", .string(text))]).json + "\n"
        case .record(let fields), .summary(_, let fields):
            let notes = Self.nonFinite(.object(fields))
            return ConsoleValue.object(notes.isEmpty ? fields : fields + [("notes", .array(notes.map(ConsoleValue.string)))]).json + "\n"
        case .table(let table):
            return ConsoleValue.array(table.objects).json + "\n"
        }
    }

    public func notes(for output: CommandOutput) -> [String] {
        guard case .table(let table) = output else { return [] }
        return Self.nonFinite(.array(table.objects)).map { "JSON has no such number: \($0), printed as null" }
    }

    /// `path is NaN` for every number JSON cannot carry.
    static func nonFinite(_ value: ConsoleValue) -> [String] {
        value.nonFinitePaths().map { path in "\(path.isEmpty ? "the value" : path) is not a finite number" }
    }
}
