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
        let file = try CSVFile(path: path, required: ["unit"])
        let unitColumn = file.column("unit")! // never nil: required
        let attributes = file.header.indices.filter { $0 != unitColumn }
        for column in attributes where file.header[column].isEmpty { throw PlatformError("\(path):1: an attribute column has no name") }
        var seen = Set<String>()
        var rows: [(String, String)] = []
        for record in file.records {
            let unit = try file.unit(record, unitColumn)
            guard seen.insert(unit).inserted else { throw PlatformError("\(path):\(record.line): unit \"\(unit)\" is listed twice") }
            var object: [String: String] = [:]
            for column in attributes where !record.fields[column].isEmpty { object[file.header[column]] = record.fields[column] }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            rows.append((unit, json))
        }
        try store.connection.transaction { c in
            try c.execute("CREATE TEMP TABLE unit_stage (unit text, attributes jsonb) ON COMMIT DROP")
            try c.copyIn("COPY unit_stage (unit, attributes) FROM STDIN") { writer in
                store.progress.watch(writer, "sending units", rows: rows.count)
                for (unit, json) in rows { try writer.writeRow(unit, json) }
            }
            try c.execute("""
                INSERT INTO units (unit, unit_type, attributes) SELECT unit, \(unitType), attributes FROM unit_stage
                ON CONFLICT (unit) DO UPDATE SET attributes = units.attributes || excluded.attributes
                """)
            try c.execute("DROP TABLE unit_stage")
            try c.execute("ANALYZE units")
        }
        return Result(units: rows.count, attributes: attributes.map { file.header[$0] })
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
