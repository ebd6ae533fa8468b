import XCTest
@testable import Postgres

final class SQLQueryTests: XCTestCase {
    func testInterpolatedValuesBecomeNumberedParameters() {
        let name = "x'); DROP TABLE experiments; --"
        let query: SQLQuery = "SELECT * FROM experiments WHERE name = \(name) AND phase = \(3)"
        XCTAssertEqual(query.sql, "SELECT * FROM experiments WHERE name = $1 AND phase = $2")
        XCTAssertEqual(query.parameters, [name, "3"])
        XCTAssertEqual(query.parameterTypes, [PostgresType.text, PostgresType.int8])
        XCTAssertFalse(query.description.contains("DROP"), "description must not show bound values")
    }

    func testIdentifiersAreQuotedWithQuotesDoubled() {
        let query: SQLQuery = "SELECT 1 FROM \(identifier: "we\"ird table")"
        XCTAssertEqual(query.sql, "SELECT 1 FROM \"we\"\"ird table\"")
        XCTAssertTrue(query.parameters.isEmpty)
    }

    func testNestedFragmentsAreRenumbered() {
        let filter: SQLQuery = "arm = \("b") AND value > \(2.5)"
        let query: SQLQuery = "SELECT count(*) FROM t WHERE unit = \("u1") AND \(filter) LIMIT \(10)"
        XCTAssertEqual(query.sql, "SELECT count(*) FROM t WHERE unit = $1 AND arm = $2 AND value > $3 LIMIT $4")
        XCTAssertEqual(query.parameters, ["u1", "b", "2.5", "10"])
    }

    func testJoinedRenumbersEachPart() {
        let parts: [SQLQuery] = ["(\(1), \("a"))", "(\(2), \("b"))"]
        let joined = SQLQuery.joined(parts, separator: ", ")
        XCTAssertEqual(joined.sql, "($1, $2), ($3, $4)")
        XCTAssertEqual(joined.parameters, ["1", "a", "2", "b"])
    }

    func testNilAndSpecialValuesEncode() {
        let missing: Int? = nil
        let query: SQLQuery = "VALUES (\(missing), \(Double.nan), \(-Double.infinity), \(true), \(["a\"b", "c\\d"]))"
        XCTAssertEqual(query.parameters, [nil, "NaN", "-Infinity", "t", "{\"a\\\"b\",\"c\\\\d\"}"])
        XCTAssertEqual(query.parameterTypes[0], PostgresType.int8)
        XCTAssertEqual(query.parameterTypes[4], PostgresType.textArray)
    }

    func testUnsafeSQLHasNoParameters() {
        let query = SQLQuery(unsafeSQL: "SELECT $1")
        XCTAssertEqual(query.sql, "SELECT $1")
        XCTAssertTrue(query.parameters.isEmpty)
    }
}
