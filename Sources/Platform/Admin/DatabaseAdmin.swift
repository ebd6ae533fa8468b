import Postgres

/// `db migrate` and `db status`: the schema under `schema/`, embedded in the binary.
public enum DatabaseAdmin {
    /// The migrator over the embedded `schema/*.sql` files.
    public static func migrator() throws -> Migrator {
        try Migrator(files: EmbeddedSchema.files)
    }

    /// Applies pending migrations; returns the files applied now.
    public static func migrate(_ store: Store) throws -> [Migration] {
        try migrator().migrate(on: store.connection) { store.progress.begin($0.fileName) }
    }

    /// What `db status` reports.
    public struct Status: Sendable {
        /// The database, URL-shaped, never with the password.
        public var database: String
        /// Where the setting came from (`--db`, `DATABASE_URL`, …).
        public var source: String
        /// The server's version, such as `15.18`.
        public var serverVersion: String
        /// Each migration and its state.
        public var migrations: [MigrationStatus]
    }

    /// The database in use, its server version and every migration's state.
    public static func status(_ store: Store) throws -> Status {
        let version = try store.connection.query("SHOW server_version").decodeOne(String.self)
        return Status(database: store.redactedDescription, source: store.target.source,
                      serverVersion: version, migrations: try migrator().status(on: store.connection))
    }
}
