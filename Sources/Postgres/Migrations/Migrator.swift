/// Applies `NNNN_name.sql` migrations in order, each in its own transaction, once each.
///
/// Applied files are recorded in `schema_migrations` with their SHA-256; a file whose text
/// changed after it was applied stops the migrator before it does anything.
public struct Migrator: Sendable {
    /// The migrations, sorted by version.
    public let migrations: [Migration]

    /// Validates the set: unique versions.
    public init(_ migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw MigrationError(message: "schema files \(a.fileName) and \(b.fileName) share version \(a.version)")
        }
        self.migrations = sorted
    }

    /// Builds migrations from (file name, SQL) pairs.
    public init(files: [(name: String, sql: String)]) throws {
        try self.init(files.map { try Migration(fileName: $0.name, sql: $0.sql) })
    }

    static let lockKey: Int64 = 0x4341_5553_4557_4159 // "CAUSEWAY"

    /// Where each migration stands. Reads only; creates nothing.
    public func status(on connection: Connection) throws -> [MigrationStatus] {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").decodeOne(Bool.self)
        let applied = exists ? try appliedRows(on: connection) : []
        return merge(applied: applied)
    }

    /// Applies every pending migration; returns the ones applied now.
    ///
    /// Throws before applying anything when an applied file changed or the database knows a
    /// migration this build does not. A failing file rolls back alone; earlier ones stay applied.
    /// `applying` is told each file as it starts (a progress hook).
    @discardableResult
    public func migrate(on connection: Connection, applying: (Migration) -> Void = { _ in }) throws -> [Migration] {
        guard !connection.isInTransaction else { throw MigrationError(message: "migrate cannot run inside a transaction") }
        // The lock first: two migrators on a fresh database would otherwise both create the table
        // (CREATE TABLE IF NOT EXISTS is not safe under concurrency: one gets a unique violation).
        try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                file_name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)

        let states = merge(applied: try appliedRows(on: connection))
        if let changed = states.first(where: { $0.state == .changed }) {
            throw MigrationError(message: "schema file \(changed.fileName) changed after it was applied; "
                                 + "restore it and add a new migration instead")
        }
        if let unknown = states.first(where: { $0.state == .unknown }) {
            throw MigrationError(message: "the database has migration \(unknown.fileName), which this build does not know; "
                                 + "use a newer causeway")
        }
        let pending = Set(states.filter { $0.state == .pending }.map(\.version))
        var done: [Migration] = []
        for migration in migrations where pending.contains(migration.version) {
            applying(migration)
            do {
                try connection.transaction { connection in
                    try connection.execute(unsafeScript: migration.sql)
                    try connection.execute("""
                        INSERT INTO schema_migrations (version, file_name, checksum)
                        VALUES (\(migration.version), \(migration.fileName), \(migration.checksum))
                        """)
                }
            } catch let error as PostgresError {
                throw MigrationError(message: "schema file \(migration.fileName): \(error.description)")
            }
            connection.logger.info("applied migration", metadata: ["file": "\(migration.fileName)"])
            done.append(migration)
        }
        return done
    }

    private func appliedRows(on connection: Connection) throws -> [(Int, String, String, String)] {
        try connection.query("""
            SELECT version, file_name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
            FROM schema_migrations ORDER BY version
            """).decode((Int, String, String, String).self)
    }

    private func merge(applied: [(Int, String, String, String)]) -> [MigrationStatus] {
        var byVersion: [Int: (Int, String, String, String)] = [:]
        for row in applied { byVersion[row.0] = row }
        var states: [MigrationStatus] = migrations.map { migration in
            guard let row = byVersion.removeValue(forKey: migration.version) else {
                return MigrationStatus(version: migration.version, fileName: migration.fileName, state: .pending, appliedAt: nil)
            }
            let state: MigrationStatus.State = row.2 == migration.checksum ? .applied : .changed
            return MigrationStatus(version: migration.version, fileName: migration.fileName, state: state, appliedAt: row.3)
        }
        states += byVersion.values.map {
            MigrationStatus(version: $0.0, fileName: $0.1, state: .unknown, appliedAt: $0.3)
        }
        return states.sorted { $0.version < $1.version }
    }
}
