import Foundation
import Postgres
import Uplift

extension ModelRegistry {
    // MARK: Score

    public struct ScoreResult: Sendable {
        public let model: String
        public let units: Int
        public let arms: [String]
        public let meanUplift: [Double]
        public let seconds: Double
    }

    /// Predicts every unit of the feature set (the model's own unless named) and replaces the
    /// model's rows in `scores` with COPY, in one transaction.
    public static func score(_ name: String, featureSet: String? = nil, in store: Store) throws -> ScoreResult {
        let started = Date()
        var watch = Stopwatch(logger: logger, what: "model score \(name)")
        return try store.connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtext(\("model:" + name)))")
            let (model, learner) = try restore(name, on: c)
            let setName = featureSet ?? model.featureSet
            let (units, matrix) = try features(of: model, setName: setName, watch: &watch, on: c)
            // Predict in chunks inside the COPY: the server ingests one chunk while the next is predicted.
            var sums = [Double](repeating: 0, count: model.arms.count - 1)
            watch.lap("prepare")
            // The model's own partition, made on first use, emptied by TRUNCATE (transactional) and
            // filled by COPY; its bound is the model's integer id.
            let id = try c.query("SELECT id FROM models WHERE name = \(name)").decodeOne(Int32.self)
            let partition = "scores_m\(id)"
            try c.execute("CREATE TABLE IF NOT EXISTS \(identifier: partition) PARTITION OF scores FOR VALUES IN (\(unsafeRaw: String(id)))")
            try c.execute("TRUNCATE \(identifier: partition)")
            watch.lap("empty the model's scores")
            let chunk = 131_072
            _ = try c.copyIn("COPY \(identifier: partition) (unit, model_id, arm, uplift, response) FROM STDIN (FREEZE)") { writer in
                store.progress.watch(writer, "predicting and sending scores", rows: units.count * (model.arms.count - 1))
                for start in stride(from: 0, to: units.count, by: chunk) {
                    let rows = Array(start..<min(start + chunk, units.count))
                    let uplift: [[Float]], response: [[Float]]?
                    do { (uplift, response) = try learner.predictWithResponse(matrix.rows(rows)) } catch {
                        throw PlatformError.computation("model \"\(name)\": ", error)
                    }
                    for (k, arm) in model.arms.dropFirst().enumerated() {
                        for (i, row) in rows.enumerated() {
                            try writer.writeRow(units[row], id, arm, uplift[k][i], response?[k][i])
                            sums[k] += Double(uplift[k][i])
                        }
                    }
                }
            }
            watch.lap("predict and COPY scores in")
            try c.execute("ANALYZE \(identifier: partition)")
            watch.lap("ANALYZE")
            return ScoreResult(model: name, units: units.count, arms: Array(model.arms.dropFirst()),
                               meanUplift: sums.map { $0 / Double(units.count) },
                               seconds: Date().timeIntervalSince(started))
        }
    }

    /// Every unit of feature set `setName` with the model's features, in the model's order, read
    /// with one binary COPY; refuses a set that lacks a feature and values that are not finite.
    static func features(of model: Model, setName: String, watch: inout Stopwatch, on c: Connection) throws -> ([String], FeatureMatrix) {
        let name = model.name
        guard let set = try FeatureStore.find(setName, on: c) else { throw PlatformError(.notFound, "feature set \"\(setName)\" does not exist") }
        let missing = model.features.filter { !set.columns.contains($0) }
        guard missing.isEmpty else {
            throw PlatformError("model \"\(name)\" was trained on \(model.features.joined(separator: ",")); feature set \"\(setName)\" "
                                + "has \(set.columns.joined(separator: ",")) (missing: \(missing.joined(separator: ",")))")
        }
        let indices = model.features.map { set.columns.firstIndex(of: $0)! } // never nil: checked above
        watch.lap("restore the model")
        // COPY takes no parameters: the set's name travels as a bound parameter into a
        // transaction-local setting that the COPY query reads.
        try c.execute("SELECT set_config('causeway.feature_set', \(setName), true)")
        let length = 4 * set.columns.count
        let (count, bad, first) = try c.query("""
            SELECT count(*), count(*) FILTER (WHERE octet_length(vals) <> \(length)), min(unit) FILTER (WHERE octet_length(vals) <> \(length))
            FROM unit_features WHERE feature_set = \(setName)
            """).decodeOne((Int, Int, String?).self)
        if bad > 0 { throw PlatformError("\(bad) units have a feature array of the wrong length (first: \(first ?? "?"))") }
        var units: [String] = [], values: [Float] = []
        units.reserveCapacity(count)
        values.reserveCapacity(count * model.features.count)
        watch.lap("check the features")
        // Binary COPY hands the packed features over as they are stored.
        _ = try c.copyOutBinaryRows("""
            COPY (SELECT unit, vals FROM unit_features WHERE feature_set = current_setting('causeway.feature_set')) TO STDOUT (FORMAT binary)
            """) { row in
            try row.forEachField { field in
                if field.index == 0 { units.append(try field.string()); return }
                let start = values.count
                guard let bytes = field.bytes, FeatureStore.unpack(bytes, columns: set.columns.count, indices: indices, into: &values) else {
                    throw PlatformError("unit \"\(units.last ?? "?")\": its features have the wrong length")
                }
                if let bad = values[start...].firstIndex(where: { !$0.isFinite }) {
                    throw PlatformError("unit \"\(units.last ?? "?")\": feature \"\(model.features[bad - start])\" is \(values[bad]), not a finite number")
                }
            }
        }
        watch.lap("COPY the features out")
        guard !units.isEmpty else { throw PlatformError(.insufficientData, "feature set \"\(setName)\" has no units to score") }
        return (units, FeatureMatrix(values: values, rows: units.count, columns: model.features.count))
    }
}
