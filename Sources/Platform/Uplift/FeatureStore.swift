import Foundation
import Postgres
import Uplift

/// Named feature sets: ordered columns, one array of doubles per unit.
public enum FeatureStore {
    public struct FeatureSet: Sendable, Equatable {
        public let name: String
        public let columns: [String]
    }

    /// The set's definition: one row of `feature_sets` (its units are not counted: that would scan
    /// every unit's features on each call, and model train, score and simulate all call this).
    public static func find(_ name: String, on c: Connection) throws -> FeatureSet? {
        try c.query("SELECT name, columns FROM feature_sets WHERE name = \(name)")
            .decode((String, [String]).self).first.map { FeatureSet(name: $0.0, columns: $0.1) }
    }

    /// Creates the set, or checks that an existing one has the same columns.
    static func ensure(_ name: String, columns: [String], on c: Connection) throws {
        guard !name.isBlankName else { throw PlatformError("a feature set needs a name") }
        guard !columns.isEmpty else { throw PlatformError("a feature set needs at least one column") }
        guard Set(columns).count == columns.count else { throw PlatformError("feature set \"\(name)\" names a column twice") }
        for column in columns where column.isEmpty || column.contains(",") {
            throw PlatformError("feature name \"\(column)\" must be non-empty and without commas")
        }
        // Two imports creating one set at once: the second waits here, then finds the first's set.
        try c.execute("SELECT pg_advisory_xact_lock(hashtext(\("feature set:" + name)))")
        if let existing = try find(name, on: c) {
            guard existing.columns == columns else {
                throw PlatformError("feature set \"\(name)\" has columns \(existing.columns.joined(separator: ",")); "
                                    + "the data have \(columns.joined(separator: ","))")
            }
        } else {
            try c.execute("INSERT INTO feature_sets (name, columns) VALUES (\(name), \(columns))")
        }
    }

    /// Writes (or replaces) units' features through a staging table and COPY.
    static func write(_ name: String, units: [String], matrix: FeatureMatrix, on c: Connection, progress: WorkProgress = .silent) throws {
        try createStage(on: c)
        try c.copyIn("COPY feature_stage (unit, vals) FROM STDIN") { writer in
            progress.watch(writer, "sending features", rows: units.count)
            for (r, unit) in units.enumerated() {
                try writer.writeRow(unit, PackedFloats(matrix.values[(r * matrix.columns)..<((r + 1) * matrix.columns)]))
            }
        }
        try storeStaged(name, on: c, progress: progress)
    }

    /// The transaction's staging table: `(line, unit, vals)`, the line where a file gave it.
    private static func createStage(on c: Connection) throws {
        try c.execute("CREATE TEMP TABLE feature_stage (line bigint, unit text, vals bytea) ON COMMIT DROP")
    }

    /// Moves `feature_stage` into the set's rows (replacing a unit's earlier values).
    private static func storeStaged(_ name: String, on c: Connection, progress: WorkProgress) throws {
        progress.begin("storing features")
        try c.execute("""
            INSERT INTO unit_features (unit, feature_set, vals) SELECT unit, \(name), vals FROM feature_stage
            ON CONFLICT (unit, feature_set) DO UPDATE SET vals = excluded.vals
            """)
        try c.execute("DROP TABLE feature_stage")
        try c.execute("ANALYZE unit_features")
    }

    /// Reads packed big-endian float4 values (a `unit_features.vals` field) into `out`, keeping the
    /// columns at `indices` (0-based) in that order. Throws on a length that does not match.
    static func unpack(_ bytes: UnsafeRawBufferPointer, columns: Int, indices: [Int], into out: inout [Float]) -> Bool {
        guard bytes.count == 4 * columns else { return false }
        for i in indices { out.append(Float(bitPattern: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))) }
        return true
    }

    public struct ImportResult: Sendable {
        public let set: String
        public let units: Int
        public let columns: [String]
    }

    /// Loads `unit,f1,f2,…` into feature set `name` (created with those columns when new) in one
    /// transaction. A value that is missing, not a number, NaN or infinite is an error naming the
    /// file, line and column; so is a unit listed twice. Nothing is written then.
    @discardableResult
    public static func importCSV(path: String, set name: String, in store: Store) throws -> ImportResult {
        let file = try CSVReader(path: path, required: ["unit"])
        let unitColumn = file.column("unit")! // never nil: required
        let featureColumns = file.header.indices.filter { $0 != unitColumn }
        guard !featureColumns.isEmpty else { throw PlatformError(.invalidFile, "\(path):1: the header has no feature columns besides \"unit\"") }
        let names = featureColumns.map { file.header[$0] }
        try store.connection.transaction { c in
            try ensure(name, columns: names, on: c)
            try createStage(on: c)
            var row = [Float](repeating: 0, count: names.count)
            try c.copyIn("COPY feature_stage (line, unit, vals) FROM STDIN") { writer in
                store.progress.watch(writer, "reading and sending features", reader: file)
                while try file.next() {
                    let unit = try file.unit(unitColumn)
                    for (k, column) in featureColumns.enumerated() { row[k] = try feature(file, column, name: names[k]) }
                    try writer.writeRow(Int64(file.line), unit, PackedFloats(row))
                }
            }
            if let (unit, line) = try Staging.firstRepeat(in: "feature_stage", on: c) {
                throw PlatformError(.invalidFile, "\(path):\(line): unit \"\(unit)\" is listed twice")
            }
            try storeStaged(name, on: c, progress: store.progress)
        }
        return ImportResult(set: name, units: file.rows, columns: names)
    }

    /// A feature value: a finite number that fits a Float.
    private static func feature(_ file: CSVReader, _ column: Int, name: String) throws -> Float {
        let bytes = file.bytes(column)
        if let value = DecimalNumber.parse(bytes), let float = Optional(Float(value)), float.isFinite { return float }
        let text = file.excerpt(column)
        if DecimalNumber.isBlank(bytes) { throw PlatformError(.invalidFile, "\(file.path):\(file.line): feature \"\(name)\" is missing") }
        // nan, inf and numbers beyond a Float's range are numbers that are not finite.
        if DecimalNumber.parse(bytes) != nil || Double(text).map({ !$0.isFinite }) == true {
            throw PlatformError(.invalidFile, "\(file.path):\(file.line): feature \"\(name)\" is \(text); features must be finite")
        }
        throw PlatformError(.invalidFile, "\(file.path):\(file.line): feature \"\(name)\" is \"\(text)\", not a number")
    }
}

/// Floats as a `bytea` field of COPY text format: `\\x` and the big-endian bytes in hex.
struct PackedFloats<Values: Collection<Float>>: CopyTextEncodable {
    let values: Values
    init(_ values: Values) { self.values = values }

    func appendCopyText(to buffer: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")])
        for v in values {
            let bits = v.bitPattern
            for shift in stride(from: 28, through: 0, by: -4) { buffer.append(digits[Int((bits >> UInt32(shift)) & 0xF)]) }
        }
    }
}
