import Postgres

/// `import clusters FILE.csv [--mapping NAME]`: the unit → cluster mapping of cluster designs.
public enum ClusterImport {
    /// What an import did.
    public struct Result: Sendable {
        public let mapping: String
        public let units: Int
        public let clusters: Int
    }

    /// Replaces the mapping with the file's rows (header `unit,cluster`) in one transaction. A unit
    /// listed twice with different clusters, or an empty field, is an error naming its line.
    @discardableResult
    public static func run(path: String, mapping: String, in store: Store) throws -> Result {
        guard !mapping.isBlankName else { throw PlatformError("a cluster mapping needs a name") }
        let file = try CSVFile(path: path, required: ["unit", "cluster"])
        let unitColumn = file.column("unit")!, clusterColumn = file.column("cluster")! // never nil: required above
        var clusterOf: [String: (cluster: String, line: Int)] = [:]
        var rows: [(String, String)] = []
        for record in file.records {
            let unit = try file.unit(record, unitColumn), cluster = record.fields[clusterColumn]
            guard !cluster.isEmpty else { throw PlatformError("\(path):\(record.line): field \"cluster\" is empty") }
            if let earlier = clusterOf[unit] {
                guard earlier.cluster == cluster else {
                    throw PlatformError("\(path):\(record.line): unit \"\(unit)\" is in cluster \"\(earlier.cluster)\" on line \(earlier.line) and \"\(cluster)\" here")
                }
                continue
            }
            clusterOf[unit] = (cluster, record.line)
            rows.append((unit, cluster))
        }
        try store.connection.transaction { c in
            // Two imports of one mapping at once: the second waits, then replaces the first's rows.
            try c.execute("SELECT pg_advisory_xact_lock(hashtext(\("mapping:" + mapping)))")
            try c.execute("DELETE FROM unit_clusters WHERE mapping = \(mapping)")
            try c.copyIn("COPY unit_clusters (unit, mapping, cluster) FROM STDIN") { writer in
                store.progress.watch(writer, "sending clusters", rows: rows.count)
                for (unit, cluster) in rows { try writer.writeRow(unit, mapping, cluster) }
            }
        }
        return Result(mapping: mapping, units: rows.count, clusters: Set(rows.map(\.1)).count)
    }
}
