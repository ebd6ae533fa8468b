import Foundation
import XCTest
import Platform
@testable import Server

/// The exposure body reader: JSON arrays and NDJSON, every string escape, ignored members, and a
/// one-line reason for what it refuses.
final class ExposureParserTests: XCTestCase {
    private func parse(_ text: String) throws -> [Exposures.Event] { try ExposureParser.parse(Data(text.utf8)) }

    private func refused(_ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) {
            XCTAssertEqual(($0 as? ExposureParser.Failure)?.message, message, file: file, line: line)
        }
    }

    func testArraysNDJSONEscapesAndIgnoredMembers() throws {
        let events = try parse("""
             [ {"unit": "u\\u00e9\\ud83d\\ude00\\n\\"q\\"", "experiment": "e", "variation": 1, "timestamp": 1796551500,
               "extra": {"nested": [1, 2.5e3, true, false, null, "x"]}},
               {"timestamp": "2026-12-06T10:15:00Z", "variation": "treatment", "experiment": "e", "unit": "u2"} ]
            """)
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[0].unit, "ué😀\n\"q\"")
        XCTAssertEqual(events[0].variation, .index(1))
        XCTAssertEqual(events[0].timestamp, Date(timeIntervalSince1970: 1796551500))
        XCTAssertEqual(events[1].variation, .name("treatment"))
        XCTAssertEqual(events[1].timestamp, try XCTUnwrap(Timestamps.parse("2026-12-06T10:15:00Z")))
        let lines = try parse("{\"unit\":\"a\",\"experiment\":\"e\",\"variation\":0,\"timestamp\":0}\n\n{\"unit\":\"b\",\"experiment\":\"e\",\"variation\":1,\"timestamp\":1}\r\n")
        XCTAssertEqual(lines.map(\.unit), ["a", "b"])
        XCTAssertEqual(try parse("[]").count, 0)
        // The same events as Foundation's JSONSerialization reads them.
        let text = "[{\"unit\":\"\\u0041\\/b\",\"experiment\":\"e\",\"variation\":2,\"timestamp\":\"2026-12-06 10:15:00+01:00\"}]"
        let reference = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])?.first)
        XCTAssertEqual(try parse(text)[0].unit, reference["unit"] as? String)
    }

    /// Names and times repeated from one event to the next are reused, and a change is seen.
    func testRepeatedNamesAndTimes() throws {
        let events = try parse("""
            [{"unit":"a","experiment":"e","variation":0,"timestamp":"2026-12-06T10:00:00Z"},
             {"unit":"b","experiment":"e","variation":0,"timestamp":"2026-12-06T10:00:00Z"},
             {"unit":"c","experiment":"ee","variation":0,"timestamp":"2026-12-06T10:00:01Z"},
             {"unit":"d","experiment":"e\\u0065","variation":0,"timestamp":"2026-12-06T10:00:01Z"},
             {"unit":"e","experiment":"e","variation":0,"timestamp":"2026-12-06T10:00:00Z"}]
            """)
        XCTAssertEqual(events.map(\.experiment), ["e", "e", "ee", "ee", "e"])
        let t0 = try XCTUnwrap(Timestamps.parse("2026-12-06T10:00:00Z"))
        XCTAssertEqual(events.map(\.timestamp), [t0, t0, t0 + 1, t0 + 1, t0])
    }

    func testRefusals() {
        refused("", "the body is empty; send a JSON array or NDJSON of events")
        refused("[{\"unit\": \"u1\"", "the body is not valid JSON (at byte 15)")
        refused("[1]", "event 1 is not an object")
        refused("[{\"unit\": 5, \"experiment\": \"e\", \"variation\": 0, \"timestamp\": 0}]", "event 1: \"unit\" must be a string")
        refused("[{\"unit\": \"u\", \"experiment\": \"e\", \"timestamp\": 0}]", "event 1: \"variation\" is missing")
        refused("[{\"unit\": \"u\", \"experiment\": \"e\", \"variation\": 1.5, \"timestamp\": 0}]", "event 1: \"variation\" must be an arm's index or name")
        refused("[{\"unit\": \"u\", \"experiment\": \"e\", \"variation\": 0, \"timestamp\": \"yesterday\"}]",
                "event 1: \"timestamp\" is \"yesterday\", not a time such as 2026-12-06T10:15:00Z")
        refused("[{\"unit\": \"u\", \"experiment\": \"e\", \"variation\": 0, \"timestamp\": 0}] x", "the body is not valid JSON (at byte 68)")
        refused("{\"unit\":\"a\",\"experiment\":\"e\",\"variation\":0,\"timestamp\":0} {}", "line 1 is not valid JSON: one event per line")
        refused("[{\"unit\": \"\\ud800\", \"experiment\": \"e\", \"variation\": 0, \"timestamp\": 0}]", "the body is not valid JSON (at byte 19)")
        refused("[{\"unit\": \"\u{01}\", \"experiment\": \"e\", \"variation\": 0, \"timestamp\": 0}]", "the body is not valid JSON (at byte 12)")
        refused("[{\"unit\": \"u\", \"experiment\": \"e\", \"variation\": 0, \"timestamp\": 1e999}]", "the body is not valid JSON (at byte 69)")
    }
}
