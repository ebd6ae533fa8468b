import Foundation
import Postgres

/// `import units`: unit attributes (country, plan, …) that allocation policies segment by.
public enum UnitImport {
    public struct Result: Sendable {
        public let units: Int
        public let attributes: [String]
    }

    /// Loads `unit[,attr1,attr2,…]` into `units.attributes` (merged into what a unit already has; an
    /// empty field leaves that attribute alone; a file of ids alone just makes the units) in one
    /// transaction. A unit listed twice or an empty
    /// unit id is an error naming the line.
    @discardableResult
    public static func run(path: String, unitType: String = "user", in store: Store) throws -> Result {
        let file = try CSVReader(path: path, required: ["unit"])
        let unitColumn = file.column("unit")! // never nil: required
        let attributes = file.header.indices.filter { $0 != unitColumn }
        for column in attributes where file.header[column].isEmpty { throw PlatformError(.invalidFile, "\(path):1: an attribute column has no name") }
        try store.connection.transaction { c in
            try c.execute("CREATE TEMP TABLE unit_stage (line bigint, unit text, attributes jsonb) ON COMMIT DROP")
            try c.copyIn("COPY unit_stage (line, unit, attributes) FROM STDIN") { writer in
                store.progress.watch(writer, "reading and sending units", reader: file)
                while try file.next() {
                    let unit = try file.unit(unitColumn)
                    var object: [String: String] = [:]
                    for column in attributes where !file.isEmpty(column) { object[file.header[column]] = try file.string(column) }
                    let json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
                    try writer.writeRow(Int64(file.line), unit, json)
                }
            }
            if let (unit, line) = try Staging.firstRepeat(in: "unit_stage", on: c) {
                throw PlatformError(.invalidFile, "\(path):\(line): unit \"\(unit)\" is listed twice")
            }
            try c.execute("""
                INSERT INTO units (unit, unit_type, attributes) SELECT unit, \(unitType), attributes FROM unit_stage
                ON CONFLICT (unit) DO UPDATE SET attributes = units.attributes || excluded.attributes
                """)
            try c.execute("DROP TABLE unit_stage")
            try c.execute("ANALYZE units")
        }
        return Result(units: file.rows, attributes: attributes.map { file.header[$0] })
    }

    /// One attribute of units, by unit (units without it are absent).
    public static func attribute(_ name: String, units: [String], on c: Connection) throws -> [String: String] {
        var out: [String: String] = [:]
        for (unit, value) in try c.query("""
            SELECT unit, attributes ->> \(name) FROM units WHERE unit = ANY(\(units)) AND attributes ? \(name)
            """).decode((String, String).self) { out[unit] = value }
        return out
    }
}

/// Checks on rows staged in a temporary table `(line, unit, …)` before they go to their table: what
/// would need a set of every unit in memory is asked of the server instead.
enum Staging {
    /// The first line (in file order) whose unit appeared on an earlier line, with that unit.
    static func firstRepeat(in table: String, on c: Connection) throws -> (unit: String, line: Int)? {
        try c.query("""
            SELECT s.unit, s.line FROM \(identifier: table) s
            JOIN (SELECT unit, min(line) AS first FROM \(identifier: table) GROUP BY unit HAVING count(*) > 1) d ON d.unit = s.unit
            WHERE s.line > d.first ORDER BY s.line LIMIT 1
            """).decode((String, Int).self).first.map { (unit: $0.0, line: $0.1) }
    }
}
