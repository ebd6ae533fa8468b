import Foundation
import XCTest
@testable import Postgres

final class PostgresTimestampTests: XCTestCase {
    private func parse(_ text: String) -> Date? { PostgresTimestamp.parse(Array(text.utf8)) }

    func testParsesPostgresISOShapes() throws {
        // 2026-11-22 21:54:04 UTC = 1_795_384_444 s since the epoch (date -u -d '2026-11-22 21:54:04' +%s).
        XCTAssertEqual(parse("2026-11-22 21:54:04+00")?.timeIntervalSince1970, 1_795_384_444)
        XCTAssertEqual(parse("2026-11-22 21:54:04.5+00")?.timeIntervalSince1970, 1_795_384_444.5)
        XCTAssertEqual(parse("2026-11-22 23:54:04+02")?.timeIntervalSince1970, 1_795_384_444)
        XCTAssertEqual(parse("2026-11-22 21:24:04-00:30")?.timeIntervalSince1970, 1_795_384_444)
        XCTAssertEqual(parse("2026-11-22T21:54:04Z")?.timeIntervalSince1970, 1_795_384_444)
        XCTAssertEqual(parse("1970-01-01")?.timeIntervalSince1970, 0)
        XCTAssertEqual(parse("1969-12-31 23:59:59+00")?.timeIntervalSince1970, -1)
        XCTAssertEqual(parse("2000-02-29 00:00:00")?.timeIntervalSince1970, 951_782_400)
    }

    func testRejectsOtherShapes() {
        for text in ["", "2026-13-01", "2026-11-22 25:00:00", "2026-11-22 21:54", "infinity", "2026-11-22 21:54:04+", "20261122"] {
            XCTAssertNil(parse(text), text)
        }
    }

    /// Times that do not exist are refused, never shifted (issue 16, defect 4).
    func testRejectsImpossibleTimes() {
        for text in ["2026-02-30T10:00:00Z", "2026-04-31T10:00:00Z", "2026-02-29 00:00:00", "1900-02-29",
                     "2026-11-22T10:00:00+25:00", "2026-11-22T10:00:00+99:99", "2026-11-22T10:00:00+02:60", "2026-11-22T10:00:00+16"] {
            XCTAssertNil(parse(text), text)
        }
        XCTAssertNotNil(parse("2024-02-29 00:00:00"), "a leap day")
        XCTAssertNotNil(parse("2000-02-29"), "divisible by 400")
        XCTAssertEqual(parse("2026-11-22 21:54:04+15:59")?.timeIntervalSince1970, 1_795_384_444 - 15 * 3600 - 59 * 60,
                       "PostgreSQL's widest offset")
    }

    func testFormatRoundTrips() {
        for seconds in [0.0, -1.0, 951_782_400.25, 1_795_384_444.123456, -2_208_988_800.0] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = PostgresTimestamp.format(date)
            XCTAssertEqual(parse(text)!.timeIntervalSince1970, seconds, accuracy: 1e-6, text)
        }
        XCTAssertEqual(PostgresTimestamp.format(Date(timeIntervalSince1970: 0)), "1970-01-01 00:00:00.000000+00")
        XCTAssertEqual(PostgresTimestamp.format(Date(timeIntervalSince1970: -0.5)), "1969-12-31 23:59:59.500000+00")
    }
}
