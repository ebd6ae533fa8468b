import Foundation
import XCTest
@testable import Platform

/// The streaming reader every import goes through: RFC 4180 records, errors that name the file,
/// line and field, and numbers parsed from bytes exactly as `Double(String)` would.
final class CSVReaderTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("csvreader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func file(_ bytes: [UInt8], name: String = "f.csv") throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func file(_ text: String) throws -> String { try file(Array(text.utf8)) }

    /// Every record as (line, fields).
    func read(_ path: String, required: [String] = []) throws -> (header: [String], rows: [(Int, [String])]) {
        let reader = try CSVReader(path: path, required: required)
        var rows: [(Int, [String])] = []
        while try reader.next() { rows.append((reader.line, try reader.header.indices.map { try reader.string($0) })) }
        return (reader.header, rows)
    }

    func assertError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try self.file(text)
        XCTAssertThrowsError(try read(path, required: ["a"]), file: file, line: line) { error in
            XCTAssertEqual("\(error)", "\(path):\(expected)", file: file, line: line)
        }
    }

    func testQuotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let (header, rows) = try read(try file("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",z\n3,,\"\"\n"))
        XCTAssertEqual(header, ["a", "b", "c"])
        XCTAssertEqual(rows.map(\.0), [2, 3, 5], "the record after a two-line field starts on line 5")
        XCTAssertEqual(rows.map(\.1), [["1", "x, y", "say \"hi\""], ["2", "two\nlines", "z"], ["3", "", ""]])
    }

    func testByteOrderMarkCRLFBlankLinesAndNoFinalNewline() throws {
        let (header, rows) = try read(try file([0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,\"q\"\r\n\r\n2,3".utf8)))
        XCTAssertEqual(header, ["a", "b"])
        XCTAssertEqual(rows.map(\.1), [["1", "q"], ["2", "3"]])
        XCTAssertEqual(rows.map(\.0), [2, 4])
    }

    func testAQuoteInsideAPlainFieldIsACharacter() throws {
        let (_, rows) = try read(try file("a,b\n5\" disk,x\ny,\"z\"\n"))
        XCTAssertEqual(rows.map(\.1), [["5\" disk", "x"], ["y", "z"]])
    }

    /// Records cut by the reader's 1 MiB blocks, against a plain reference parser over the whole text.
    func testRecordsAcrossBlocksMatchAReferenceParser() throws {
        var rng = SystemRandomNumberGenerator()
        var text = "id,name,value\n"
        let pieces = ["plain", "with,comma", "with \"quote\"", "two\nlines", "", "crlf\r\nin quotes", "é✓"]
        for k in 0..<60_000 {
            let piece = pieces[Int.random(in: 0..<pieces.count, using: &rng)] + String(repeating: "x", count: Int.random(in: 0..<40, using: &rng))
            // (Scalars: "\r\n" is one Character.)
            let quoted = piece.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || Bool.random(using: &rng)
            text += "\(k)," + (quoted ? "\"" + piece.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : piece) + ",\(Double(k) / 7)\n"
        }
        XCTAssertGreaterThan(text.utf8.count, 3 << 20)
        let (_, rows) = try read(try file(text))
        let expected = Self.referenceParse(text)
        XCTAssertEqual(rows.count, expected.count)
        for (got, want) in zip(rows, expected) where got.1 != want.1 || got.0 != want.0 {
            XCTFail("line \(want.0): \(got) != \(want)")
            break
        }
    }

    /// The whole text at once, character by character.
    static func referenceParse(_ text: String) -> [(Int, [String])] {
        var records: [(Int, [String])] = [], fields: [String] = [], field = ""
        var inQuotes = false, atStart = true, line = 1, recordLine = 1
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if inQuotes {
                if ch == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 2; continue }
                    inQuotes = false
                } else {
                    if ch == "\n" { line += 1 }
                    field.unicodeScalars.append(ch)
                }
            } else if ch == "\"", atStart {
                inQuotes = true
            } else if ch == "," {
                fields.append(field); field = ""; atStart = true; i += 1; continue
            } else if ch == "\n" {
                if field.hasSuffix("\r") { field.removeLast() }
                fields.append(field); records.append((recordLine, fields)); fields = []; field = ""
                line += 1; recordLine = line; atStart = true; i += 1; continue
            } else {
                field.unicodeScalars.append(ch)
            }
            atStart = false
            i += 1
        }
        return Array(records.dropFirst())
    }

    func testBadFilesGetOneLineErrors() throws {
        try assertError("", " the file is empty; expected a header row")
        try assertError("a,b\n", " the file has a header but no rows")
        try assertError("b,c\n1,2\n", "1: the header has no column \"a\" (found: b,c)")
        try assertError("a,a\n1,2\n", "1: the header names column \"a\" twice")
        try assertError("a,b\n1,2\n3\n", "3: expected 2 fields, found 1")
        try assertError("a,b\n1,2\n3,4,5\n", "3: expected 2 fields, found 3")
        try assertError("a,b\n1,2\n\"3,4\n5,6\n", "3: unterminated quoted field")
        try assertError("a,b\n1,2\n3,x\u{0}y\n", "3: the line holds a NUL byte (0x00), which no text field may hold")
    }

    func testBinaryGarbageIsNotText() throws {
        let path = try file(Array("a,b\n1,".utf8) + [0xFF, 0xFE, 0x80] + Array("\n".utf8))
        let reader = try CSVReader(path: path, required: ["a"])
        XCTAssertTrue(try reader.next())
        XCTAssertThrowsError(try reader.string(1)) { XCTAssertEqual("\($0)", "\(path):2: field \"b\" is not UTF-8 text") }
    }

    func testAnEndlessLineIsRefusedWithoutReadingItAll() throws {
        let path = directory.appendingPathComponent("long.csv").path
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: path, contents: nil); return path }()))
        handle.write(Data("a,b\n1,".utf8))
        let block = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<40 { handle.write(block) }
        handle.closeFile()
        XCTAssertThrowsError(try read(path)) { XCTAssertEqual("\($0)", "\(path):2: the record is longer than 16 MiB; is this a CSV file?") }
    }

    func testNumbersAreFiniteDecimals() throws {
        let path = try file("a,v\n1,1.5\n2, -2e3 \n3,NaN\n4,inf\n5,1e309\n6,0x1p3\n7,\n8,1e-400\n9,.5\n10,+7.\n")
        let reader = try CSVReader(path: path, required: ["a"])
        var results: [String] = []
        while try reader.next() {
            do { results.append(String(try reader.number(1))) } catch { results.append("\(error)") }
        }
        let bad = { (line: Int, text: String) in "\(path):\(line): field \"v\" is \"\(text)\", not a finite number" }
        XCTAssertEqual(results, ["1.5", "-2000.0", bad(4, "NaN"), bad(5, "inf"), bad(6, "1e309"), bad(7, "0x1p3"), bad(8, ""),
                                 "0.0", "0.5", "7.0"])
    }

    /// Parsed from bytes, numbers are the doubles Swift's own parser (correctly rounded) gives.
    func testDecimalParsingAgreesWithTheStandardLibrary() {
        var rng = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "0.1", "0.30000000000000004", "123456789012345678901234567890", "9007199254740993",
                     "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308", "1e22", "1e23", "0.000001", "1E5", "-.25e+2"]
        for _ in 0..<20_000 {
            let v = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            guard v.isFinite else { continue }
            texts.append("\(v)")
            texts.append(String(format: "%.6f", Double.random(in: -1e6...1e6, using: &rng)))
            texts.append(String(Int.random(in: -1_000_000...1_000_000, using: &rng)))
            texts.append(String(format: "%.17g", Double.random(in: 0...1, using: &rng)))
        }
        for text in texts {
            XCTAssertEqual(DecimalNumber.parse(text)?.bitPattern, Double(text)?.bitPattern, text)
        }
    }
}
