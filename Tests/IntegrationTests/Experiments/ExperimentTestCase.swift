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
    /// missing on one side counts as zeros), and fails naming each table that differs.
    func assertSumsMatchARebuild(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for mismatch in try DatabaseAdmin.keptSumsMismatches(store) {
            XCTFail("\(message): \(mismatch.table) differs from a rebuild in \(mismatch.rows) rows", file: file, line: line)
        }
    }
}
