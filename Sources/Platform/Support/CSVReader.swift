import Foundation

/// The one reader of every CSV file Causeway imports: RFC 4180 (quoted fields may hold commas,
/// quotes and line breaks), a UTF-8 byte order mark and CRLF accepted, read in blocks so that
/// memory does not grow with the file. Fields are handed out as byte slices of the current record
/// and numbers are parsed from the bytes; nothing is copied into a `String` unless asked.
///
///     var file = try CSVReader(path: path, required: ["unit", "value"])
///     let unit = file.column("unit")!, value = file.column("value")!
///     while try file.next() {
///         let id = try file.unit(unit)
///         let v = try file.number(value)
///     }
///
/// Errors name the file, the line of the record and the field. A header without rows is refused
/// when `next()` first returns false (`rows` is 0).
final class CSVReader {
    let path: String
    private(set) var header: [String] = []
    /// The 1-based line on which the current record begins.
    private(set) var line = 0
    /// Records read so far.
    private(set) var rows = 0

    /// The longest record accepted, in bytes: a guard against a file that is one endless line.
    static let maximumRecordBytes = 16 << 20
    private static let blockSize = 1 << 20

    private let descriptor: Int32
    /// File bytes from `start` to `end` are unread; the current record's fields lie before `start`.
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var atEndOfFile = false
    /// The line the next record begins on.
    private var nextLine = 1
    /// The current record's fields: offsets into `buffer`.
    private var bounds: [(Int, Int)] = []

    /// Opens the file and reads its header, which must name the `required` columns.
    init(path: String, required: [String]) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw PlatformError(.invalidFile, "\(path): is a directory, not a CSV file")
        }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PlatformError(.invalidFile, "\(path): cannot read the file (\(String(cString: strerror(errno))))")
        }
        var status = stat()
        fileSize = fstat(descriptor, &status) == 0 && status.st_size > 0 ? Int(status.st_size) : nil
        buffer = .allocate(byteCount: Self.blockSize * 2, alignment: 16)
        // From here a throw runs deinit, which closes the file and frees the buffer.
        _ = try fill()
        // A UTF-8 byte order mark (spreadsheets write one) is not part of the first column's name.
        if end - start >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { start = 3 }
        guard try advance() else { throw PlatformError(.invalidFile, "\(path): the file is empty; expected a header row") }
        var names: [String] = []
        for index in bounds.indices {
            names.append(try string(index, field: "column \(index + 1) of the header").trimmingCharacters(in: .whitespaces))
        }
        header = names
        var named = Set<String>()
        for column in header where !named.insert(column).inserted {
            throw PlatformError(.invalidFile, "\(path):\(line): the header names column \"\(column)\" twice")
        }
        for column in required where !header.contains(column) {
            throw PlatformError(.invalidFile, "\(path):\(line): the header has no column \"\(column)\" (found: \(header.joined(separator: ",")))")
        }
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// The index of a header column.
    func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// Moves to the next record; false at the end of the file. Every record has as many fields
    /// as the header; a file with a header and no record is an error.
    func next() throws -> Bool {
        guard try advance() else {
            guard rows > 0 else { throw PlatformError(.invalidFile, "\(path): the file has a header but no rows") }
            return false
        }
        guard bounds.count == header.count else {
            throw PlatformError(.invalidFile, "\(path):\(line): expected \(header.count) fields, found \(bounds.count)")
        }
        rows += 1
        return true
    }

    /// The bytes read from the file so far, and its size when known.
    private(set) var bytesRead = 0
    let fileSize: Int?
    /// How far into the file the records handed out reach, in bytes (for progress).
    var position: Int { bytesRead - (end - start) }

    /// The records the whole file holds, estimated from the bytes per record so far (a little
    /// over): what arrays that will hold every row reserve, so they do not double as they grow.
    var estimatedRows: Int? {
        guard let fileSize, rows > 0, position > 0 else { return nil }
        return Int(Double(fileSize) / (Double(position) / Double(rows)) * 1.02) + 1024
    }

    // MARK: Fields of the current record

    /// The field's bytes, valid until the next call to `next()`.
    func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        let (from, to) = bounds[index]
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[from..<to])
    }

    /// Whether the field is empty.
    func isEmpty(_ index: Int) -> Bool { bounds[index].0 == bounds[index].1 }

    /// The name errors give a column.
    func name(_ index: Int) -> String { index < header.count ? header[index] : "column \(index + 1)" }

    /// The field as text; refused when it is not UTF-8.
    func string(_ index: Int, field: String? = nil) throws -> String {
        guard let text = String(validating: bytes(index), as: UTF8.self) else {
            throw PlatformError(.invalidFile, "\(path):\(line): field \"\(field ?? name(index))\" is not UTF-8 text")
        }
        return text
    }

    /// The field as text, or nil when it is empty.
    func optionalString(_ index: Int) throws -> String? { isEmpty(index) ? nil : try string(index) }

    /// The field as a unit id (`UnitID`), named `field` in errors.
    func unit(_ index: Int, field: String = "unit") throws -> String {
        let unit = try string(index, field: field)
        if let problem = UnitID.problem(unit) {
            throw PlatformError(.invalidFile, "\(path):\(line): field \"\(field)\" \(problem)")
        }
        return unit
    }

    /// The field as a finite decimal number (spaces around it allowed); NaN, infinities, hexadecimal
    /// and numbers beyond a double's range are refused.
    func number(_ index: Int) throws -> Double {
        if let value = DecimalNumber.parse(bytes(index)) { return value }
        throw PlatformError(.invalidFile, "\(path):\(line): field \"\(name(index))\" is \"\(excerpt(index))\", not a finite number")
    }

    /// The field as a finite number, or nil when it is blank.
    func optionalNumber(_ index: Int) throws -> Double? {
        DecimalNumber.isBlank(bytes(index)) ? nil : try number(index)
    }

    /// The field for an error message: at most 40 characters, invalid UTF-8 replaced.
    func excerpt(_ index: Int) -> String {
        let text = String(decoding: bytes(index).prefix(160), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    /// An error about the current record's field: `message` ends the sentence `field "x" …`.
    func error(_ index: Int, _ message: String) -> PlatformError {
        PlatformError(.invalidFile, "\(path):\(line): field \"\(name(index))\" \(message)")
    }

    // MARK: Reading

    /// Reads more of the file after the unread bytes, moving them to the front of the buffer
    /// first. Returns false at the end of the file.
    private func fill() throws -> Bool {
        if start > 0 {
            let unread = end - start
            if unread > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: unread) }
            start = 0
            end = unread
        }
        if buffer.count - end < Self.blockSize {
            guard end < Self.maximumRecordBytes else {
                throw PlatformError(.invalidFile, "\(path):\(nextLine): the record is longer than \(Self.maximumRecordBytes >> 20) MiB; is this a CSV file?")
            }
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            larger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = larger
        }
        while true {
            let count = read(descriptor, buffer.baseAddress! + end, buffer.count - end)
            if count < 0 {
                if errno == EINTR { continue }
                throw PlatformError(.invalidFile, "\(path): cannot read the file (\(String(cString: strerror(errno))))")
            }
            if count == 0 { atEndOfFile = true; return false }
            end += count
            bytesRead += count
            return true
        }
    }

    /// Splits the next non-blank record into `bounds`; false at the end of the file.
    private func advance() throws -> Bool {
        while let quoted = try nextRecord() {
            // A blank line (or one holding only a carriage return) is no record.
            if bounds.count == 1, bounds[0].0 == bounds[0].1, !quoted { continue }
            return true
        }
        return false
    }

    /// Finds the next record and splits it; nil at the end of the file, else whether it holds quotes.
    private func nextRecord() throws -> Bool? {
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), comma = UInt8(ascii: ",")
        // Find the record's end: the first newline outside quotes. A quote opens a quoted field
        // only at the start of a field (or right after a closing quote: a doubled quote); elsewhere
        // it is a character. Offsets are kept relative to `start`, which `fill` moves.
        var scan = 0
        var quoted = false, inQuotes = false
        var closedAt = -2
        var recordEnd = -1
        while recordEnd < 0 {
            let base = UnsafeRawPointer(buffer.baseAddress!) + start
            let available = end - start
            if !inQuotes {
                let rest = available - scan
                let newlineAt = rest > 0 ? memchr(base + scan, Int32(newline), rest) : nil
                let limit = newlineAt.map { UnsafeRawPointer($0) - base } ?? available
                var opened = false
                var from = scan
                while from < limit, let quoteAt = memchr(base + from, Int32(quote), limit - from) {
                    let q = UnsafeRawPointer(quoteAt) - base
                    if q == 0 || base.load(fromByteOffset: q - 1, as: UInt8.self) == comma || q == closedAt + 1 {
                        quoted = true
                        inQuotes = true
                        scan = q + 1
                        opened = true
                        break
                    }
                    from = q + 1
                }
                if opened { continue }
                if newlineAt != nil { recordEnd = start + limit; break }
                scan = available
            } else {
                let rest = available - scan
                if rest > 0, let quoteAt = memchr(base + scan, Int32(quote), rest) {
                    inQuotes = false
                    closedAt = UnsafeRawPointer(quoteAt) - base
                    scan = closedAt + 1
                    continue
                }
                scan = available
            }
            // The record continues past the bytes read.
            let more = try !atEndOfFile && fill()
            if !more {
                if end == start { return nil }
                if inQuotes { throw PlatformError(.invalidFile, "\(path):\(nextLine): unterminated quoted field") }
                recordEnd = end
            }
        }
        line = nextLine
        try split(from: start, to: recordEnd, quoted: quoted)
        start = min(recordEnd + 1, end)
        return quoted
    }

    /// Splits bytes `from..<to` (one record, without its newline) into fields, unquoting in place.
    private func split(from: Int, to: Int, quoted: Bool) throws {
        let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), carriage = UInt8(ascii: "\r"), newline = UInt8(ascii: "\n")
        bounds.removeAll(keepingCapacity: true)
        let bytes = buffer
        var index = from
        var lines = 1
        if to > from, memchr(bytes.baseAddress! + from, 0, to - from) != nil {
            throw PlatformError(.invalidFile, "\(path):\(line): the line holds a NUL byte (0x00), which no text field may hold")
        }
        while true {
            if quoted, index < to, bytes[index] == quote {
                // Quoted: "" unescaped in place; what follows the closing quote up to the separator
                // is kept, as most readers do.
                var write = index
                let fieldStart = index
                index += 1
                while index < to {
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < to, bytes[index + 1] == quote { bytes[write] = quote; write += 1; index += 2; continue }
                        index += 1
                        break
                    }
                    if byte == newline { lines += 1 }
                    bytes[write] = byte
                    write += 1
                    index += 1
                }
                while index < to, bytes[index] != comma {
                    if bytes[index] != carriage || index + 1 < to { bytes[write] = bytes[index]; write += 1 }
                    index += 1
                }
                bounds.append((fieldStart, write))
            } else {
                let fieldStart = index
                let rest = to - index
                if rest > 0, let commaAt = memchr(bytes.baseAddress! + index, Int32(comma), rest) {
                    index = UnsafeMutableRawPointer(commaAt) - bytes.baseAddress!
                } else {
                    index = to
                }
                var fieldEnd = index
                if index == to, fieldEnd > fieldStart, bytes[fieldEnd - 1] == carriage { fieldEnd -= 1 }
                bounds.append((fieldStart, fieldEnd))
            }
            guard index < to else { break }
            index += 1 // past the comma
        }
        nextLine = line + lines
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

/// Numbers in files: decimal only (`-1.5`, `2e-3`, `.5`), parsed from bytes. Swift's `Double(String)`
/// also takes hexadecimal (`0x1p3` is 8), `nan` and `inf`, which no data file means; numbers beyond
/// a double's range (`1e309`) are refused rather than made infinite.
public enum DecimalNumber {
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    private static let exactPowers: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Parses bytes such as `-12.5e3`, with spaces or tabs around; nil when they are not a finite
    /// decimal number. Numbers of at most 15 significant digits with small exponents are computed
    /// exactly here (one rounding, as `strtod` would); the rest go to `strtod`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var from = 0, to = bytes.count
        while from < to, bytes[from] == 0x20 || bytes[from] == 0x09 { from += 1 }
        while to > from, bytes[to - 1] == 0x20 || bytes[to - 1] == 0x09 { to -= 1 }
        guard from < to, to - from < 400 else { return nil }
        var index = from
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { negative = bytes[index] == UInt8(ascii: "-"); index += 1 }
        var mantissa: UInt64 = 0, digits = 0, scale = 0, sawDigit = false, sawPoint = false
        while index < to {
            let byte = bytes[index]
            if byte >= 0x30, byte <= 0x39 {
                sawDigit = true
                if mantissa == 0, byte == 0x30 {
                    if sawPoint { scale -= 1 } // a leading zero: only its place counts
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(byte - 0x30)
                    digits += 1
                    if sawPoint { scale -= 1 }
                } else {
                    digits += 1 // beyond 19 digits: strtod below reads the text
                    if !sawPoint { scale += 1 }
                }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else { break }
            index += 1
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if index < to {
            guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return nil }
            index += 1
            var negativeExponent = false
            if index < to, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { negativeExponent = bytes[index] == UInt8(ascii: "-"); index += 1 }
            guard index < to else { return nil }
            while index < to {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte - 0x30) }
                index += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        // Exact: a mantissa below 2^53 times or over an exactly representable power of ten.
        let power = exponent + scale
        if digits <= 15, mantissa < (1 << 53), power >= -22, power <= 22 {
            let m = Double(mantissa)
            let value = power < 0 ? m / exactPowers[-power] : m * exactPowers[power]
            return negative ? -value : value
        }
        if mantissa == 0 { return negative ? -0.0 : 0 }
        // The rest: strtod on a NUL-terminated copy (checked above to be plain decimal).
        let length = to - from
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text -> Double? in
            for k in 0..<length { text[k] = CChar(bitPattern: bytes[from + k]) }
            text[length] = 0
            let value = strtod(text.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
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
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
