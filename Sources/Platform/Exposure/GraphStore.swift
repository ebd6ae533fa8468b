import Exposure
import Foundation
import Postgres

/// `graph import|list|clusters`: social and marketplace graphs over units, stored edge by edge and
/// loaded as a CSR graph with one COPY out.
public enum GraphStore {
    /// A stored graph's catalog row.
    public struct Info: Sendable {
        public let id: Int64
        public let name: String
        public let directed: Bool
        public let unitType: String
        public let nodes: Int
        public let edges: Int
        public let selfLoops: Int
        public let duplicates: Int
        /// Edges dropped at import because an end was not a known unit (graphs imported before
        /// imports created their units; 0 since).
        public let unknownEdges: Int
        public let source: String
        public let createdAt: Date
    }

    /// What an import did.
    public struct ImportResult: Sendable {
        public let info: Info
        /// Units of the graph's type the edges named that were not known yet, now created.
        public let createdUnits: Int
    }

    /// Imports an edge list (header `source,target`) as graph `name`, replacing a graph of that
    /// name, in one transaction. The nodes come from the edges, as in every graph tool: an end that
    /// is not a unit yet becomes a unit of `unitType` (counted in `createdUnits`); an end that is a
    /// unit of another type is an error naming the line. Self-loops and duplicate edges (for an
    /// undirected graph `b,a` after `a,b` is a duplicate) are dropped and counted. A graph with no
    /// edge left is an error.
    @discardableResult
    public static func importCSV(path: String, name: String, directed: Bool, unitType: String = "user", in store: Store) throws -> ImportResult {
        guard !name.isBlankName else { throw PlatformError("a graph needs a name") }
        let file = try CSVReader(path: path, required: ["source", "target"])
        let s = file.column("source")!, t = file.column("target")! // never nil: required above
        return try store.connection.transaction { c in
            var index: [String: Int32] = [:]
            var units: [String] = []
            for unit in try c.query("SELECT unit FROM units WHERE unit_type = \(unitType)").decode(String.self) {
                index[unit] = Int32(units.count)
                units.append(unit)
            }
            var sources: [Int32] = [], targets: [Int32] = []
            var newUnits: [(unit: String, line: Int)] = []
            while try file.next() {
                let a = try file.unit(s, field: "source"), b = try file.unit(t, field: "target")
                func node(_ unit: String) -> Int32 {
                    if let i = index[unit] { return i }
                    index[unit] = Int32(units.count)
                    units.append(unit)
                    newUnits.append((unit, file.line))
                    return Int32(units.count - 1)
                }
                sources.append(node(a)); targets.append(node(b))
            }
            let created = try createUnits(newUnits, unitType: unitType, path: path, store: store, on: c)
            let (g, dropped) = try exposure { () throws(ExposureError) in try Graph.build(nodes: units.count, sources: sources, targets: targets, directed: directed) }
            guard g.edges > 0 else {
                throw PlatformError("\(path): the graph has no edges left (\(file.rows) rows: \(dropped.selfLoops) self-loops, "
                    + "\(dropped.duplicates) duplicates)")
            }
            // Units with an edge in either direction (for an undirected graph, linked is the graph itself).
            let nodes = (0..<g.nodes).lazy.filter { !g.linked($0).isEmpty }.count
            try c.execute("DELETE FROM graph_edges WHERE graph_id IN (SELECT id FROM graphs WHERE name = \(name))")
            try c.execute("DELETE FROM graphs WHERE name = \(name)")
            let id = try c.query("""
                INSERT INTO graphs (name, directed, unit_type, nodes, edges, self_loops, duplicates, unknown_edges, source)
                VALUES (\(name), \(directed), \(unitType), \(Int32(nodes)), \(Int64(g.edges)), \(Int64(dropped.selfLoops)),
                        \(Int64(dropped.duplicates)), 0, \(path))
                RETURNING id
                """).decode(Int64.self)[0]
            try c.copyIn("COPY graph_edges (source, graph_id, target) FROM STDIN") { writer in
                store.progress.watch(writer, "sending edges", rows: g.edges)
                let idText = String(id)
                for i in 0..<g.nodes {
                    for j in g.neighbours(i) where directed || Int(j) > i { try writer.writeRow(units[i], idText, units[Int(j)]) }
                }
            }
            return ImportResult(info: try info(name, on: c), createdUnits: created)
        }
    }

    /// Creates the edges' units that are not known as units of `unitType` (staged with COPY, then
    /// inserted unless a concurrent writer got there first); an end that is a unit of another type
    /// is an error naming its first line. Returns how many units were created.
    static func createUnits(_ new: [(unit: String, line: Int)], unitType: String, path: String, store: Store, on c: Connection) throws -> Int {
        guard !new.isEmpty else { return 0 }
        try c.execute("CREATE TEMP TABLE graph_unit_stage (unit text) ON COMMIT DROP")
        try c.copyIn("COPY graph_unit_stage (unit) FROM STDIN") { writer in
            store.progress.watch(writer, "sending new units", rows: new.count)
            for (unit, _) in new { try writer.writeRow(unit) }
        }
        let created = try c.execute("""
            INSERT INTO units (unit, unit_type) SELECT unit, \(unitType) FROM graph_unit_stage ON CONFLICT (unit) DO NOTHING
            """)
        let foreign = try c.query("""
            SELECT u.unit, u.unit_type FROM graph_unit_stage s JOIN units u USING (unit) WHERE u.unit_type <> \(unitType)
            """).decode((String, String).self)
        if !foreign.isEmpty {
            let types = Dictionary(foreign, uniquingKeysWith: { first, _ in first })
            let first = new.first { types[$0.unit] != nil }!  // never nil: foreign units come from `new`
            throw PlatformError(.invalidFile, "\(path):\(first.line): unit \"\(first.unit)\" is a unit of type \"\(types[first.unit]!)\", "
                                + "not \"\(unitType)\"; a graph links units of one type")
        }
        try c.execute("DROP TABLE graph_unit_stage")
        if created > 0 { try c.execute("ANALYZE units") }
        return created
    }

    /// Every stored graph.
    public static func list(in store: Store) throws -> [Info] {
        try store.connection.query("\(unsafeRaw: columns) FROM graphs ORDER BY name").map(decode)
    }

    static let columns = "SELECT id, name, directed, unit_type, nodes, edges, self_loops, duplicates, unknown_edges, source, created_at"

    static func info(_ name: String, on c: Connection) throws -> Info {
        guard let row = try c.query("\(unsafeRaw: columns) FROM graphs WHERE name = \(name)").first else {
            throw PlatformError("there is no graph \"\(name)\"; graph import NAME FILE.csv creates one")
        }
        return try decode(row)
    }

    static func decode(_ row: Row) throws -> Info {
        let (id, name, directed, unitType, nodes, edges, loops, duplicates, unknown, source, created) =
            try row.decode((Int64, String, Bool, String, Int32, Int64, Int64, Int64, Int64, String, Date).self)
        return Info(id: id, name: name, directed: directed, unitType: unitType, nodes: Int(nodes), edges: Int(edges), selfLoops: Int(loops),
                    duplicates: Int(duplicates), unknownEdges: Int(unknown), source: source, createdAt: created)
    }

    /// A stored graph in memory: CSR over `units` (index i is `units[i]`).
    public struct Loaded: Sendable {
        public let info: Info
        public let graph: Graph
        public let units: [String]
        public let index: [String: Int]
    }

    /// Loads a graph with one binary COPY out; `extraUnits` (such as an experiment's units that
    /// have no edge) become isolated nodes after the graph's own.
    static func load(_ name: String, extraUnits: [String] = [], on c: Connection) throws -> Loaded {
        let info = try info(name, on: c)
        var index: [String: Int] = [:]
        var units: [String] = []
        var sources: [Int32] = [], targets: [Int32] = []
        sources.reserveCapacity(info.edges); targets.reserveCapacity(info.edges)
        func node(_ unit: String) -> Int32 {
            if let i = index[unit] { return Int32(i) }
            index[unit] = units.count
            units.append(unit)
            return Int32(units.count - 1)
        }
        try c.copyOutBinaryRows("COPY (SELECT source, target FROM graph_edges WHERE graph_id = \(info.id)) TO STDOUT (FORMAT binary)") { row in
            try row.forEachField { field in
                if field.index == 0 { sources.append(node(try field.string())) } else { targets.append(node(try field.string())) }
            }
        }
        for unit in extraUnits where index[unit] == nil { _ = node(unit) }
        let (g, _) = try exposure { () throws(ExposureError) in try Graph.build(nodes: units.count, sources: sources, targets: targets, directed: info.directed) }
        return Loaded(info: info, graph: g, units: units, index: index)
    }

    /// What `graph clusters` did.
    public struct ClusterResult: Sendable {
        public let graph: String
        public let mapping: String
        public let method: String
        public let units: Int
        public let clusters: Int
        public let largest: Int
        /// The share of edges with both ends in one cluster.
        public let insideShare: Double
        public let modularity: Double
    }

    public enum ClusterMethod: String, Sendable, CaseIterable { case threeNet = "3net", louvain }

    /// Clusters a stored graph (3-net or Louvain) and writes the unit → cluster mapping that cluster
    /// designs use (`experiment create … --design cluster --clusters MAPPING`), replacing a mapping
    /// of that name, in one transaction. Cluster ids are `NAME-c1`, `NAME-c2`, … by size.
    @discardableResult
    public static func cluster(_ name: String, method: ClusterMethod, mapping: String?, seed: UInt64, in store: Store) throws -> ClusterResult {
        try store.connection.transaction { c in
            let loaded = try load(name, on: c)
            let g = loaded.graph
            let raw = method == .threeNet ? Clustering.threeNet(g, seed: seed) : Clustering.louvain(g, seed: seed)
            // Renumber by size (largest first), so ids are stable to read.
            var sizes: [Int32: Int] = [:]
            for k in raw { sizes[k, default: 0] += 1 }
            let order = sizes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            var rank: [Int32: Int] = [:]
            for (r, k) in order.enumerated() { rank[k] = r + 1 }
            let mappingName = mapping ?? name
            guard !mappingName.isBlankName else { throw PlatformError("a cluster mapping needs a name") }
            try c.execute("DELETE FROM unit_clusters WHERE mapping = \(mappingName)")
            try c.copyIn("COPY unit_clusters (unit, mapping, cluster) FROM STDIN") { writer in
                // never nil: rank has every cluster id that raw holds
                for i in 0..<g.nodes { try writer.writeRow(loaded.units[i], mappingName, "\(name)-c\(rank[raw[i]]!)") }
            }
            return ClusterResult(graph: name, mapping: mappingName, method: method.rawValue, units: g.nodes, clusters: order.count,
                                 largest: sizes.values.max() ?? 0, insideShare: Clustering.insideShare(g, raw),
                                 modularity: Clustering.modularity(g, raw))
        }
    }
}

/// Runs pure exposure code, turning its errors into platform errors.
func exposure<T>(_ body: () throws(ExposureError) -> T) throws -> T {
    do { return try body() } catch { throw PlatformError.computation("", error) }
}
