import Foundation

/// A small RFC 4180 reader for units, outcomes and cluster files: a header row, then records.
/// Errors name the file, the line and the field.
struct CSVFile {
    let path: String
    let header: [String]
    /// Records with their 1-based line numbers.
    let records: [(line: Int, fields: [String])]

    /// Reads and splits the whole file; `required` columns must appear in the header.
    init(path: String, required: [String]) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlatformError("\(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PlatformError("\(path): the file is not UTF-8 text")
        }
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var line = 1, recordLine = 1
        var inQuotes = false, quotedField = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !quotedField) { rows.append((recordLine, fields)) }
            fields = []; field = ""; quotedField = false
        }
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty && !quotedField:
                inQuotes = true; quotedField = true
            case ",":
                fields.append(field); field = ""; quotedField = false
            case "\r":
                continue
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw PlatformError("\(path):\(recordLine): unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty || quotedField { endRecord() }

        guard let first = rows.first else { throw PlatformError("\(path): the file is empty; expected a header row") }
        header = first.1.map { $0.trimmingCharacters(in: .whitespaces) }
        for column in required where !header.contains(column) {
            throw PlatformError("\(path):\(first.0): the header has no column \"\(column)\" (found: \(header.joined(separator: ",")))")
        }
        for row in rows.dropFirst() where row.1.count != header.count {
            throw PlatformError("\(path):\(row.0): expected \(header.count) fields, found \(row.1.count)")
        }
        records = rows.dropFirst().map { (line: $0.0, fields: $0.1) }
        guard !records.isEmpty else { throw PlatformError("\(path): the file has a header but no rows") }
    }

    /// The index of a header column (present: checked at init for required ones).
    func column(_ name: String) -> Int? { header.firstIndex(of: name) }
}
