import Foundation
import Postgres

/// The throwaway PostgreSQL that `tools/test` starts, reached through `DATABASE_URL`.
public enum TestDatabase {
    /// The URL `tools/test` exported; a clear failure when tests run without it.
    public static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw TestSupportError("DATABASE_URL is not set: run the tests through tools/test, which starts PostgreSQL")
        }
        return url
    }

    /// A connection whose `search_path` is a fresh schema of its own, dropped by `drop(_:)`.
    public static func isolatedConnection() throws -> (Connection, schema: String) {
        let connection = try Connection(.url(url()))
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try connection.execute("CREATE SCHEMA \(identifier: schema)")
        try connection.execute("SET search_path TO \(identifier: schema)")
        return (connection, schema)
    }

    /// Drops a schema made by `isolatedConnection()`.
    public static func drop(schema: String, on connection: Connection) {
        _ = try? connection.execute("DROP SCHEMA IF EXISTS \(identifier: schema) CASCADE")
    }

    /// A brand-new database for tests that need a whole one (migrations, the console); returns its URL.
    public static func createDatabase() throws -> (name: String, url: String) {
        let admin = try Connection(.url(url()))
        let name = "causeway_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try admin.execute("CREATE DATABASE \(identifier: name)")
        return (String(name), try replacingDatabase(in: url(), with: String(name)))
    }

    /// Drops a database made by `createDatabase()`.
    public static func dropDatabase(_ name: String) {
        guard let admin = try? Connection(.url(url())) else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
    }

    /// The role `causeway_pw` with password `right-password`; tools/pg makes it authenticate with
    /// SCRAM over TCP, for the wrong-password tests.
    public static func ensurePasswordRole() throws {
        let admin = try Connection(.url(url()))
        try admin.execute(unsafeScript: """
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'causeway_pw') THEN
                CREATE ROLE causeway_pw LOGIN PASSWORD 'right-password';
              END IF;
            END $$
            """)
    }

    /// Replaces the path of a `postgresql://` URL with another database name.
    public static func replacingDatabase(in url: String, with name: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw TestSupportError("DATABASE_URL is not a URL") }
        components.path = "/" + name
        guard let result = components.string else { throw TestSupportError("cannot rebuild DATABASE_URL") }
        return result
    }
}

/// A failure of the test harness itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
