import XCTest
@testable import Postgres

final class CopyTextTests: XCTestCase {
    private func encode<each F: CopyTextEncodable>(_ fields: repeat each F) -> String {
        var buffer: [UInt8] = []
        var first = true
        for field in repeat each fields {
            if !first { buffer.append(9) }
            first = false
            field.appendCopyText(to: &buffer)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    func testEscapesSpecialBytesAndNull() {
        let missing: String? = nil
        XCTAssertEqual(encode("a\tb\nc\\d\re", missing, Int64.min, 0, -42, true), "a\\tb\\nc\\\\d\\re\t\\N\t-9223372036854775808\t0\t-42\tt")
    }

    func testRowFieldsUnescapeAndRecognizeNull() throws {
        let line = Array("a\\tb\\nc\\\\d\t\\N\t\t\\\\N\n".utf8)
        try line.withUnsafeBytes { bytes in
            let row = CopyRow(line: bytes)
            XCTAssertEqual(row.count, 4)
            let fields = row.fields
            XCTAssertEqual(fields[0].map { String(decoding: $0, as: UTF8.self) }, "a\tb\nc\\d")
            XCTAssertNil(fields[1])
            XCTAssertEqual(fields[2], [])
            XCTAssertEqual(fields[3].map { String(decoding: $0, as: UTF8.self) }, "\\N", "an escaped backslash before N is text, not NULL")
            let decoded = try row.decode((String, String?, String, String).self)
            XCTAssertEqual(decoded.0, "a\tb\nc\\d")
            XCTAssertNil(decoded.1)
            XCTAssertEqual(decoded.2, "")
            XCTAssertEqual(decoded.3, "\\N")
        }
    }

    func testRowDecodesNumbersInPlaceAndChecksArity() throws {
        let line = Array("-42\t7\t2.5e-3\tt\n".utf8)
        try line.withUnsafeBytes { bytes in
            let row = CopyRow(line: bytes)
            let (a, b, c, d) = try row.decode((Int64, Int32, Double, Bool).self)
            XCTAssertEqual(a, -42)
            XCTAssertEqual(b, 7)
            XCTAssertEqual(c, 0.0025)
            XCTAssertTrue(d)
            XCTAssertThrowsError(try row.decode((Int64, Int32, Double).self), "too few targets")
            XCTAssertThrowsError(try row.decode((Int64, Int32, Double, Bool, Int).self), "too many targets")
            XCTAssertThrowsError(try row.decode((Int64, Int64, Int64, Bool).self)) { error in
                XCTAssertTrue("\(error)".contains("field 3"), "\(error)")
            }
        }
    }
}

final class DoubleParsingTests: XCTestCase {
    /// The fast path must agree bit for bit with strtod wherever it answers.
    func testFastPathMatchesStrtod() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "1", "-1.5", "0.001", "123456789012345", "1234567890.12345", "0.1", "0.3",
                     "9007199254740993", "1e5", "NaN", "Infinity", "-Infinity", "1.", ".5", "1.2.3", "", "-", "12a"]
        for _ in 0..<20_000 {
            let value = Double.random(in: -1e6...1e6, using: &generator)
            texts.append("\(value)")
            texts.append(String(format: "%.3f", value))
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBytes { Double.fastParseDouble($0) }
            let full = bytes.withUnsafeBytes { Double.parseDouble($0) }
            if let fast {
                XCTAssertEqual(fast.bitPattern, strtod(text, nil).bitPattern, text)
            }
            if let expected = Double(text), !text.hasPrefix(".") {
                XCTAssertEqual(full?.bitPattern ?? 0, expected.bitPattern, text)
            }
        }
        XCTAssertNil([UInt8]("1.2.3".utf8).withUnsafeBytes { Double.parseDouble($0) })
        XCTAssertNil([UInt8]("12a".utf8).withUnsafeBytes { Double.parseDouble($0) })
    }
}
