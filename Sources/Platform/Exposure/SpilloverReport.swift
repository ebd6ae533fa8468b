import Exposure
import Foundation
import Postgres

/// `report spillover NAME --graph G --metric M`: network exposure effects (Aronow & Samii 2017).
public enum SpilloverReport {
    public struct Options: Sendable {
        public var graph: String
        public var metric: String
        public var replicates = 200
        /// nil: full neighbourhood for cluster designs, fraction 0.75 for user splits.
        public var mapping: ExposureMapping?
        public var floor = 0.05
        public var arm: String?
        public var tree = true
        public var threads = 2

        public init(graph: String, metric: String) {
            self.graph = graph
            self.metric = metric
        }
    }

    /// Mean outcome of units by their share of treated neighbours (tenths), per own arm.
    public struct CurvePoint: Sendable {
        public let treated: Bool
        public let bin: Int
        public let units: Int
        public let meanFraction: Double
        public let meanOutcome: Double
    }

    public struct Result: Sendable {
        public let experiment: String
        public let design: String
        public let graph: String
        public let metric: String
        public let mapping: ExposureMapping
        public let replicates: Int
        public let floor: Double
        public let control: String
        public let treated: String
        /// Units in the contrast (treated or control) and on the graph.
        public let units: Int
        public let graphNodes: Int
        public let edges: Int
        public let heldOut: Int
        public let estimate: SpilloverEstimator
        public let curve: [CurvePoint]
        public let tree: SpilloverTree?
        /// Why the tree is missing when it was asked for.
        public let treeNote: String?
        public let seconds: Double
    }

    public static func run(_ name: String, options o: Options, in store: Store) throws -> Result {
        let started = Date()
        guard o.replicates >= 1, o.replicates <= 100_000 else { throw PlatformError("\(.replicates) must be between 1 and 100000") }
        guard o.floor > 0, o.floor < 1 else { throw PlatformError("\(.floor) must be between 0 and 1") }
        guard Double(o.replicates) * o.floor >= 10 else {
            let needed = Int((10 / o.floor).rounded(.up))
            throw PlatformError("\(o.replicates) replicates cannot resolve probabilities near the floor \(o.floor): "
                + "replicates × floor must be at least 10 (use \(.replicates) \(needed) or more)")
        }
        let c = store.connection
        return try c.transaction { c in
            let experiment = try Experiment.load(name, on: c) // an unknown experiment is the first thing to say
            guard let metric = try Metrics.find(o.metric, on: c) else { throw PlatformError("there is no metric \"\(o.metric)\"") }
            guard metric.kind != .ratio else { throw PlatformError("metric \"\(o.metric)\" is a ratio; spillover reports take mean or proportion metrics") }
            let on = try ExperimentOnGraph.load(experiment, graph: o.graph, arm: o.arm, on: c)
            let e = on.experiment, g = on.graph, n = g.nodes
            let mapping = o.mapping ?? (e.design == .cluster ? .full : .fraction(0.75))
            let y = try outcomes(metric, experiment: e, units: n, index: on.loaded.index, on: c)
            let inExperiment = on.arm.map { $0 >= 0 }
            let units = inExperiment.lazy.filter { $0 }.count
            guard on.arm.contains(1), on.arm.contains(0) else {
                throw PlatformError("experiment \"\(name)\" needs units in both \(e.arms[0].name) and \(e.arms[on.treatedArm].name)")
            }
            let draw = try on.draw()
            // Each re-run of the design is a step of the progress bar.
            let step = store.progress.step
            let counted: @Sendable (Int) -> [Int8] = { r in defer { step?() }; return draw(r) }
            store.progress.begin("re-running the design", total: o.replicates)
            let p = try exposure { () throws(ExposureError) in
                try ExposureProbabilities.estimate(g, mapping: mapping, replicates: o.replicates, threads: o.threads, draw: counted)
            }
            store.progress.begin("variance: dependent pairs")
            // Each dependent pair costs 6 bytes (partner and mask); refuse what would not fit in 6 GB.
            let bound = Dependence.pairBound(g, randomizationUnit: on.drawKey)
            guard bound <= 1_000_000_000 else {
                throw PlatformError("the variance would need up to \(bound) pairs of units that share a randomization unit in their "
                    + "neighbourhoods (more than a billion); report on a smaller graph or coarser clusters")
            }
            let dependence = Dependence(g, randomizationUnit: on.drawKey)
            let design = try exposure { () throws(ExposureError) in try ExposureDesign(probabilities: p, dependence: dependence, threads: o.threads) }
            let observed = Condition.codes(g, arm: on.arm, mapping: mapping)
            let estimate = try exposure { () throws(ExposureError) in
                try SpilloverEstimator(observed: observed, inExperiment: inExperiment, treatedArm: on.arm.map { $0 > 0 }, outcome: y,
                                       design: design, floor: o.floor)
            }
            let curve = outcomeCurve(g, arm: on.arm, outcome: y, inExperiment: inExperiment)
            var tree: SpilloverTree?
            var treeNote: String?
            // The tree keeps every unit's motif vector in every re-run (8 floats each): at most
            // 32 million unit-runs (1 GiB), and enough runs to resolve the floor.
            let treeReplicates = min(o.replicates, 200, 32_000_000 / max(n, 1))
            if o.tree, Double(treeReplicates) * o.floor < 10 {
                treeNote = "the spillover tree was skipped: \(n) units need \(Int((10 / o.floor).rounded(.up))) re-runs of their motifs, "
                    + "more than the 32 million unit-runs it may hold"
            } else if o.tree {
                store.progress.begin("spillover tree", total: treeReplicates)
                tree = try exposure { () throws(ExposureError) in
                    try SpilloverTree.grow(g, arm: on.arm, outcome: y, inExperiment: inExperiment, replicates: treeReplicates,
                                           floor: o.floor, seed: 17, dependence: dependence, draw: counted)
                }
            }
            return Result(experiment: e.name, design: e.design.rawValue, graph: o.graph, metric: o.metric, mapping: mapping,
                          replicates: o.replicates, floor: o.floor, control: e.arms[0].name, treated: e.arms[on.treatedArm].name,
                          units: units, graphNodes: on.loaded.info.nodes, edges: g.edges, heldOut: on.heldOut, estimate: estimate,
                          curve: curve, tree: tree, treeNote: treeNote, seconds: Date().timeIntervalSince(started))
        }
    }

    /// Each graph unit's outcome (index as the loaded graph's): the sum of a mean metric's values,
    /// the max of a proportion's; 0 when absent. Units of the experiment only.
    static func outcomes(_ metric: Metrics.Metric, experiment e: Experiment, units: Int, index: [String: Int], on c: Connection) throws -> [Double] {
        var y = [Double](repeating: 0, count: units)
        var withOutcome = 0
        let perUnit = try c.query("""
            SELECT o.unit, \(unsafeRaw: metric.kind == .proportion ? "max" : "sum")(o.value) FROM outcomes o
            JOIN assignments a ON a.unit = o.unit AND a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase)) AND a.arm IS NOT NULL
            WHERE o.metric = \(metric.name) GROUP BY o.unit
            """).decode((String, Double).self)
        for (unit, value) in perUnit {
            guard let i = index[unit] else { continue }
            y[i] = value
            withOutcome += 1
        }
        guard withOutcome > 0 else {
            throw PlatformError(.insufficientData, "metric \"\(metric.name)\" has no outcomes for the units of experiment \"\(e.name)\"")
        }
        return y
    }

    /// The mean outcome against the share of treated neighbours, by tenths, per own arm.
    static func outcomeCurve(_ g: Graph, arm: [Int8], outcome: [Double], inExperiment: [Bool]) -> [CurvePoint] {
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 2)
        var fractions = sums, counts = sums
        for i in 0..<g.nodes where inExperiment[i] && g.degree(i) > 0 {
            let f = g.treatedShare(i, arm: arm), bin = min(9, Int(f * 10)), a = Int(arm[i])
            sums[a][bin] += outcome[i]; fractions[a][bin] += f; counts[a][bin] += 1
        }
        var curve: [CurvePoint] = []
        for a in 0..<2 {
            for b in 0..<10 where counts[a][b] > 0 {
                curve.append(CurvePoint(treated: a == 1, bin: b, units: Int(counts[a][b]), meanFraction: fractions[a][b] / counts[a][b],
                                        meanOutcome: sums[a][b] / counts[a][b]))
            }
        }
        return curve
    }
}
