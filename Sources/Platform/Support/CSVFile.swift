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
        guard let text = String(validating: data, as: UTF8.self) else {
            throw PlatformError("\(path): the file is not UTF-8 text")
        }
        // A UTF-8 byte order mark (spreadsheets write one) is not part of the first column's name.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let rows = try body.utf8.withContiguousStorageIfAvailable { try Self.split($0, path: path) }
            ?? Array(body.utf8).withUnsafeBufferPointer { try Self.split($0, path: path) }
        guard let first = rows.first else { throw PlatformError("\(path): the file is empty; expected a header row") }
        header = first.1.map { $0.trimmingCharacters(in: .whitespaces) }
        var named = Set<String>()
        for column in header where !named.insert(column).inserted {
            throw PlatformError(.invalidFile, "\(path):\(first.0): the header names column \"\(column)\" twice")
        }
        for column in required where !header.contains(column) {
            throw PlatformError("\(path):\(first.0): the header has no column \"\(column)\" (found: \(header.joined(separator: ",")))")
        }
        for row in rows.dropFirst() where row.1.count != header.count {
            throw PlatformError("\(path):\(row.0): expected \(header.count) fields, found \(row.1.count)")
        }
        records = rows.dropFirst().map { (line: $0.0, fields: $0.1) }
        guard !records.isEmpty else { throw PlatformError("\(path): the file has a header but no rows") }
    }

    /// Splits UTF-8 bytes into records of fields, with each record's first line number. O(n).
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> [(Int, [String])] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var line = 1, recordLine = 1
        var index = 0
        let count = bytes.count
        if let nul = bytes.firstIndex(of: 0) {
            let lineOfNul = 1 + bytes[..<nul].lazy.filter { $0 == newline }.count
            throw PlatformError(.invalidFile, "\(path):\(lineOfNul): the line holds a NUL byte (0x00), which no text field may hold")
        }
        while index <= count {
            // One field: quoted or plain.
            var field: String
            var quoted = false
            if index < count, bytes[index] == quote {
                quoted = true
                var buffer: [UInt8] = []
                index += 1
                var closed = false
                while index < count {
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < count, bytes[index + 1] == quote { buffer.append(quote); index += 2; continue }
                        index += 1
                        closed = true
                        break
                    }
                    if byte == newline { line += 1 }
                    buffer.append(byte)
                    index += 1
                }
                guard closed else { throw PlatformError("\(path):\(recordLine): unterminated quoted field") }
                field = String(decoding: buffer, as: UTF8.self)
                // Anything up to the next separator after a closing quote is kept, as most readers do.
                let start = index
                while index < count, bytes[index] != comma, bytes[index] != newline { index += 1 }
                if index > start {
                    field += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                        .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                }
            } else {
                let start = index
                while index < count, bytes[index] != comma, bytes[index] != newline { index += 1 }
                var end = index
                if end > start, bytes[end - 1] == carriage { end -= 1 }
                field = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            fields.append(field)
            if index < count, bytes[index] == comma { index += 1; continue }
            // End of record (newline or end of input).
            if !(fields.count == 1 && fields[0].isEmpty && !quoted) { rows.append((recordLine, fields)) }
            fields = []
            index += 1
            line += 1
            recordLine = line
        }
        return rows
    }

    /// The index of a header column (present: checked at init for required ones).
    func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// A record's unit id in `column` (named `field` in errors), checked by `UnitID.check`.
    func unit(_ record: (line: Int, fields: [String]), _ column: Int, field: String = "unit") throws -> String {
        let unit = record.fields[column]
        if let problem = UnitID.problem(unit) {
            throw PlatformError(.invalidFile, "\(path):\(record.line): field \"\(field)\" \(problem)")
        }
        return unit
    }
}

/// What a unit id may be: not empty, at most `maximumBytes` bytes of UTF-8 (PostgreSQL's indexes
/// refuse rows much past 2,700 bytes with a message that names no line), no NUL.
public enum UnitID {
    public static let maximumBytes = 256

    /// Why `unit` is not a unit id, as the end of a sentence (`is empty`), or nil when it is one.
    static func problem(_ unit: String) -> String? {
        if unit.isEmpty { return "is empty" }
        if unit.utf8.count > maximumBytes { return "is \(unit.utf8.count) bytes long; a unit id has at most \(maximumBytes)" }
        if unit.utf8.contains(0) { return "holds a NUL byte" }
        return nil
    }

    /// Throws when `unit` is not a unit id.
    static func check(_ unit: String) throws {
        if let problem = problem(unit) { throw PlatformError("the unit id \(problem)") }
    }
}

/// Numbers in files: decimal only (`-1.5`, `2e-3`, `.5`). Swift's `Double(String)` also takes
/// hexadecimal (`0x1p3` is 8), `nan` and `inf`, which no data file means.
public enum DecimalNumber {
    public static func parse(_ text: String) -> Double? {
        var sawDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): break
            default: return nil
            }
        }
        return sawDigit ? Double(text) : nil
    }
}

/// Writing CSV (RFC 4180): one field quoted when it holds a comma, a quote or a line break.
public enum CSV {
    /// Writes a whole file atomically; a failure names the file.
    static func write(_ text: String, to path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw PlatformError("\(path): cannot write (\(error.localizedDescription))")
        }
    }

    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
