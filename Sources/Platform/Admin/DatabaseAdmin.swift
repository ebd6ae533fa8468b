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

extension DatabaseAdmin {
    /// What `db rebuild-sums` did.
    public struct RebuildResult: Sendable {
        public let unitTotals: Int
        public let armRows: Int
    }

    /// Recomputes every kept sum from outcomes and assignments (`causeway_rebuild_lift_sums()`), in
    /// one transaction: after writes made outside Causeway, which the sums do not follow.
    public static func rebuildSums(_ store: Store) throws -> RebuildResult {
        try store.connection.transaction { c in
            store.progress.begin("recomputing the lift sums", afterwards: "PostgreSQL is recomputing")
            try c.execute("SELECT causeway_rebuild_lift_sums()")
            let (totals, arms) = try c.query("""
                SELECT (SELECT count(*) FROM unit_totals), (SELECT count(*) FROM arm_metric_sums) + (SELECT count(*) FROM arm_units)
                """).decodeOne((Int, Int).self)
            return RebuildResult(unitTotals: totals, armRows: arms)
        }
    }

    /// The tables keyed by unit that Citus distributes, co-located with `units` (each with its
    /// distribution column), and the catalog tables it copies to every node. Tables that do not
    /// exist (yet) are skipped.
    public static let distributedTables: [(table: String, column: String)] = [
        ("units", "unit"), ("assignments", "unit"), ("outcomes", "unit"), ("unit_totals", "unit"),
        ("unit_features", "unit"), ("unit_clusters", "unit"), ("true_effects", "unit"), ("scores", "unit"),
        ("allocations", "unit"), ("graph_edges", "source"), ("exposures", "unit"), ("series", "unit"), ("study_units", "unit"),
    ]
    public static let referenceTables = [
        "schema_migrations", "experiments", "experiment_phases", "arms", "arm_weights", "holdout", "metrics",
        "metric_units", "arm_units", "arm_metric_sums", "arm_metric_products", "feature_sets", "models",
        "model_components", "allocation_runs", "graphs", "series_metrics", "studies", "serve_keys",
    ]

    /// What `db distribute` did to each table: `distributed by unit`, `reference`, or `already …`.
    public struct Distribution: Sendable {
        public let tables: [(table: String, change: String)]
    }

    /// Makes the store a Citus cluster's: catalog tables become reference tables (copied to every
    /// node), then the tables keyed by unit become distributed tables co-located by unit, so every
    /// join on unit and every per-unit aggregation runs on the shards. Idempotent. Without the
    /// `citus` extension, an error that says what to install.
    public static func distribute(_ store: Store) throws -> Distribution {
        let c = store.connection
        let citus = try c.query("SELECT extversion FROM pg_extension WHERE extname = 'citus'").decode(String.self).first
        guard citus != nil else {
            throw PlatformError(.wrongState, """
                db distribute needs the citus extension in this database: install Citus (12 or later) on the coordinator and \
                every worker, add citus to shared_preload_libraries, run CREATE EXTENSION citus and citus_add_node for each \
                worker, then run db distribute again
                """)
        }
        let existing = Set(try c.query("""
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
            """).decode(String.self))
        let done = Dictionary(uniqueKeysWithValues: try c.query("""
            SELECT logicalrelid::regclass::text, partmethod::text FROM pg_dist_partition
            """).decode((String, String).self))
        var changes: [(table: String, change: String)] = []
        for table in referenceTables where existing.contains(table) {
            if done[table] != nil { changes.append((table, "already distributed")); continue }
            store.progress.begin("reference table \(table)")
            try c.execute("SELECT create_reference_table(\(table)::regclass)")
            changes.append((table, "reference"))
        }
        var anchor: String?
        for (table, column) in distributedTables where existing.contains(table) {
            defer { anchor = anchor ?? table }
            if done[table] != nil { changes.append((table, "already distributed")); continue }
            store.progress.begin("distributing \(table)")
            try c.execute("""
                SELECT create_distributed_table(\(table)::regclass, \(column), colocate_with => \(anchor ?? "default"))
                """)
            changes.append((table, "distributed by \(column)"))
        }
        return Distribution(tables: changes)
    }
}
