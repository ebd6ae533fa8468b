import Foundation
import XCTest
import Postgres
import _TestSupport

final class QueryTests: PostgresTestCase {
    func testRoundTripsTypedValuesThroughParameters() throws {
        let when = Date(timeIntervalSince1970: 1_795_384_444.123456)
        let missing: Double? = nil
        let row = try connection.query("""
            SELECT \(42)::bigint, \(Int32(-7)), \(2.5), \("héllo ✓"), \(true), \(when), \(missing), \([1.5, 2.5])::float8[]
            """).decodeOne((Int, Int32, Double, String, Bool, Date, Double?, String).self)
        XCTAssertEqual(row.0, 42)
        XCTAssertEqual(row.1, -7)
        XCTAssertEqual(row.2, 2.5)
        XCTAssertEqual(row.3, "héllo ✓")
        XCTAssertTrue(row.4)
        XCTAssertEqual(row.5.timeIntervalSince1970, when.timeIntervalSince1970, accuracy: 1e-6)
        XCTAssertNil(row.6)
        XCTAssertEqual(row.7, "{1.5,2.5}")
    }

    func testDecodesOneDimensionalArrays() throws {
        let texts = ["a", "b,c", "say \"hi\"", "", "back\\slash", "NULL", "{x}", "é ✓"]
        let row = try connection.query("""
            SELECT \(texts)::text[], '{}'::text[], \([1.5, -2, 1e-300])::float8[], ARRAY[1, -9007199254740993]::int8[],
                   ARRAY[3, 4]::int4[], NULL::text[], ARRAY['v']::varchar[]
            """).decodeOne(([String], [String], [Double], [Int64], [Int], [String]?, [String]).self)
        XCTAssertEqual(row.0, texts, "quotes, commas, backslashes, the word NULL and braces survive")
        XCTAssertEqual(row.1, [])
        XCTAssertEqual(row.2, [1.5, -2, 1e-300])
        XCTAssertEqual(row.3, [1, -9_007_199_254_740_993])
        XCTAssertEqual(row.4, [3, 4])
        XCTAssertNil(row.5)
        XCTAssertEqual(row.6, ["v"])
        XCTAssertThrowsError(try connection.query("SELECT ARRAY['a', NULL]").decodeOne([String].self), "a NULL element")
        XCTAssertThrowsError(try connection.query("SELECT ARRAY[[1, 2], [3, 4]]::int8[]").decodeOne([Int64].self), "two dimensions")
        XCTAssertThrowsError(try connection.query("SELECT ARRAY[1.5]::float8[]").decodeOne([String].self), "float8[] is not text[]")
    }

    func testHostileValueIsStoredLiterally() throws {
        try connection.execute("CREATE TABLE experiments (name text PRIMARY KEY)")
        let hostile = "x'); DROP TABLE experiments; --"
        XCTAssertEqual(try connection.execute("INSERT INTO experiments VALUES (\(hostile))"), 1)
        let names = try connection.query("SELECT name FROM experiments").decode(String.self)
        XCTAssertEqual(names, [hostile])
    }

    func testQuotedIdentifierWithQuote() throws {
        let table = "odd \"name\"; DROP TABLE x"
        try connection.execute("CREATE TABLE \(identifier: table) (v int)")
        try connection.execute("INSERT INTO \(identifier: table) VALUES (\(Int32(1)))")
        XCTAssertEqual(try connection.query("SELECT v FROM \(identifier: table)").decodeOne(Int.self), 1)
    }

    func testDecodingErrorNamesColumnIndexAndType() throws {
        let result = try connection.query("SELECT 1 AS id, 'abc'::text AS label, NULL::int AS missing")
        XCTAssertThrowsError(try result.decodeOne((Int, Int, Int).self)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\"label\""), text)
            XCTAssertTrue(text.contains("index 1"), text)
            XCTAssertTrue(text.contains("Int"), text)
        }
        XCTAssertThrowsError(try result[0].decode(column: "missing", as: Int.self)) { error in
            XCTAssertEqual((error as? PostgresDecodingError)?.failure, .unexpectedNull)
            XCTAssertEqual((error as? PostgresDecodingError)?.columnIndex, 2)
        }
        XCTAssertThrowsError(try connection.query("SELECT true AS flag").decodeOne(Double.self)) { error in
            XCTAssertEqual((error as? PostgresDecodingError)?.failure, .typeMismatch)
            XCTAssertTrue("\(error)".contains("boolean"), "\(error)")
        }
        XCTAssertThrowsError(try result.decodeOne((Int, String).self), "arity mismatch must throw")
    }

    func testServerErrorCarriesSQLStateAndStatementButNoValues() throws {
        try connection.execute("CREATE TABLE u (id int PRIMARY KEY)")
        try connection.execute("INSERT INTO u VALUES (\(Int32(1)))")
        let secret = Int32(1)
        XCTAssertThrowsError(try connection.execute("INSERT INTO u VALUES (\(secret))")) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .uniqueViolation)
            XCTAssertEqual(error.sql, "INSERT INTO u VALUES ($1)")
            XCTAssertNotNil(error.detail)
        }
        XCTAssertThrowsError(try connection.execute("SELECT * FROM no_such_table")) { error in
            XCTAssertEqual((error as? PostgresError)?.code, .undefinedTable)
        }
        // The connection is still usable after errors.
        XCTAssertEqual(try connection.query("SELECT 1").decodeOne(Int.self), 1)
    }

    func testConnectsFromURLConninfoAndEnvironment() throws {
        let url = try TestDatabase.url()
        let fromURL = try Connection(.url(url))
        XCTAssertEqual(fromURL.database, "causeway_test")
        let parts = URLComponents(string: url)!
        let conninfo = ConnectionConfiguration.conninfo([
            "host": parts.host!, "port": String(parts.port!), "user": "postgres", "dbname": "causeway_test",
        ])
        XCTAssertEqual(try Connection(conninfo).query("SELECT current_database()").decodeOne(String.self), "causeway_test")
        // tools/test exports PG* too; the environment configuration uses them.
        XCTAssertEqual(try Connection(.environment).database, "causeway_test")
        XCTAssertFalse(fromURL.redactedDescription.isEmpty)
    }

    func testConnectionRefusedNamesHostAndDatabase() throws {
        XCTAssertThrowsError(try Connection(.url("postgresql://nobody:hunter2secret@127.0.0.1:1/somedb"))) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.isConnectionError)
            let text = error.description
            XCTAssertTrue(text.contains("127.0.0.1"), text)
            XCTAssertTrue(text.contains("somedb"), text)
            XCTAssertFalse(text.contains("hunter2secret"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    func testWrongPasswordNeverShowsThePassword() throws {
        try TestDatabase.ensurePasswordRole()
        let parts = URLComponents(string: try TestDatabase.url())!
        let url = "postgresql://causeway_pw:wr0ng-s3cret@127.0.0.1:\(parts.port!)/causeway_test"
        XCTAssertThrowsError(try Connection(.url(url))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("password authentication failed"), text)
            XCTAssertTrue(text.contains("causeway_test"), text)
            XCTAssertFalse(text.contains("wr0ng-s3cret"), text)
            XCTAssertTrue((error as? PostgresError)?.isConnectionError ?? false)
        }
        let good = "postgresql://causeway_pw:right-password@127.0.0.1:\(parts.port!)/causeway_test"
        let connection = try Connection(.url(good))
        XCTAssertFalse(connection.redactedDescription.contains("right-password"))
        XCTAssertFalse(ConnectionConfiguration.url(good).redactedDescription().contains("right-password"))
    }
}

final class QueryCancellerTests: PostgresTestCase {
    /// A statement cancelled from another thread fails with 57014 long before it would end, and the
    /// connection runs the next statement.
    func testCancelFromAnotherThreadStopsTheStatement() throws {
        let canceller = try XCTUnwrap(connection.canceller())
        XCTAssertTrue(canceller.cancel(), "asking while nothing runs is harmless")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { canceller.cancel() }
        let started = Date()
        XCTAssertThrowsError(try connection.execute("SELECT pg_sleep(30)")) { error in
            XCTAssertEqual((error as? PostgresError)?.code, .queryCanceled, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(try connection.query("SELECT 1").decodeOne(Int.self), 1)
    }
}
