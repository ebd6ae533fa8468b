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
        let file = try CSVReader(path: path, required: ["unit", "cluster"])
        let unitColumn = file.column("unit")!, clusterColumn = file.column("cluster")! // never nil: required above
        var counts = (units: 0, clusters: 0)
        try store.connection.transaction { c in
            try c.execute("CREATE TEMP TABLE cluster_stage (line bigint, unit text, cluster text) ON COMMIT DROP")
            try c.copyIn("COPY cluster_stage (line, unit, cluster) FROM STDIN") { writer in
                store.progress.watch(writer, "reading and sending clusters", reader: file)
                while try file.next() {
                    let unit = try file.unit(unitColumn)
                    guard !file.isEmpty(clusterColumn) else { throw file.error(clusterColumn, "is empty") }
                    try writer.writeRow(Int64(file.line), unit, try file.string(clusterColumn))
                }
            }
            // A unit listed again with another cluster than on its first line.
            if let (line, unit, cluster, firstLine, firstCluster) = try c.query("""
                WITH repeated AS (SELECT unit FROM cluster_stage GROUP BY unit HAVING count(DISTINCT cluster) > 1),
                     first AS (SELECT DISTINCT ON (unit) unit, line, cluster FROM cluster_stage
                               WHERE unit IN (SELECT unit FROM repeated) ORDER BY unit, line)
                SELECT s.line, s.unit, s.cluster, f.line, f.cluster FROM cluster_stage s JOIN first f ON f.unit = s.unit
                WHERE s.cluster <> f.cluster ORDER BY s.line LIMIT 1
                """).decode((Int, String, String, Int, String).self).first {
                throw PlatformError(.invalidFile, "\(path):\(line): unit \"\(unit)\" is in cluster \"\(firstCluster)\" on line \(firstLine) and \"\(cluster)\" here")
            }
            // Two imports of one mapping at once: the second waits, then replaces the first's rows.
            try c.execute("SELECT pg_advisory_xact_lock(hashtext(\("mapping:" + mapping)))")
            try c.execute("DELETE FROM unit_clusters WHERE mapping = \(mapping)")
            try c.execute("""
                INSERT INTO unit_clusters (unit, mapping, cluster) SELECT DISTINCT unit, \(mapping), cluster FROM cluster_stage
                """)
            counts = try c.query("SELECT count(DISTINCT unit), count(DISTINCT cluster) FROM cluster_stage").decodeOne((Int, Int).self)
        }
        return Result(mapping: mapping, units: counts.units, clusters: counts.clusters)
    }
}
