import Dispatch
import Foundation
import Postgres
import Qini
import Randomization
import Uplift

/// `qini`: how well uplift scores rank units, on a model's held-out units or on scores made elsewhere.
public enum QiniReport {
    public struct Options: Sendable {
        /// Evaluate on units whose split hash is below this (at most the model's held-out share).
        public var split: Double?
        /// Bootstrap replicates for the AUC scores' intervals (nil: none).
        public var bootstrap: Int?
        public var seed: UInt64 = 1
        public var bins = 10
        /// Where the bootstrap reports its resamples.
        public var progress = WorkProgress.silent

        public init() {}
    }

    /// One score (a model's arm against control, or a score column) evaluated.
    public struct Evaluation: Sendable {
        public let name: String
        public let units: Int
        public let treated: Int
        public let binary: Bool
        /// scikit-uplift's normalised scores (nil for a continuous outcome: no perfect curve).
        public let qiniAUCScore: Double?
        public let upliftAUCScore: Double?
        public let qiniInterval: Bootstrap.Interval?
        public let upliftInterval: Bootstrap.Interval?
        /// uplift_at_k(strategy="overall") for k = 10 %, 20 %, 30 % (binary outcomes).
        public let upliftAt: [(k: Double, value: Double)]
        /// CausalML's qini_score and auuc_score (normalize=True).
        public let causalmlQiniScore: Double
        public let causalmlAUUCScore: Double
        public let deciles: [ScikitUplift.PercentileRow]
        public let qini: Curve
        public let uplift: Curve
        public let perfectQini: Curve?
        public let perfectUplift: Curve?
    }

    public struct Result: Sendable {
        public let source: String
        public let evaluations: [Evaluation]
        /// Several arms with costs: cumulative incremental value against cumulative cost.
        public let costCurve: (cost: [Double], value: [Double], units: [Int])?
    }

    /// The most points a stored curve keeps (`Curve.thinned`).
    static let curvePoints = 4_001

    public static func evaluate(_ name: String, _ s: UpliftSample, options: Options) throws(QiniError) -> Evaluation {
        let binary = s.isBinary
        var q: Double? = nil, u: Double? = nil, curves: (qini: Curve, uplift: Curve)
        var pq: Curve? = nil, pu: Curve? = nil
        var qi: Bootstrap.Interval? = nil, ui: Bootstrap.Interval? = nil
        var at: [(Double, Double)] = []
        var deciles: [ScikitUplift.PercentileRow] = []
        // A binary sample is sorted once: the AUC scores, uplift@k, the deciles and CausalML's scores
        // all read that ranking (CausalML's on the second core, with its ties in input order).
        let ranking = binary ? try BinaryRanking(s) : nil
        let second = DispatchGroup()
        nonisolated(unsafe) var causalmlResult = (qini: 0.0, auuc: 0.0)
        DispatchQueue.global().async(group: second) { causalmlResult = ranking.map(CausalML.scores) ?? CausalML.scores(s) }
        defer { second.wait() }
        if binary, let ranking {
            let scores = try ScikitUplift.evaluation(s, maximumPoints: Self.curvePoints, ranking: ranking)
            (q, u, curves) = (scores.qini, scores.uplift, scores.curves)
            pq = scores.perfectQini
            pu = scores.perfectUplift
            if let b = options.bootstrap {
                options.progress.begin("bootstrap of \(name)", total: b)
                let ci = try Bootstrap.aucIntervals(s, replicates: b, seed: options.seed, kept: options.progress.step)
                (qi, ui) = (ci.qini, ci.uplift)
            }
            for k in [0.1, 0.2, 0.3] where Int(Double(s.outcome.count) * k) > 0 {
                at.append((k, try ScikitUplift.upliftAtK(ranking, k: .fraction(k))))
            }
            if s.outcome.count > options.bins { deciles = try ScikitUplift.upliftByPercentile(ranking, bins: options.bins) }
        } else {
            curves = ScikitUplift.curves(s)
        }
        // The curves are drawn, not read point by point: a few thousand points draw them (10,000,000
        // rows would otherwise hold 4 × 80 MB of points).
        curves = (curves.qini.thinned(to: Self.curvePoints), curves.uplift.thinned(to: Self.curvePoints))
        second.wait()
        let causalml = causalmlResult
        return Evaluation(name: name, units: s.outcome.count, treated: s.treated.lazy.filter { $0 }.count, binary: binary,
                          qiniAUCScore: q, upliftAUCScore: u, qiniInterval: qi, upliftInterval: ui, upliftAt: at,
                          causalmlQiniScore: causalml.qini, causalmlAUUCScore: causalml.auuc, deciles: deciles,
                          qini: curves.qini, uplift: curves.uplift, perfectQini: pq, perfectUplift: pu)
    }

    /// A stored model on its held-out units: they are re-scored with the restored model.
    public static func model(_ name: String, options: Options, in store: Store) throws -> Result {
        let c = store.connection
        let (model, learner) = try ModelRegistry.restore(name, on: c)
        let split = options.split ?? model.testFraction
        guard split > 0, split <= model.testFraction else {
            throw PlatformError("\(.split) must be in (0, \(model.testFraction)]: model \"\(name)\" trained on the other units")
        }
        let e = try Experiment.load(model.experiment, on: c)
        guard let metric = try Metrics.find(model.outcome, on: c) else { throw PlatformError("metric \"\(model.outcome)\" does not exist") }
        guard let set = try FeatureStore.find(model.featureSet, on: c) else { throw PlatformError("feature set \"\(model.featureSet)\" does not exist") }
        let rows = try c.transaction { c in
            try ModelRegistry.loadRows(e, outcome: metric, set: set, features: model.features, phase: model.phase, on: c)
        }
        let held = rows.units.indices.filter { (GrowthBookHash.hash(seed: model.splitSeed, value: rows.units[$0], version: 2) ?? 1) < split }
        guard !held.isEmpty else { throw PlatformError("model \"\(name)\" has no held-out units to evaluate") }
        let matrix = FeatureMatrix(values: rows.features, rows: rows.units.count, columns: rows.columns).rows(held)
        let uplift: [[Float]]
        do { uplift = try learner.predict(matrix) } catch { throw PlatformError.computation("model \"\(name)\": ", error) }
        let outcome = held.map { Double(rows.outcome[$0]) }, arm = held.map { rows.arm[$0] }
        return try reported("model \"\(name)\"") { () throws(QiniError) -> Result in
            let multi = try MultiArmSample(outcome: outcome, arm: arm, uplift: uplift.map { $0.map(Double.init) })
            var evaluations: [Evaluation] = []
            for k in 1..<model.arms.count {
                evaluations.append(try evaluate(model.arms[k], try multi.pair(k), options: options))
            }
            var costCurve: (cost: [Double], value: [Double], units: [Int])? = nil
            if let costs = e.parameters.armCosts, costs.count == model.arms.count - 1 {
                costCurve = try multi.costCurve(costs: costs)
            }
            return Result(source: "model \(name), \(held.count) held-out units", evaluations: evaluations, costCurve: costCurve)
        }
    }

    /// Runs `body`, turning its error into a one-line PlatformError that says what was evaluated.
    static func reported<T>(_ what: String, _ body: () throws(QiniError) -> T) throws -> T {
        do { return try body() } catch { throw PlatformError.computation("\(what): ", error) }
    }

    /// Scores made elsewhere: a CSV with `outcome`, `treatment` (0/1) and one or more score columns.
    public static func scoresFile(_ path: String, options: Options) throws -> Result {
        let file = try CSVReader(path: path, required: ["outcome", "treatment"])
        let outcomeColumn = file.column("outcome")!, treatmentColumn = file.column("treatment")! // never nil: required
        let scoreColumns = file.header.indices.filter { $0 != outcomeColumn && $0 != treatmentColumn }
        guard !scoreColumns.isEmpty else { throw PlatformError(.invalidFile, "\(path):1: no score columns besides outcome and treatment") }
        var outcome: [Double] = [], treated: [Bool] = []
        var scores = [[Double]](repeating: [], count: scoreColumns.count)
        // Large files of plain numbers: both cores parse; anything unusual is read again below.
        if let size = file.fileSize, size >= 16 << 20, file.rows == 0,
           var columns = ParallelNumericCSV.read(path: path, dataStart: file.position, fields: file.header.count,
                                                 wanted: [outcomeColumn, treatmentColumn] + scoreColumns),
           !columns[0].isEmpty, columns[1].allSatisfy({ $0 == 0 || $0 == 1 }) {
            treated = columns[1].map { $0 == 1 }
            columns[1] = []
            outcome = columns[0]
            columns[0] = []
            scores = Array(columns[2...])
            columns = []
            return try evaluateScores(path: path, header: file.header, scoreColumns: scoreColumns, outcome: outcome, treated: treated,
                                      scores: scores, options: options)
        }
        while try file.next() {
            if file.rows == 4096, let estimate = file.estimatedRows {
                outcome.reserveCapacity(estimate); treated.reserveCapacity(estimate)
                for k in scores.indices { scores[k].reserveCapacity(estimate) }
            }
            outcome.append(try file.number(outcomeColumn))
            let t = try file.number(treatmentColumn)
            guard t == 0 || t == 1 else { throw file.error(treatmentColumn, "is \(file.excerpt(treatmentColumn)); it must be 0 or 1") }
            treated.append(t == 1)
            for (k, column) in scoreColumns.enumerated() { scores[k].append(try file.number(column)) }
        }
        return try evaluateScores(path: path, header: file.header, scoreColumns: scoreColumns, outcome: outcome, treated: treated,
                                  scores: scores, options: options)
    }

    static func evaluateScores(path: String, header: [String], scoreColumns: [Int], outcome: [Double], treated: [Bool], scores: [[Double]],
                               options: Options) throws -> Result {
        try reported(path) { () throws(QiniError) -> Result in
            var evaluations: [Evaluation] = []
            for (k, column) in scoreColumns.enumerated() {
                evaluations.append(try evaluate(header[column], try UpliftSample(outcome: outcome, treated: treated, score: scores[k]),
                                                options: options))
            }
            return Result(source: "\(path), \(outcome.count) rows", evaluations: evaluations, costCurve: nil)
        }
    }
}
