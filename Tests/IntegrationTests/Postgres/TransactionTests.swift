import XCTest
import Postgres

final class TransactionTests: PostgresTestCase {
    struct Boom: Error {}

    private func count() throws -> Int { try connection.query("SELECT count(*) FROM t").decodeOne(Int.self) }

    func testCommitsWhenTheBodyReturns() throws {
        try connection.execute("CREATE TABLE t (v int)")
        let value = try connection.transaction { c -> Int in
            try c.execute("INSERT INTO t VALUES (1), (2)")
            return 7
        }
        XCTAssertEqual(value, 7)
        XCTAssertEqual(try count(), 2)
        XCTAssertFalse(connection.isInTransaction)
    }

    func testRollsBackWhenTheBodyThrows() throws {
        try connection.execute("CREATE TABLE t (v int)")
        XCTAssertThrowsError(try connection.transaction { c in
            try c.execute("INSERT INTO t VALUES (1)")
            throw Boom()
        }) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(try count(), 0)
    }

    func testRollsBackOnServerError() throws {
        try connection.execute("CREATE TABLE t (v int PRIMARY KEY)")
        XCTAssertThrowsError(try connection.transaction { c in
            try c.execute("INSERT INTO t VALUES (1)")
            try c.execute("INSERT INTO t VALUES (1)")
        })
        XCTAssertEqual(try count(), 0)
    }

    func testNestedFailureUndoesOnlyInnerWork() throws {
        try connection.execute("CREATE TABLE t (v int)")
        try connection.transaction { c in
            try c.execute("INSERT INTO t VALUES (1)")
            _ = try? c.transaction { inner in
                try inner.execute("INSERT INTO t VALUES (2)")
                throw Boom()
            }
            try c.execute("INSERT INTO t VALUES (3)")
        }
        XCTAssertEqual(try connection.query("SELECT v FROM t ORDER BY v").decode(Int.self), [1, 3])
    }
}
