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
