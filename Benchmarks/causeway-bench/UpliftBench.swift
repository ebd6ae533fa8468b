import Foundation
import Platform
import Postgres
import Randomization
import Stats
import Uplift

/// `uplift-fit DIR UNITS`: the T-learner benchmark's data (UNITS × 12 features, a 50/50 treatment and
/// a binary outcome), written to DIR as raw little-endian arrays for Python to read with numpy, and
/// the two XGBoost fits (100 rounds, depth 6, hist, 2 threads) timed here.
enum UpliftBench {
    static let features = 12

    static func data(units n: Int) -> (x: [Float], treated: [UInt8], y: [Float]) {
        var g = SplitMix64(seed: 42)
        var x = [Float](repeating: 0, count: n * features), treated = [UInt8](repeating: 0, count: n), y = [Float](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<features { x[i * features + j] = Float(g.normal()) }
            let w = g.uniform() < 0.5
            let base = -1 + 0.5 * Double(x[i * features]) - 0.4 * Double(x[i * features + 1]) + 0.3 * Double(x[i * features + 2] * x[i * features + 3])
            let effect = w ? 0.4 * Double(x[i * features + 4]) + (x[i * features + 5] > 1 ? -0.8 : 0.2) : 0
            treated[i] = w ? 1 : 0
            y[i] = g.uniform() < 1 / (1 + exp(-(base + effect))) ? 1 : 0
        }
        return (x, treated, y)
    }

    static func fit(directory: String, units n: Int) throws {
        let (x, treated, y) = data(units: n)
        func write<T>(_ values: [T], _ name: String) throws {
            try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name)) }
        }
        try write(x, "x.f32")
        try write(treated, "w.u8")
        try write(y, "y.f32")
        let parameters = XGBoostParameters(rounds: 100, maxDepth: 6, learningRate: 0.3, threads: 2, seed: 0)
        for round in 1...3 {
            var total = 0.0
            for arm in [UInt8(0), 1] {
                let rows = treated.indices.filter { treated[$0] == arm }
                let matrix = FeatureMatrix(values: x, rows: n, columns: features).rows(rows)
                let labels = rows.map { y[$0] }
                var learner = XGBoostLearner(objective: .binaryLogistic, parameters: parameters)
                total += try seconds { try learner.fit(matrix, labels: labels, weights: nil) }
            }
            report("T-learner fit, 2 XGBoost models (Swift, C API), round \(round)", rows: n, seconds: total)
        }
    }

    /// `uplift-score UNITS`: a feature set of UNITS units × 12 features made in SQL, a T-learner
    /// trained on 50,000 of them, then `ModelRegistry.score` over all UNITS, end to end.
    static func score(units n: Int, connection: Connection) throws {
        let store = Store(connection: connection)
        _ = try DatabaseAdmin.migrate(store)
        let name = "uplift-\(UUID().uuidString.prefix(8).lowercased())"
        let setup = try seconds {
            try connection.execute("INSERT INTO feature_sets (name, columns) VALUES (\(name), \((1...features).map { "f\($0)" }))")
            try connection.execute("""
                INSERT INTO unit_features (unit, feature_set, vals)
                SELECT \(name) || '-' || g, \(name), \(unsafeRaw: (1...features).map { _ in "float4send(random()::real)" }.joined(separator: " || "))
                FROM generate_series(1, \(n)) g
                """)
            _ = try ExperimentCatalog.create(.init(name: name, arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]),
                                             in: store)
            _ = try ExperimentCatalog.start(name, in: store)
            try connection.execute("""
                INSERT INTO assignments (unit, experiment_id, phase, arm)
                SELECT \(name) || '-' || g, e.id, 1, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'treatment' END
                FROM generate_series(1, 50000) g, experiments e WHERE e.name = \(name)
                """)
            try connection.execute("INSERT INTO metrics (name, kind) VALUES ('bench_bought', 'proportion') ON CONFLICT DO NOTHING")
            try connection.execute("SELECT causeway_metric_partitions('bench_bought')")
            try connection.execute("""
                INSERT INTO outcomes (unit, metric, value)
                SELECT unit, 'bench_bought', (random() < 0.2 + 0.2 * get_byte(vals, 0) / 255.0 * (CASE WHEN a.arm = 'treatment' THEN 1 ELSE 0 END))::int
                FROM assignments a JOIN unit_features f USING (unit) JOIN experiments e ON e.id = a.experiment_id
                WHERE e.name = \(name) AND f.feature_set = \(name)
                """)
            for table in ["unit_features", "assignments", "outcomes"] { try connection.execute("ANALYZE \(identifier: table)") }
            var options = ModelRegistry.TrainOptions(name: name, experiment: name, outcome: "bench_bought")
            options.xgboost = XGBoostParameters(rounds: 100, maxDepth: 6, learningRate: 0.3, threads: 2, seed: 0)
            _ = try ModelRegistry.train(options, in: store)
        }
        FileHandle.standardError.write(Data("setup (features, a model on 50,000 units) took \(setup) s\n".utf8))
        for _ in 1...3 {
            let time = try seconds { _ = try ModelRegistry.score(name, in: store) }
            report("model score (read features, predict, COPY into scores)", rows: n, seconds: time)
        }
    }
}
