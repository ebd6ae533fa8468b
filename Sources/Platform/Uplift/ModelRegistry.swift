import Foundation
import Logging
import Postgres
import Randomization
import Uplift

/// The model registry: train uplift models on an experiment's units, store them in PostgreSQL,
/// list and show them, and score units into the `scores` table.
public enum ModelRegistry {
    static let logger = Logger(label: "causeway.models")

    /// Logs the time each step of a command takes, at debug level (CAUSEWAY_LOG_LEVEL=debug).
    struct Stopwatch {
        let logger: Logger
        let what: String
        var last = Date()

        mutating func lap(_ step: String) {
            let now = Date()
            logger.debug("\(what): \(step) took \(String(format: "%.3f", now.timeIntervalSince(last))) s")
            last = now
        }
    }

    public enum Base: String, Sendable, CaseIterable { case xgboost, logistic }

    public struct TrainOptions: Sendable {
        public var name: String
        public var experiment: String
        public var outcome: String
        /// Feature names; nil means every column of the feature set.
        public var features: [String]?
        /// The feature set; nil means the one named like the experiment.
        public var featureSet: String?
        public var learner: MetaLearnerKind = .t
        public var base: Base = .xgboost
        public var xgboost = XGBoostParameters(rounds: 100, maxDepth: 4, learningRate: 0.1, threads: 2, seed: 0)
        public var ridge = 1e-3
        public var calibrate = false
        /// Share of units held out for evaluation (never trained on).
        public var testFraction = 0.3
        /// Estimated propensities are clipped to [clip, 1 − clip].
        public var clip = 0.01
        public var folds = 3
        public var seed: UInt64 = 0

        public init(name: String, experiment: String, outcome: String) {
            self.name = name
            self.experiment = experiment
            self.outcome = outcome
        }
    }

    /// Held-out evaluation of one treatment arm against control.
    public struct ArmMetrics: Sendable, Codable, Equatable {
        public var arm: String
        public var testUnits: Int
        /// Mean predicted uplift over the held-out units.
        public var predictedEffect: Double
        /// Difference in mean outcome between the arm and control among held-out units (randomized data only).
        public var observedEffect: Double?
        /// sqrt(mean((τ̂ − τ)²)) over held-out units, when the data carry true effects.
        public var pehe: Double?
        /// PEHE of predicting the held-out units' mean true effect for everyone (the constant to beat).
        public var peheOfConstant: Double?
        /// Training propensities clipped (estimated propensities only).
        public var clipped: Int?
    }

    public struct Model: Sendable {
        public let name: String
        public let experiment: String
        public let outcome: String
        public let featureSet: String
        public let features: [String]
        public let arms: [String]
        public let learner: MetaLearnerKind
        public let base: Base
        public let objective: Objective
        public let propensity: String
        public let calibrated: Bool
        public let trainingUnits: Int
        public let testUnits: Int
        public let testFraction: Double
        public let splitSeed: String
        public let phase: Int
        public let metrics: [ArmMetrics]
        public let seconds: Double
        public let createdAt: Date
    }

    // MARK: Training data

    /// Units of an experiment with their arm (position), outcome and features, read with COPY.
    struct Rows {
        var units: [String] = []
        var arm: [Int] = []
        var outcome: [Float] = []
        var features: [Float] = []
        var columns: Int
    }

    /// Loads the current phase's assigned, not held-out units. Fails, naming a unit, when one has
    /// no features or a non-finite feature.
    static func loadRows(_ e: Experiment, outcome: Metrics.Metric, set: FeatureStore.FeatureSet, features: [String],
                         phase: Int? = nil, on c: Connection) throws -> Rows {
        let indices = try features.map { name in
            guard let i = set.columns.firstIndex(of: name) else {
                throw PlatformError("feature set \"\(set.name)\" has no feature \"\(name)\" (it has \(set.columns.joined(separator: ",")))")
            }
            return i
        }
        try c.execute("""
            CREATE TEMP TABLE model_rows ON COMMIT DROP AS
            SELECT a.unit, p.position::int AS arm, f.vals, coalesce(o.y, 0) AS y
            FROM assignments a
            JOIN arms p ON p.experiment_id = a.experiment_id AND p.name = a.arm
            LEFT JOIN unit_features f ON f.unit = a.unit AND f.feature_set = \(set.name)
            LEFT JOIN (SELECT unit, \(unsafeRaw: outcome.kind == .proportion ? "max" : "sum")(value) AS y
                       FROM outcomes WHERE metric = \(outcome.name) GROUP BY unit) o ON o.unit = a.unit
            WHERE a.experiment_id = \(e.id) AND a.phase = \(Int32(phase ?? e.phase)) AND NOT a.held_out
            """)
        let missing = try c.query("SELECT count(*), min(unit) FROM model_rows WHERE vals IS NULL").decodeOne((Int, String?).self)
        if missing.0 > 0 {
            throw PlatformError("\(missing.0) units of \(e.name) have no features in set \"\(set.name)\" (first: \(missing.1 ?? "?"))")
        }
        let short = try c.query("SELECT count(*), min(unit) FROM model_rows WHERE octet_length(vals) <> \(4 * set.columns.count)")
            .decodeOne((Int, String?).self)
        if short.0 > 0 { throw PlatformError("\(short.0) units have a feature array of the wrong length (first: \(short.1 ?? "?"))") }
        var rows = Rows(columns: features.count)
        let expected = try c.query("SELECT count(*) FROM model_rows").decodeOne(Int.self)
        rows.units.reserveCapacity(expected); rows.arm.reserveCapacity(expected); rows.outcome.reserveCapacity(expected)
        rows.features.reserveCapacity(expected * features.count)
        _ = try c.copyOutBinaryRows("COPY (SELECT unit, arm, y, vals FROM model_rows ORDER BY unit) TO STDOUT (FORMAT binary)") { row in
            try row.forEachField { field in
                switch field.index {
                case 0: rows.units.append(try field.string())
                case 1: rows.arm.append(Int(try field.int32()))
                case 2: rows.outcome.append(Float(try field.double()))
                default:
                    let start = rows.features.count
                    guard let bytes = field.bytes,
                          FeatureStore.unpack(bytes, columns: set.columns.count, indices: indices, into: &rows.features) else {
                        throw PlatformError("unit \"\(rows.units.last ?? "?")\": its features have the wrong length")
                    }
                    if let bad = rows.features[start...].firstIndex(where: { !$0.isFinite }) {
                        throw PlatformError("unit \"\(rows.units.last ?? "?")\": feature \"\(features[bad - start])\" is \(rows.features[bad]), not a finite number")
                    }
                }
            }
        }
        try c.execute("DROP TABLE model_rows")
        return rows
    }

    // MARK: Train

    public static func train(_ o: TrainOptions, in store: Store) throws -> Model {
        guard !o.name.isBlankName else { throw PlatformError("a model needs a name") }
        guard o.testFraction > 0, o.testFraction < 1 else { throw PlatformError("\(.split) must be between 0 and 1") }
        let started = Date()
        return try store.connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtext(\("model:" + o.name)))")
            if try c.query("SELECT 1 FROM models WHERE name = \(o.name)").count > 0 {
                throw PlatformError("model \"\(o.name)\" already exists")
            }
            let e = try Experiment.load(o.experiment, on: c)
            guard e.status != .draft else { throw PlatformError("experiment \"\(e.name)\" is a draft: it has no units yet") }
            guard e.design == .user else { throw PlatformError("uplift models learn from user splits; \(e.name) is a \(e.design.rawValue) design") }
            guard let metric = try Metrics.find(o.outcome, on: c) else { throw PlatformError("metric \"\(o.outcome)\" does not exist") }
            guard metric.kind != .ratio else { throw PlatformError("uplift models take a mean or proportion outcome, not a ratio") }
            let setName = o.featureSet ?? e.name
            guard let set = try FeatureStore.find(setName, on: c) else {
                throw PlatformError("feature set \"\(setName)\" does not exist; import features or name one with \(.featureSet)")
            }
            let features = o.features ?? set.columns
            guard !features.isEmpty, Set(features).count == features.count else { throw PlatformError("\(.features) must name distinct features") }
            store.progress.begin("loading units, outcomes and features")
            let rows = try loadRows(e, outcome: metric, set: set, features: features, on: c)
            guard !rows.units.isEmpty else { throw PlatformError("experiment \"\(e.name)\" has no assigned units") }
            let binary = metric.kind == .proportion || rows.outcome.allSatisfy { $0 == 0 || $0 == 1 }
            let splitSeed = "model:\(o.name)"
            var train: [Int] = [], test: [Int] = []
            for (i, unit) in rows.units.enumerated() {
                let h = GrowthBookHash.hash(seed: splitSeed, value: unit, version: 2) ?? 0
                if h < o.testFraction { test.append(i) } else { train.append(i) }
            }
            let all = TrainingSet(features: FeatureMatrix(values: rows.features, rows: rows.units.count, columns: rows.columns),
                                  outcome: rows.outcome, arm: rows.arm)
            let shares = Arm.fractions(e.arms)
            let propensity: PropensitySource = e.parameters.observational == true ? .estimated(clip: o.clip) : .design(shares: shares)
            let base: BaseLearner = o.base == .xgboost ? .xgboost(o.xgboost) : .linear(ridge: o.ridge)
            let model: UpliftModel
            do {
                store.progress.begin("fitting the \(o.learner.rawValue.uppercased())-learner", unit: "base learners fitted")
                model = try UpliftModel.fit(all.subset(train), kind: o.learner, base: base, outcome: binary ? .binaryLogistic : .squaredError,
                                            arms: e.arms.count, propensity: propensity, calibrate: o.calibrate, folds: o.folds, seed: o.seed,
                                            fitted: store.progress.step)
            } catch {
                throw PlatformError(.computation, "\(describe(error, arms: e.arms.map(\.name)))", cause: error)
            }
            store.progress.begin("evaluating on held-out units")
            let metrics = try evaluate(model, data: all.subset(test), units: test.map { rows.units[$0] }, experiment: e, on: c)
            let (description, components) = try model.serialized()
            try c.execute("""
                INSERT INTO models (name, experiment_id, phase, outcome, feature_set, features, arms, learner, base, description,
                                    split_seed, test_fraction, training_units, test_units, metrics, seconds)
                VALUES (\(o.name), \(e.id), \(Int32(e.phase)), \(metric.name), \(set.name), \(features), \(e.arms.map(\.name)),
                        \(o.learner.rawValue), \(o.base.rawValue), \(String(decoding: description, as: UTF8.self))::jsonb,
                        \(splitSeed), \(o.testFraction), \(train.count), \(test.count), \(try encode(metrics))::jsonb,
                        \(Date().timeIntervalSince(started)))
                """)
            for (name, bytes) in components {
                try c.execute("INSERT INTO model_components (model, name, payload) VALUES (\(o.name), \(name), \(Bytea(bytes)))")
            }
            return try load(o.name, on: c).model
        }
    }

    /// Errors from the Uplift module name arms by index; say their names.
    static func describe(_ error: Error, arms: [String]) -> String {
        var text = "\(error)"
        for (i, name) in arms.enumerated().reversed() { text = text.replacingOccurrences(of: "arm \(i)", with: "arm \(name)") }
        return text
    }

    static func encode(_ metrics: [ArmMetrics]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(metrics), as: UTF8.self)
    }

    /// Held-out metrics per treatment arm; PEHE when the experiment carries true effects.
    static func evaluate(_ model: UpliftModel, data: TrainingSet, units: [String], experiment e: Experiment,
                         on c: Connection) throws -> [ArmMetrics] {
        guard data.features.rows > 0 else { throw PlatformError("no units were held out; lower \(.split) or add units") }
        let predictions = try model.predict(data.features)
        var truth: [[Double?]] = Array(repeating: Array(repeating: nil, count: units.count), count: e.arms.count - 1)
        let hasTruth = try c.query("SELECT EXISTS (SELECT 1 FROM true_effects WHERE experiment_id = \(e.id))").decodeOne(Bool.self)
        if hasTruth {
            let position = Dictionary(uniqueKeysWithValues: units.enumerated().map { ($0.element, $0.offset) })
            try c.execute("""
                CREATE TEMP TABLE model_truth ON COMMIT DROP AS
                SELECT t.unit, p.position::int AS arm, t.tau FROM true_effects t
                JOIN arms p ON p.experiment_id = t.experiment_id AND p.name = t.arm WHERE t.experiment_id = \(e.id)
                """)
            _ = try c.copyOutRows("COPY model_truth TO STDOUT") { row in
                let (unit, arm, tau) = try row.decode((String, Int, Double).self)
                if let i = position[unit], arm >= 1, arm < e.arms.count { truth[arm - 1][i] = tau }
            }
            try c.execute("DROP TABLE model_truth")
        }
        return (1..<e.arms.count).map { a in
            let tauHat = predictions[a - 1].map(Double.init)
            let inPair = data.arm.indices.filter { data.arm[$0] == a || data.arm[$0] == 0 }
            func mean(_ arm: Int) -> Double? {
                let values = data.arm.indices.filter { data.arm[$0] == arm }.map { Double(data.outcome[$0]) }
                return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            }
            var observed: Double? = nil
            if e.parameters.observational != true, let m1 = mean(a), let m0 = mean(0) { observed = m1 - m0 }
            var pehe: Double? = nil, constant: Double? = nil
            let known = truth[a - 1].enumerated().compactMap { i, t in t.map { (i, $0) } }
            if !known.isEmpty {
                pehe = (known.reduce(0) { $0 + pow(tauHat[$1.0] - $1.1, 2) } / Double(known.count)).squareRoot()
                let m = known.reduce(0) { $0 + $1.1 } / Double(known.count)
                constant = (known.reduce(0) { $0 + pow($1.1 - m, 2) } / Double(known.count)).squareRoot()
            }
            let clipped: Int? = e.parameters.observational == true ? model.description.clipped[a - 1] : nil
            return ArmMetrics(arm: e.arms[a].name, testUnits: inPair.count, predictedEffect: tauHat.reduce(0, +) / Double(tauHat.count),
                              observedEffect: observed, pehe: pehe, peheOfConstant: constant, clipped: clipped)
        }
    }

    // MARK: Read

    static let columns = """
        m.name, e.name, m.outcome, m.feature_set, m.features, m.arms, m.learner,
        m.base, m.description::text, m.training_units, m.test_units, m.test_fraction, m.split_seed, m.metrics::text, m.seconds,
        m.created_at, m.phase
        """

    static func decode(_ row: Row) throws -> (model: Model, description: String) {
        let (name, experiment, outcome, set, features, arms, learner, base, description, training, test, fraction, splitSeed,
             metrics, seconds, created, phase) = try row.decode(
            (String, String, String, String, [String], [String], String, String, String, Int, Int, Double, String, String, Double, Date, Int).self)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let parsedMetrics = try decoder.decode([ArmMetrics].self, from: Data(metrics.utf8))
        let parsed = try JSONDecoder().decode(UpliftModel.Description.self, from: Data(description.utf8))
        let propensity: String
        switch parsed.propensity {
        case .design: propensity = "design"
        case .estimated(let clip): propensity = "estimated (logistic, clipped to [\(clip), \(1 - clip)])"
        }
        let model = Model(name: name, experiment: experiment, outcome: outcome, featureSet: set,
                          features: features, arms: arms,
                          learner: MetaLearnerKind(rawValue: learner) ?? .t, base: Base(rawValue: base) ?? .xgboost,
                          objective: parsed.outcome, propensity: propensity, calibrated: parsed.calibration != nil,
                          trainingUnits: training, testUnits: test, testFraction: fraction, splitSeed: splitSeed, phase: phase,
                          metrics: parsedMetrics,
                          seconds: seconds, createdAt: created)
        return (model, description)
    }

    static func load(_ name: String, on c: Connection) throws -> (model: Model, description: String) {
        let rows = try c.query("SELECT \(unsafeRaw: columns) FROM models m JOIN experiments e ON e.id = m.experiment_id WHERE m.name = \(name)")
        guard let row = rows.first else { throw PlatformError("model \"\(name)\" does not exist") }
        return try decode(row)
    }

    public static func list(in store: Store) throws -> [Model] {
        try store.connection.query("SELECT \(unsafeRaw: columns) FROM models m JOIN experiments e ON e.id = m.experiment_id ORDER BY m.name")
            .map { try decode($0).model }
    }

    public static func show(_ name: String, in store: Store) throws -> Model { try load(name, on: store.connection).model }

    /// The stored model with its learners restored.
    public static func restore(_ name: String, on c: Connection) throws -> (model: Model, learner: UpliftModel) {
        let (model, description) = try load(name, on: c)
        let parts = try c.query("SELECT name, payload FROM model_components WHERE model = \(name) ORDER BY name")
            .decode((String, Bytea).self).map { (name: $0.0, bytes: $0.1.bytes) }
        do { return (model, try UpliftModel(description: Data(description.utf8), components: parts)) } catch {
            throw PlatformError.computation("model \"\(name)\" cannot be restored: ", error)
        }
    }
}
