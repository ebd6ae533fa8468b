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

    func testFieldsUnescapeAndRecognizeNull() {
        let line = Array("a\\tb\\nc\\\\d\t\\N\t\t\\\\N\n".utf8)
        let fields = line.withUnsafeBytes { CopyText.fields(of: $0) }
        XCTAssertEqual(fields.count, 4)
        XCTAssertEqual(fields[0].map { String(decoding: $0, as: UTF8.self) }, "a\tb\nc\\d")
        XCTAssertNil(fields[1])
        XCTAssertEqual(fields[2], [])
        XCTAssertEqual(fields[3].map { String(decoding: $0, as: UTF8.self) }, "\\N", "an escaped backslash before N is text, not NULL")
    }
}
