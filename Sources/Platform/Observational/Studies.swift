import Foundation
import Observational
import Postgres

extension PlatformError.Parameter {
    public static let treatment = Self("treatment", words: "the treatment column")
    public static let outcome = Self("outcome", words: "the outcome column")
    public static let covariates = Self("covariates")
    public static let categorical = Self("categorical", words: "the categorical columns")
    public static let dropMissing = Self("drop-missing", words: "dropping rows with missing values")
    public static let unitColumn = Self("unit", words: "the unit column")
    public static let unitsFrom = Self("units-from", words: "an experiment to take units from")
    public static let treatmentAttribute = Self("treatment-attribute", words: "a unit attribute as the treatment")
    public static let placeboOutcome = Self("placebo-outcome", words: "a negative-control outcome")
    public static let benchmark = Self("benchmark", words: "a benchmark covariate")
}

/// Observational studies in the store (issue 20): `study create` from a flat file or from what the
/// store holds, `study list`, `study show`, `study drop`, and loading a study for the estimators.
public enum Studies {
    public struct Summary: Sendable {
        public let name: String
        public let source: String
        public let treatment: String
        public let outcome: String
        public let covariates: [String]
        public let extra: [String]
        public let binaryTreatment: Bool
        public let units: Int
        public let treated: Int?
        public let droppedMissing: Int
        /// Rows dropped per column for missing values (create only).
        public var missingByColumn: [(column: String, rows: Int)] = []
    }

    public struct FileOptions: Sendable {
        public var name: String
        public var path: String
        public var treatment: String
        public var outcome: String
        /// nil: every other column.
        public var covariates: [String]? = nil
        public var categorical: [String] = []
        public var unit: String? = nil
        public var dropMissing = false

        public init(name: String, path: String, treatment: String, outcome: String) {
            self.name = name
            self.path = path
            self.treatment = treatment
            self.outcome = outcome
        }
    }

    static func isMissing(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if DecimalNumber.isBlank(bytes) { return true }
        let trimmed = bytes.filter { $0 != 0x20 && $0 != 0x09 }
        return trimmed.count == 2 && (trimmed[0] | 0x20) == UInt8(ascii: "n") && (trimmed[1] | 0x20) == UInt8(ascii: "a")
    }

    /// `study create NAME --data FILE.csv --treatment COL --outcome COL [--covariates a,b,…]
    /// [--categorical c,…] [--unit COL] [--drop-missing]`: one transaction; the file read once.
    public static func create(_ o: FileOptions, in store: Store) throws -> Summary {
        guard !o.name.isBlankName else { throw PlatformError("a study needs a name") }
        let file = try CSVReader(path: o.path, required: [o.treatment, o.outcome] + (o.covariates ?? []) + o.categorical + (o.unit.map { [$0] } ?? []))
        let header = file.header
        let reserved = Set([o.treatment, o.outcome] + (o.unit.map { [$0] } ?? []))
        if reserved.count < 2 + (o.unit == nil ? 0 : 1) { throw PlatformError("\(.treatment), \(.outcome) and \(.unitColumn) must be different columns") }
        let covariateNames = o.covariates ?? header.filter { !reserved.contains($0) }
        guard !covariateNames.isEmpty else { throw PlatformError("a study needs at least one covariate (\(.covariates))") }
        for c in covariateNames where reserved.contains(c) { throw PlatformError("column \"\(c)\" cannot be both a covariate and the treatment, outcome or unit") }
        for c in o.categorical where !covariateNames.contains(c) { throw PlatformError("categorical column \"\(c)\" is not among the \(.covariates)") }
        let categorical = Set(o.categorical)
        let extraNames = o.covariates == nil ? [] : header.filter { !reserved.contains($0) && !covariateNames.contains($0) }
        let ti = file.column(o.treatment)!, yi = file.column(o.outcome)!, ui = o.unit.flatMap { file.column($0) }
        let ci = covariateNames.map { file.column($0)! }, ei = extraNames.map { file.column($0)! }

        var units: [String] = [], treatment: [Double] = [], outcome: [Double] = []
        var numeric = [[Double]](repeating: [], count: ci.count)
        var levels = [[String]](repeating: [], count: ci.count)
        var extra = [[Double]](repeating: [], count: ei.count)
        var extraUsable = [Bool](repeating: true, count: ei.count)
        var missing = [String: Int]()
        var seenUnits = Set<String>()
        var dropped = 0
        while try file.next() {
            var rowMissing: String?
            func value(_ index: Int) throws -> Double? {
                if isMissing(file.bytes(index)) { rowMissing = rowMissing ?? file.name(index); missing[file.name(index), default: 0] += 1; return nil }
                return try file.number(index)
            }
            let t = try value(ti), y = try value(yi)
            var xs: [Double?] = [], cats: [String?] = []
            for (k, index) in ci.enumerated() {
                if categorical.contains(covariateNames[k]) {
                    if isMissing(file.bytes(index)) { rowMissing = rowMissing ?? file.name(index); missing[file.name(index), default: 0] += 1; cats.append(nil) }
                    else { cats.append(try file.string(index).trimmingCharacters(in: .whitespaces)) }
                    xs.append(nil)
                } else {
                    if !isMissing(file.bytes(index)), DecimalNumber.parse(file.bytes(index)) == nil {
                        throw file.error(index, "is \"\(file.excerpt(index))\", not a finite number (list the column in --categorical if it is a category)")
                    }
                    xs.append(try value(index))
                    cats.append(nil)
                }
            }
            if let column = rowMissing {
                guard o.dropMissing else {
                    throw PlatformError(.invalidFile, "\(o.path):\(file.line): field \"\(column)\" is missing; fill it, or allow \(.dropMissing) (they are counted)")
                }
                dropped += 1
                continue
            }
            let unit = try ui.map { try file.unit($0) } ?? String(file.rows)
            guard seenUnits.insert(unit).inserted else { throw PlatformError(.invalidFile, "\(o.path):\(file.line): unit \"\(unit)\" appears twice") }
            units.append(unit)
            treatment.append(t!)
            outcome.append(y!)
            for k in ci.indices {
                if categorical.contains(covariateNames[k]) { levels[k].append(cats[k]!) } else { numeric[k].append(xs[k]!) }
            }
            for (k, index) in ei.enumerated() where extraUsable[k] {
                if let v = DecimalNumber.parse(file.bytes(index)) { extra[k].append(v) } else { extraUsable[k] = false }
            }
        }
        guard !units.isEmpty else { throw PlatformError(.invalidFile, "\(o.path): every row has a missing value; nothing is left") }
        // Encode: numeric columns as they are, categoricals one-hot with the first level (sorted) dropped.
        var names: [String] = [], columns: [[Double]] = []
        for (k, name) in covariateNames.enumerated() {
            if categorical.contains(name) {
                let distinct = Set(levels[k]).sorted()
                guard distinct.count >= 2 else { throw PlatformError(.invalidFile, "\(o.path): covariate \"\(name)\" is constant (\(distinct.first ?? "")); leave it out") }
                for level in distinct.dropFirst() {
                    names.append("\(name)=\(level)")
                    columns.append(levels[k].map { $0 == level ? 1 : 0 })
                }
            } else {
                let column = numeric[k]
                guard let first = column.first, column.contains(where: { $0 != first }) else {
                    throw PlatformError(.invalidFile, "\(o.path): covariate \"\(name)\" is constant (\(column.first.map { "\($0)" } ?? "")); leave it out")
                }
                names.append(name)
                columns.append(column)
            }
        }
        let keptExtra = ei.indices.filter { extraUsable[$0] }
        let summary = try save(name: o.name, source: o.path, treatmentName: o.treatment, outcomeName: o.outcome, units: units,
                                treatment: treatment, outcome: outcome, names: names, columns: columns,
                                extraNames: keptExtra.map { extraNames[$0] }, extra: keptExtra.map { extra[$0] }, dropped: dropped, in: store)
        var result = summary
        result.missingByColumn = missing.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return result
    }

    /// `study create NAME (--units-from EXPERIMENT | --treatment-attribute A) --features SET --outcome METRIC`:
    /// the units with features in SET; treatment 1 for units in any arm but the experiment's first
    /// (its control) or the unit attribute A (0/1 or a number); the outcome the metric's total per
    /// unit (0 for units without rows, as lift reports count them).
    public static func create(name: String, unitsFrom experiment: String?, treatmentAttribute: String?, features: String,
                              outcome metric: String, in store: Store) throws -> Summary {
        guard !name.isBlankName else { throw PlatformError("a study needs a name") }
        guard (experiment == nil) != (treatmentAttribute == nil) else {
            throw PlatformError("give one of \(.unitsFrom) and \(.treatmentAttribute)")
        }
        let c = store.connection
        guard let columns = try c.query("SELECT columns FROM feature_sets WHERE name = \(features)").decode([String].self).first else {
            throw PlatformError(.notFound, "feature set \"\(features)\" does not exist")
        }
        guard let kind = try c.query("SELECT kind FROM metrics WHERE name = \(metric)").decode(String.self).first else {
            throw PlatformError(.notFound, "metric \"\(metric)\" does not exist")
        }
        guard kind != "ratio" else { throw PlatformError("metric \"\(metric)\" is a ratio: a study's outcome is one number per unit") }
        let source: String, treatmentName: String
        let treatmentSQL: SQLQuery, join: SQLQuery
        if let experiment {
            guard let id = try c.query("SELECT id FROM experiments WHERE name = \(experiment)").decode(Int64.self).first else {
                throw PlatformError(.notFound, "experiment \"\(experiment)\" does not exist")
            }
            treatmentSQL = "(CASE WHEN a.arm = (SELECT name FROM arms WHERE experiment_id = \(id) ORDER BY position LIMIT 1) THEN 0 ELSE 1 END)::text"
            join = "JOIN (SELECT DISTINCT ON (unit) unit, arm FROM assignments WHERE experiment_id = \(id) AND arm IS NOT NULL ORDER BY unit, phase DESC) a ON a.unit = f.unit"
            source = "experiment \(experiment), features \(features), metric \(metric)"
            treatmentName = "arm of \(experiment) (not its first)"
        } else {
            let attribute = treatmentAttribute!
            treatmentSQL = "u.attributes ->> \(attribute)"
            join = "JOIN units u ON u.unit = f.unit AND u.attributes ? \(attribute)"
            source = "attribute \(attribute), features \(features), metric \(metric)"
            treatmentName = attribute
        }
        var units: [String] = [], treatment: [Double] = [], outcome: [Double] = []
        var packed: [Float] = []
        let all = Array(columns.indices)
        _ = try c.copyOutBinaryRows("""
            COPY (SELECT f.unit, \(treatmentSQL), t.value, f.vals FROM unit_features f \(join)
                  LEFT JOIN unit_totals t ON t.unit = f.unit AND t.metric = \(metric)
                  WHERE f.feature_set = \(features) ORDER BY f.unit) TO STDOUT (FORMAT binary)
            """) { row in
            try row.forEachField { field in
                switch field.index {
                case 0: units.append(try field.string())
                case 1:
                    let text = field.bytes == nil ? "" : try field.string()
                    guard let v = text == "true" ? 1 : text == "false" ? 0 : DecimalNumber.parse(text) else {
                        throw PlatformError(.invalidInput, "unit \"\(units.last ?? "")\" has treatment \"\(text)\", not a number (0/1 or numeric)")
                    }
                    treatment.append(v)
                case 2: outcome.append(field.bytes == nil ? 0 : try field.double())
                default:
                    guard let bytes = field.bytes, FeatureStore.unpack(bytes, columns: columns.count, indices: all, into: &packed) else {
                        throw PlatformError(.computation, "unit \"\(units.last ?? "")\" has malformed features")
                    }
                }
            }
        }
        guard !units.isEmpty else { throw PlatformError(.insufficientData, "no unit has both features in \(features) and a treatment") }
        var cols = [[Double]](repeating: [Double](repeating: 0, count: units.count), count: columns.count)
        for i in units.indices { for k in columns.indices { cols[k][i] = Double(packed[i * columns.count + k]) } }
        for (k, name) in columns.enumerated() {
            guard let first = cols[k].first, cols[k].contains(where: { $0 != first }) else {
                throw PlatformError(.insufficientData, "covariate \"\(name)\" of feature set \(features) is constant over the study's units")
            }
        }
        return try save(name: name, source: source, treatmentName: treatmentName, outcomeName: metric, units: units,
                              treatment: treatment, outcome: outcome, names: columns, columns: cols,
                              extraNames: [], extra: [], dropped: 0, in: store)
    }

    static func save(name: String, source: String, treatmentName: String, outcomeName: String, units: [String], treatment: [Double],
                      outcome: [Double], names: [String], columns: [[Double]], extraNames: [String], extra: [[Double]],
                      dropped: Int, in store: Store) throws -> Summary {
        let binary = treatment.allSatisfy { $0 == 0 || $0 == 1 }
        let treated = binary ? treatment.reduce(0) { $0 + Int($1) } : nil
        guard Set(treatment).count > 1 else { throw PlatformError(.insufficientData, "the treatment \(treatmentName) takes one value only (\(treatment.first ?? 0)): nothing to compare") }
        try store.connection.transaction { c in
            guard try c.query("SELECT NOT EXISTS (SELECT 1 FROM studies WHERE name = \(name))").decodeOne(Bool.self) else {
                throw PlatformError(.conflict, "study \"\(name)\" exists; study drop \(name) first")
            }
            try c.execute("""
                INSERT INTO studies (name, source, treatment, outcome, covariates, extra, binary_treatment, units, treated, dropped_missing)
                VALUES (\(name), \(source), \(treatmentName), \(outcomeName), \(names), \(extraNames), \(binary), \(Int32(units.count)),
                        \(treated.map { Int32($0) }), \(Int32(dropped)))
                """)
            _ = try c.copyIn("COPY study_units (unit, study, treatment, outcome, covariates, extra) FROM STDIN") { writer in
                var row = [Double](repeating: 0, count: columns.count), more = [Double](repeating: 0, count: extra.count)
                for i in units.indices {
                    for k in columns.indices { row[k] = columns[k][i] }
                    for k in extra.indices { more[k] = extra[k][i] }
                    try writer.writeRow(units[i], name, treatment[i], outcome[i], row, more)
                }
            }
        }
        return Summary(name: name, source: source, treatment: treatmentName, outcome: outcomeName, covariates: names, extra: extraNames,
                       binaryTreatment: binary, units: units.count, treated: treated, droppedMissing: dropped)
    }

    public static func list(in store: Store) throws -> [Summary] {
        try store.connection.query("""
            SELECT name, source, treatment, outcome, covariates, extra, binary_treatment, units, treated, dropped_missing FROM studies ORDER BY name
            """).decode((String, String, String, String, [String], [String], Bool, Int, Int?, Int).self).map {
            Summary(name: $0.0, source: $0.1, treatment: $0.2, outcome: $0.3, covariates: $0.4, extra: $0.5, binaryTreatment: $0.6,
                    units: $0.7, treated: $0.8, droppedMissing: $0.9)
        }
    }

    public static func summary(_ name: String, on c: Connection) throws -> Summary {
        guard let s = try c.query("""
            SELECT name, source, treatment, outcome, covariates, extra, binary_treatment, units, treated, dropped_missing FROM studies WHERE name = \(name)
            """).decode((String, String, String, String, [String], [String], Bool, Int, Int?, Int).self).first else {
            throw PlatformError(.notFound, "study \"\(name)\" does not exist; study create \(name) --data FILE.csv … first")
        }
        return Summary(name: s.0, source: s.1, treatment: s.2, outcome: s.3, covariates: s.4, extra: s.5, binaryTreatment: s.6,
                       units: s.7, treated: s.8, droppedMissing: s.9)
    }

    public static func drop(_ name: String, in store: Store) throws {
        try store.connection.transaction { c in
            _ = try summary(name, on: c)
            try c.execute("DELETE FROM study_units WHERE study = \(name)")
            try c.execute("DELETE FROM studies WHERE name = \(name)")
        }
    }

    /// A study's rows for the estimators, ordered by unit; `extra` by name.
    public struct Loaded: Sendable {
        public let summary: Summary
        public let units: [String]
        public let data: StudyData
        public let extra: [String: [Double]]
    }

    public static func load(_ name: String, in store: Store) throws -> Loaded {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            let s = try summary(name, on: c)
            let rows = try c.query("""
                SELECT unit, treatment, outcome, covariates, extra FROM study_units WHERE study = \(name) ORDER BY unit
                """).decode((String, Double, Double, [Double], [Double]).self)
            let p = s.covariates.count
            var values = [Double](repeating: 0, count: rows.count * p)
            var extra = [[Double]](repeating: [Double](repeating: 0, count: rows.count), count: s.extra.count)
            for (i, r) in rows.enumerated() {
                guard r.3.count == p, r.4.count == s.extra.count else { throw PlatformError(.computation, "study \(name): unit \(r.0) has a malformed row") }
                for j in 0..<p { values[j * rows.count + i] = r.3[j] }
                for j in s.extra.indices { extra[j][i] = r.4[j] }
            }
            let data: StudyData
            do {
                data = try StudyData(covariates: ColumnMatrix(rows: rows.count, columns: p, values: values), names: s.covariates,
                                     treatment: rows.map(\.1), outcome: rows.map(\.2))
            } catch {
                throw PlatformError.computation("study \(name): ", error)
            }
            return Loaded(summary: s, units: rows.map(\.0), data: data, extra: Dictionary(uniqueKeysWithValues: zip(s.extra, extra)))
        }
    }
}
