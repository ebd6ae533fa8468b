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

extension DatabaseAdmin {
    /// Compares the lift sums the store keeps with `causeway_rebuild_lift_sums()`'s recomputation
    /// from the rows, and returns each kept table that differs with how many rows do (a row missing
    /// on one side counts as zeros; numbers agree within 1e-9 relative). Changes nothing: the
    /// rebuild runs in a transaction that is rolled back.
    public static func keptSumsMismatches(_ store: Store) throws -> [(table: String, rows: Int)] {
        struct Undo: Error { let mismatches: [(table: String, rows: Int)] }
        let tables: [(name: String, keys: [String], values: [String])] = [
            ("unit_totals", ["unit", "metric"], ["value"]),
            ("metric_units", ["metric"], ["units"]),
            ("arm_units", ["experiment_id", "phase", "arm", "segment"], ["units"]),
            ("arm_metric_sums", ["experiment_id", "phase", "arm", "metric"], ["units", "total", "squares"]),
            ("arm_metric_products", ["experiment_id", "phase", "arm", "metric", "other"], ["product"]),
        ]
        do {
            try store.connection.transaction { c in
                for table in tables {
                    try c.execute("CREATE TEMP TABLE \(identifier: "kept_" + table.name) ON COMMIT DROP AS SELECT * FROM \(identifier: table.name)")
                }
                try c.execute("SELECT causeway_rebuild_lift_sums()")
                var mismatches: [(table: String, rows: Int)] = []
                for table in tables {
                    // Keys compared as text, NULL as '' (a FULL JOIN needs an equality; arm and segment may be NULL).
                    let join = table.keys.map { "coalesce(k.\($0)::text, '') = coalesce(r.\($0)::text, '')" }.joined(separator: " AND ")
                    let differ = table.values.map { v in
                        "abs(coalesce(k.\(v), 0)::numeric - coalesce(r.\(v), 0)::numeric) > 1e-9 * (1 + abs(coalesce(r.\(v), 0)::numeric))"
                    }.joined(separator: " OR ")
                    // Table and column names are the constants above.
                    let rows = try c.query(SQLQuery(unsafeSQL: """
                        SELECT count(*) FROM kept_\(table.name) k FULL JOIN \(table.name) r ON \(join) WHERE \(differ)
                        """)).decodeOne(Int.self)
                    if rows > 0 { mismatches.append((table.name, rows)) }
                }
                throw Undo(mismatches: mismatches)
            }
        } catch let undo as Undo {
            return undo.mismatches
        }
        return []
    }
}
