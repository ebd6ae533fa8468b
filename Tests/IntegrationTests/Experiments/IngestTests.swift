import Foundation
import XCTest
@testable import Platform
import Postgres
import Randomization
import _TestSupport

/// Imports stream their rows into COPY as they are read (issue 17): a bad line anywhere, the last of
/// a large file included, aborts the COPY and leaves every table as it was; the tables Citus would
/// distribute carry no triggers.
final class IngestTests: ExperimentTestCase {
    /// Row counts and a checksum of every table in the schema.
    func snapshot() throws -> [String: String] {
        let tables = try store.connection.query("""
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
            """).decode(String.self)
        var state: [String: String] = [:]
        for table in tables {
            state[table] = try store.connection.query("""
                SELECT count(*)::text || ':' || coalesce(sum(hashtext(t::text)::numeric), 0)::text FROM \(identifier: table) t
                """).decodeOne(String.self)
        }
        return state
    }

    func testAnErrorOnTheLastLineOfALargeFileLeavesEveryTableAsItWas() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<5_000), in: store)
        try Metrics.importOutcomes(path: try csv("unit,value\nu1,2\nu2,3\n"), metric: "revenue", kind: nil, in: store)
        let before = try snapshot()
        let rows = 300_000
        var text = "unit,value\n"
        text.reserveCapacity(rows * 16)
        for k in 0..<rows { text += "u\(k % 7_000),\(k % 97).5\n" }
        let cases: [(String, String, Metrics.Kind?, String)] = [
            ("u9,NaN\n", "revenue", nil, "field \"value\" is \"NaN\", not a finite number"),
            ("u9,1e309\n", "fresh", nil, "field \"value\" is \"1e309\", not a finite number"),
            ("u9\n", "fresh", nil, "expected 2 fields, found 1"),
            ("\"u9,1\n", "fresh", nil, "unterminated quoted field"),
            (",1\n", "revenue", nil, "field \"unit\" is empty"),
        ]
        for (last, metric, kind, message) in cases {
            let path = try csv(text + last)
            XCTAssertThrowsError(try Metrics.importOutcomes(path: path, metric: metric, kind: kind, in: store)) { error in
                XCTAssertEqual("\(error)", "\(path):\(rows + 2): \(message)")
            }
            XCTAssertEqual(try snapshot(), before, "after a bad last line \(last.debugDescription)")
        }
        // The same file without the bad line goes in whole.
        let imported = try Metrics.importOutcomes(path: try csv(text), metric: "fresh", kind: nil, in: store)
        XCTAssertEqual(imported.rows, rows)
        XCTAssertEqual(imported.units, 7_000)
        try assertSumsMatchARebuild("after a large import")
    }

    func testOtherImportsStopAtTheirBadLineToo() throws {
        let before = try snapshot()
        let units = try csv("unit,plan\n" + (0..<50_000).map { "u\($0),basic" }.joined(separator: "\n") + "\nu17,gold\n")
        XCTAssertThrowsError(try UnitImport.run(path: units, in: store)) { XCTAssertEqual("\($0)", "\(units):50002: unit \"u17\" is listed twice") }
        let clusters = try csv("unit,cluster\n" + (0..<50_000).map { "u\($0),c\($0 % 10)" }.joined(separator: "\n") + "\nu3,c4\n")
        XCTAssertThrowsError(try ClusterImport.run(path: clusters, mapping: "m", in: store)) {
            XCTAssertEqual("\($0)", "\(clusters):50002: unit \"u3\" is in cluster \"c3\" on line 5 and \"c4\" here")
        }
        let features = try csv("unit,a,b\n" + (0..<50_000).map { "u\($0),1,2" }.joined(separator: "\n") + "\nu50000,1,inf\n")
        XCTAssertThrowsError(try FeatureStore.importCSV(path: features, set: "f", in: store)) {
            XCTAssertEqual("\($0)", "\(features):50002: feature \"b\" is inf; features must be finite")
        }
        XCTAssertEqual(try snapshot(), before)
    }

    func testAScoresFileNamesTheLineOfARepeatedUnitAndArm() throws {
        let path = try csv("unit,arm,uplift\nu1,a,0.5\nu1,b,0.25\nu2,a,0.1\nu2,b,0.2\nu1,b,0.3\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: path)) {
            XCTAssertEqual("\($0)", "\(path):6: unit \"u1\", arm \"b\" is listed twice")
        }
        let missing = try csv("unit,arm,uplift\nu1,a,0.5\nu1,b,0.25\nu2,a,0.1\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: missing)) {
            XCTAssertEqual("\($0)", "\(missing): unit \"u2\" has no uplift for arm \"b\"")
        }
    }

    func testTheTablesKeyedByUnitCarryNoTriggers() throws {
        let triggers = try store.connection.query("""
            SELECT tgrelid::regclass::text || '.' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1
            """).decode(String.self)
        XCTAssertEqual(triggers, [], "Citus refuses triggers on distributed tables")
    }

    /// Every table of the schema is either distributed by unit or a reference table in `db distribute`,
    /// and every distributed table's primary key and unique constraints hold its distribution column
    /// (Citus's rule), so a new migration cannot slip a table past Citus.
    func testEveryTableIsClassifiedForCitus() throws {
        let tables = try store.connection.query("""
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1
            """).decode(String.self)
        let distributed = Dictionary(uniqueKeysWithValues: DatabaseAdmin.distributedTables.map { ($0.table, $0.column) })
        let reference = Set(DatabaseAdmin.referenceTables)
        for table in tables {
            XCTAssertTrue(distributed[table] != nil || reference.contains(table), "table \(table) is neither distributed nor a reference table")
            guard let column = distributed[table] else { continue }
            let keys = try store.connection.query("""
                SELECT con.conname::text, array_agg(a.attname::text)::text[] FROM pg_constraint con
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
                WHERE con.conrelid = \(table)::regclass AND con.contype IN ('p', 'u') GROUP BY 1
                """).decode((String, [String]).self)
            for (name, columns) in keys {
                XCTAssertTrue(columns.contains(column), "\(table)'s constraint \(name) lacks the distribution column \(column)")
            }
        }
    }

    func testDistributeWithoutCitusSaysWhatToInstall() throws {
        XCTAssertThrowsError(try DatabaseAdmin.distribute(store)) { error in
            XCTAssertTrue("\(error)".hasPrefix("db distribute needs the citus extension in this database: install Citus"), "\(error)")
            XCTAssertEqual((error as? PlatformError)?.code, .wrongState)
        }
    }
}

/// Schema 0008 partitions outcomes and unit totals by metric: a store written under 0007 keeps
/// every row, and its sums still equal a rebuild.
final class MetricPartitionMigrationTests: XCTestCase {
    func testRowsWrittenBeforeThePartitionsAreKept() throws {
        let (database, url) = try TestDatabase.createDatabase()
        defer { TestDatabase.dropDatabase(database) }
        let store = Store(connection: try Connection(.url(url)))
        let before = EmbeddedSchema.files.filter { $0.name < "0008" }
        XCTAssertEqual(before.count, 7)
        _ = try Migrator(files: before).migrate(on: store.connection)
        let c = store.connection
        try c.execute("INSERT INTO metrics (name) VALUES ('revenue'), ('pre')")
        try c.execute("INSERT INTO metrics (name, kind) VALUES ('bought', 'proportion')")
        try c.execute("INSERT INTO experiments (name, seed, status) VALUES ('e', 's', 'running')")
        try c.execute("INSERT INTO assignments (unit, experiment_id, phase, arm) SELECT 'u' || g, 1, 1, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END FROM generate_series(1, 300) g")
        try c.execute("""
            INSERT INTO outcomes (unit, metric, value) SELECT 'u' || g, m, g % 7 FROM generate_series(1, 400) g, unnest(ARRAY['revenue', 'pre']) m
            """)
        try c.execute("INSERT INTO outcomes (unit, metric, value) SELECT 'u' || g, 'bought', g % 2 FROM generate_series(1, 400, 3) g")
        try c.execute("SELECT causeway_rebuild_lift_sums()")
        let rows = try c.query("SELECT metric, count(*), sum(value)::float8 FROM outcomes GROUP BY 1 ORDER BY 1").decode((String, Int, Double).self)
        let sums = try c.query("SELECT arm, metric, units, total::float8 FROM arm_metric_sums ORDER BY 1, 2").decode((String?, String, Int, Double).self)
        _ = try DatabaseAdmin.migrate(store)
        XCTAssertEqual(try c.query("SELECT metric, count(*), sum(value)::float8 FROM outcomes GROUP BY 1 ORDER BY 1").decode((String, Int, Double).self)
                        .map { "\($0)" }, rows.map { "\($0)" })
        XCTAssertEqual(try c.query("SELECT arm, metric, units, total::float8 FROM arm_metric_sums ORDER BY 1, 2").decode((String?, String, Int, Double).self)
                        .map { "\($0)" }, sums.map { "\($0)" })
        let partitions = try c.query("""
            SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'r' ORDER BY 1
            """).decode(String.self)
        XCTAssertEqual(partitions, ["outcomes_m1", "outcomes_m2", "outcomes_m3", "unit_totals_m1", "unit_totals_m2", "unit_totals_m3"])
        XCTAssertEqual(try DatabaseAdmin.keptSumsMismatches(store).map(\.table), [])
        // Rows added after the migration go to the metric's partition and keep the sums.
        let more = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString).csv")
        try "unit,value\nu1,5\nu2,6\nu999,7\n".write(to: more, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: more) }
        try Metrics.importOutcomes(path: more.path, metric: "revenue", kind: nil, in: store)
        XCTAssertEqual(try c.query("SELECT count(*) FROM outcomes_m1").decodeOne(Int.self), 403)
        XCTAssertEqual(try DatabaseAdmin.keptSumsMismatches(store).map(\.table), [])
    }
}
