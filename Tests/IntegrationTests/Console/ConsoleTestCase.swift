import Foundation
import XCTest
import _TestSupport

/// A test case with a fresh, migrated database for the built binary, and a scratch folder.
class ConsoleTestCase: XCTestCase {
    var database = ""
    var url = ""
    var directory: URL!

    override func setUpWithError() throws {
        (database, url) = try TestDatabase.createDatabase()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cw-console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        XCTAssertEqual(try CausewayBinary.run(["--db", url, "db", "migrate"]).status, 0)
    }

    override func tearDown() {
        TestDatabase.dropDatabase(database)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}
