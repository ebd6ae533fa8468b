import XCTest
import Postgres
import _TestSupport

/// A test case with its own schema on the throwaway server, dropped afterwards.
class PostgresTestCase: XCTestCase {
    var connection: Connection!
    var schema = ""

    override func setUpWithError() throws {
        (connection, schema) = try TestDatabase.isolatedConnection()
    }

    override func tearDown() {
        if let connection { TestDatabase.drop(schema: schema, on: connection) }
        connection = nil
    }
}
