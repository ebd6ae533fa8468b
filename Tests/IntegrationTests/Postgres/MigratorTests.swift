import XCTest
import Postgres

final class MigratorTests: PostgresTestCase {
    let first = (name: "0001_core.sql", sql: "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1);")
    let second = (name: "0002_more.sql", sql: "CREATE TABLE b (id int);")

    private func tables() throws -> [String] {
        try connection.query("""
            SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema) ORDER BY 1
            """).decode(String.self)
    }

    func testFreshThenRepeatedThenNewFile() throws {
        let migrator = try Migrator(files: [first])
        XCTAssertEqual(try migrator.status(on: connection).map(\.state), [.pending])
        XCTAssertEqual(try migrator.migrate(on: connection).map(\.fileName), ["0001_core.sql"])
        XCTAssertEqual(try tables(), ["a", "schema_migrations"])
        XCTAssertEqual(try migrator.migrate(on: connection).count, 0, "a second run applies nothing")
        XCTAssertEqual(try connection.query("SELECT count(*) FROM a").decodeOne(Int.self), 1)

        let next = try Migrator(files: [second, first])
        XCTAssertEqual(try next.status(on: connection).map(\.state), [.applied, .pending])
        var announced: [String] = []
        XCTAssertEqual(try next.migrate(on: connection) { announced.append($0.fileName) }.map(\.version), [2])
        XCTAssertEqual(announced, ["0002_more.sql"], "the progress hook hears of each file applied, and only those")
        let recorded = try connection.query("SELECT version, file_name, checksum FROM schema_migrations ORDER BY 1")
            .decode((Int, String, String).self)
        XCTAssertEqual(recorded.map(\.0), [1, 2])
        XCTAssertEqual(recorded[0].2, SHA256.hex(Array(first.sql.utf8)))
    }

    func testTamperedFileIsRefusedBeforeAnythingRuns() throws {
        try Migrator(files: [first]).migrate(on: connection)
        let tampered = try Migrator(files: [(first.name, first.sql + " -- edited"), second])
        XCTAssertEqual(try tampered.status(on: connection).map(\.state), [.changed, .pending])
        XCTAssertThrowsError(try tampered.migrate(on: connection)) { error in
            XCTAssertTrue("\(error)".contains("0001_core.sql changed"), "\(error)")
        }
        XCTAssertFalse(try tables().contains("b"), "nothing after the refusal may run")
    }

    func testFailingFileLeavesNoPartialWork() throws {
        let bad = (name: "0002_bad.sql", sql: "CREATE TABLE b (id int); INSERT INTO b VALUES ('not an int');")
        XCTAssertThrowsError(try Migrator(files: [first, bad]).migrate(on: connection)) { error in
            XCTAssertTrue("\(error)".contains("0002_bad.sql"), "\(error)")
        }
        XCTAssertEqual(try tables(), ["a", "schema_migrations"], "0001 stays, 0002 leaves nothing")
        XCTAssertEqual(try connection.query("SELECT count(*) FROM schema_migrations").decodeOne(Int.self), 1)
    }

    func testUnknownAppliedMigrationIsReported() throws {
        try Migrator(files: [first, second]).migrate(on: connection)
        let older = try Migrator(files: [first])
        XCTAssertEqual(try older.status(on: connection).map(\.state), [.applied, .unknown])
        XCTAssertThrowsError(try older.migrate(on: connection))
    }

    func testBadFileNamesAndDuplicateVersionsAreRejected() {
        XCTAssertThrowsError(try Migration(fileName: "core.sql", sql: ""))
        XCTAssertThrowsError(try Migration(fileName: "01_core.sql", sql: ""))
        XCTAssertThrowsError(try Migration(fileName: "0001_core.txt", sql: ""))
        XCTAssertThrowsError(try Migrator(files: [("0001_a.sql", ""), ("0001_b.sql", "")]))
    }
}
