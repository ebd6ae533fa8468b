import XCTest
import Postgres

final class CopyTests: PostgresTestCase {
    struct Boom: Error {}

    /// COPY's values are bound (set_config, read back with its type), never spliced: quotes,
    /// backslashes, numbers and arrays arrive as they were, inside a transaction and outside one.
    func testCopyTakesBoundValuesOfEachType() throws {
        try connection.execute("CREATE TABLE t (label text, n bigint, x double precision)")
        try connection.execute("INSERT INTO t VALUES ('a''b\\c', 5, 1.5), ('other', 6, 2.5)")
        let label = #"a'b\c"#
        for inTransaction in [false, true] {
            var rows: [String] = []
            let body = {
                try self.connection.copyOutRows("""
                    COPY (SELECT label, n, x FROM t WHERE label = \(label) AND n = \(Int64(5)) AND x = \(1.5)
                          AND label = ANY(\([label, "z"]))) TO STDOUT
                    """) { row in rows.append(try row.decode((String, Int64, Double).self).0) }
            }
            if inTransaction { try connection.transaction { _ in try body() } } else { try body() }
            XCTAssertEqual(rows, [label], "in a transaction: \(inTransaction)")
        }
        let missing: String? = nil
        XCTAssertThrowsError(try connection.copyOutRows("COPY (SELECT label FROM t WHERE label = \(missing)) TO STDOUT") { _ in })
    }

    func testMillionRowRoundTrip() throws {
        try connection.execute("CREATE TABLE big (id bigint, arm int, value double precision, label text)")
        let n = 1_000_000
        let copied = try connection.copyIn("COPY big (id, arm, value, label) FROM STDIN") { writer in
            for i in 0..<n {
                let label: String? = i % 1000 == 0 ? nil : (i % 7 == 0 ? "tab\there\\" : "u\(i)")
                try writer.writeRow(Int64(i), Int32(i % 4), Double(i) * 0.5, label)
            }
        }
        XCTAssertEqual(copied, n)
        let sums = try connection.query("""
            SELECT count(*), sum(id), sum(arm), sum(value), count(label), count(*) FILTER (WHERE label = E'tab\\there\\\\')
            FROM big
            """).decodeOne((Int, Double, Int, Double, Int, Int).self)
        XCTAssertEqual(sums.0, n)
        XCTAssertEqual(sums.1, Double(n) * Double(n - 1) / 2)
        XCTAssertEqual(sums.2, (0..<n).reduce(0) { $0 + $1 % 4 })
        XCTAssertEqual(sums.3, Double(n) * Double(n - 1) / 4)
        XCTAssertEqual(sums.4, n - n / 1000)
        XCTAssertEqual(sums.5, (0..<n).filter { $0 % 1000 != 0 && $0 % 7 == 0 }.count)

        var seen = 0
        var idSum = 0
        var nulls = 0
        var mismatches = 0
        let out = try connection.copyOutRows("COPY big (id, arm, value, label) TO STDOUT") { row in
            seen += 1
            let (id, arm, value, label) = try row.decode((Int, Int32, Double, String?).self)
            idSum += id
            if value != Double(id) * 0.5 || arm != Int32(id % 4) { mismatches += 1 }
            if let label {
                if label != (id % 7 == 0 ? "tab\there\\" : "u\(id)") { mismatches += 1 }
            } else {
                nulls += 1
            }
        }
        XCTAssertEqual(out, n)
        XCTAssertEqual(seen, n)
        XCTAssertEqual(idSum, n * (n - 1) / 2)
        XCTAssertEqual(nulls, n / 1000)
        XCTAssertEqual(mismatches, 0)
    }

    func testThrowingBodyAbortsAndLeavesNoRows() throws {
        try connection.execute("CREATE TABLE t (v int)")
        XCTAssertThrowsError(try connection.copyIn("COPY t FROM STDIN") { writer in
            for i in 0..<100_000 { try writer.writeRow(Int32(i)) }
            throw Boom()
        }) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(try connection.query("SELECT count(*) FROM t").decodeOne(Int.self), 0)
        // The connection is usable afterwards.
        try connection.copyIn("COPY t FROM STDIN") { try $0.writeRow(Int32(5)) }
        XCTAssertEqual(try connection.query("SELECT sum(v) FROM t").decodeOne(Int.self), 5)
    }

    func testMalformedDataFailsWithSQLStateAndLeavesNoRows() throws {
        try connection.execute("CREATE TABLE t (v int)")
        XCTAssertThrowsError(try connection.copyIn("COPY t FROM STDIN") { writer in
            try writer.write("1\n2\nnot-a-number\n4\n")
        }) { error in
            XCTAssertEqual((error as? PostgresError)?.code, .invalidTextRepresentation)
        }
        XCTAssertEqual(try connection.query("SELECT count(*) FROM t").decodeOne(Int.self), 0)
    }

    /// A key broken on the first row of a long COPY: the server's error comes back with its
    /// SQLSTATE (bulk assignment tells a stored unit from any other failure by it), and no row is kept.
    /// libpq reports it only when the COPY ends: the writer sends every row, the server drops them.
    func testAnErrorMidCopyComesBackWithTheServersSQLState() throws {
        try connection.execute("CREATE TABLE keyed (id bigint PRIMARY KEY, label text)")
        try connection.execute("INSERT INTO keyed VALUES (0, 'stored')")
        XCTAssertThrowsError(try connection.copyIn("COPY keyed (id, label) FROM STDIN") { writer in
            for k in 0..<200_000 { try writer.writeRow(Int64(k), "a label") }
        }) { error in
            XCTAssertEqual((error as? PostgresError)?.code, .uniqueViolation, "\(error)")
        }
        XCTAssertEqual(try connection.query("SELECT count(*) FROM keyed").decodeOne(Int.self), 1)
    }

    func testThrowingCopyOutBodyCancelsAndConnectionRecovers() throws {
        try connection.execute("CREATE TABLE t AS SELECT g AS v FROM generate_series(1, 200000) g")
        var rows = 0
        XCTAssertThrowsError(try connection.copyOut("COPY t TO STDOUT") { _ in
            rows += 1
            if rows == 10 { throw Boom() }
        }) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(rows, 10)
        XCTAssertEqual(try connection.query("SELECT count(*) FROM t").decodeOne(Int.self), 200_000)
    }

    func testCopyInsideTransactionRollsBack() throws {
        try connection.execute("CREATE TABLE t (v int)")
        struct Later: Error {}
        XCTAssertThrowsError(try connection.transaction { c in
            try c.copyIn("COPY t FROM STDIN") { try $0.writeRow(Int32(1)) }
            throw Later()
        })
        XCTAssertEqual(try connection.query("SELECT count(*) FROM t").decodeOne(Int.self), 0)
    }

    func testCopyRefusesParametersAndNonCopyStatements() throws {
        XCTAssertThrowsError(try connection.copyIn("COPY t FROM STDIN WHERE v = \(1)") { _ in })
        XCTAssertThrowsError(try connection.copyIn("SELECT 1") { _ in })
        XCTAssertEqual(try connection.query("SELECT 2").decodeOne(Int.self), 2)
    }
}
