/// One schema file: `NNNN_name.sql`, applied once, in version order.
public struct Migration: Sendable, Equatable {
    /// The number before the first underscore.
    public let version: Int
    /// The file name, such as `0001_core.sql`.
    public let fileName: String
    /// The SQL text.
    public let sql: String
    /// SHA-256 of the SQL text, hex.
    public let checksum: String

    /// Reads the version from a `NNNN_name.sql` file name; throws for any other shape.
    public init(fileName: String, sql: String) throws {
        let stem = fileName.hasSuffix(".sql") ? fileName.dropLast(4) : ""
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].count >= 4, parts[0].allSatisfy(\.isASCII), let version = Int(parts[0]),
              version > 0, !parts[1].isEmpty else {
            throw MigrationError(message: "schema file \(fileName) is not named NNNN_name.sql")
        }
        self.version = version
        self.fileName = fileName
        self.sql = sql
        self.checksum = SHA256.hex(Array(sql.utf8))
    }
}

/// A migration set or database state the migrator refuses to work with.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Where one migration stands in a database.
public struct MigrationStatus: Sendable, Equatable {
    /// How the file and the database agree.
    public enum State: String, Sendable {
        /// Applied, and the file is unchanged.
        case applied
        /// Not yet applied.
        case pending
        /// Applied, but the file's text has changed since.
        case changed
        /// Recorded in the database, but this build has no such file.
        case unknown
    }

    public let version: Int
    public let fileName: String
    public let state: State
    /// When it was applied, as PostgreSQL's text (UTC), or nil when pending.
    public let appliedAt: String?
}
