import Foundation
import XCTest
@testable import Platform
import Postgres
import _TestSupport

/// A test case with a fresh, migrated database and helpers for unit files.
class ExperimentTestCase: XCTestCase {
    var store: Store!
    var database = ""
    var url = ""
    var files: [URL] = []

    override func setUpWithError() throws {
        let (name, url) = try TestDatabase.createDatabase()
        database = name
        self.url = url
        store = Store(connection: try Connection(.url(url)))
        _ = try DatabaseAdmin.migrate(store)
    }

    override func tearDown() {
        store = nil
        TestDatabase.dropDatabase(database)
        for file in files { try? FileManager.default.removeItem(at: file) }
    }

    /// Writes a CSV file and returns its path.
    func csv(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString).csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        files.append(url)
        return url.path
    }

    func unitsFile(_ range: Range<Int>, prefix: String = "u") throws -> String {
        try csv("unit\n" + range.map { "\(prefix)\($0)" }.joined(separator: "\n") + "\n")
    }

    func count(_ sql: SQLQuery) throws -> Int { try store.connection.query(sql).decodeOne(Int.self) }

    /// Compares the maintained tables with `causeway_rebuild_lift_sums()`'s, row by row (a row
    /// missing on one side counts as zeros), then leaves the rebuilt ones in place.
    func assertSumsMatchARebuild(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = store.connection
        let tables: [(name: String, keys: [String], values: [String])] = [
            ("unit_totals", ["unit", "metric"], ["value"]),
            ("metric_units", ["metric"], ["units"]),
            ("arm_units", ["experiment_id", "phase", "arm", "segment"], ["units"]),
            ("arm_metric_sums", ["experiment_id", "phase", "arm", "metric"], ["units", "total", "squares"]),
            ("arm_metric_products", ["experiment_id", "phase", "arm", "metric", "other"], ["product"]),
        ]
        for table in tables { try c.execute("CREATE TEMP TABLE \(identifier: "kept_" + table.name) AS SELECT * FROM \(identifier: table.name)") }
        try c.execute("SELECT causeway_rebuild_lift_sums()")
        for table in tables {
            // Keys compared as text, NULL as '' (a FULL JOIN needs an equality; arm and segment may be NULL).
            let join = table.keys.map { "coalesce(k.\($0)::text, '') = coalesce(r.\($0)::text, '')" }.joined(separator: " AND ")
            let differ = table.values.map { v in
                "abs(coalesce(k.\(v), 0)::numeric - coalesce(r.\(v), 0)::numeric) > 1e-9 * (1 + abs(coalesce(r.\(v), 0)::numeric))"
            }.joined(separator: " OR ")
            let mismatched = try c.query(SQLQuery(unsafeSQL: """
                SELECT count(*) FROM kept_\(table.name) k FULL JOIN \(table.name) r ON \(join) WHERE \(differ)
                """)).decodeOne(Int.self)
            XCTAssertEqual(mismatched, 0, "\(message): \(table.name) differs from a rebuild", file: file, line: line)
            if table.name == "unit_totals" {
                let rows = try c.query("SELECT count(*) FROM unit_totals").decodeOne(Int.self)
                let units = try c.query("SELECT count(*) FROM (SELECT DISTINCT unit, metric FROM outcomes) d").decodeOne(Int.self)
                XCTAssertEqual(rows, units, "\(message): one total per unit and metric with rows", file: file, line: line)
            }
            try c.execute("DROP TABLE \(identifier: "kept_" + table.name)")
        }
    }
}
