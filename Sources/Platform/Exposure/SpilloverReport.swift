import Exposure
import Foundation
import Postgres
import Randomization

/// An experiment laid on a stored graph: each node's arm (1 treated, 0 control, −1 neither), and
/// the experiment's design ready to be re-run with fresh salts.
struct ExperimentOnGraph {
    let experiment: Experiment
    let loaded: GraphStore.Loaded
    let treatedArm: Int
    /// Per node: 1 treated, 0 control, −1 not in the contrast (held out, never assigned, another arm).
    let arm: [Int8]
    /// Per node: the key the design hashes (the unit, or its cluster's index into `clusterKeys`),
    /// −1 for a node the design never drew (held out or never assigned).
    let drawKey: [Int32]
    let clusterKeys: [String]?
    let heldOut: Int

    var graph: Graph { loaded.graph }

    static func load(_ name: String, graph: String, arm armName: String?, on c: Connection) throws -> ExperimentOnGraph {
        let e = try Experiment.load(name, on: c)
        guard e.design != .switchback else {
            throw PlatformError("experiment \"\(name)\" is a switchback: its units are region-time windows, not nodes of a graph")
        }
        guard e.status != .draft else { throw PlatformError("experiment \"\(name)\" is draft; start it and assign units first") }
        let info = try GraphStore.info(graph, on: c)
        guard info.unitType == e.unitType else {
            throw PlatformError("graph \"\(graph)\" links units of type \"\(info.unitType)\" but experiment \"\(name)\" randomizes \"\(e.unitType)\"")
        }
        let treated: Int
        if let armName {
            guard let k = e.arms.firstIndex(where: { $0.name == armName }) else {
                throw PlatformError("experiment \"\(name)\" has no arm \"\(armName)\" (arms: \(e.arms.map(\.name).joined(separator: ",")))")
            }
            guard k > 0 else { throw PlatformError("--arm names the treated arm; \"\(armName)\" is the control arm") }
            treated = k
        } else {
            treated = 1
        }
        var assigned: [(String, String?)] = []
        try c.copyOutBinaryRows(SQLQuery(unsafeSQL: """
            COPY (SELECT unit, arm FROM assignments WHERE experiment_id = \(e.id) AND phase = \(e.phase)) TO STDOUT (FORMAT binary)
            """)) { row in
            var unit = "", arm: String?
            try row.forEachField { field in
                if field.index == 0 { unit = try field.string() } else if field.bytes != nil { arm = try field.string() }
            }
            assigned.append((unit, arm))
        }
        guard !assigned.isEmpty else { throw PlatformError("experiment \"\(name)\" has no assigned units") }
        let loaded = try GraphStore.load(graph, extraUnits: assigned.map(\.0), on: c)
        let n = loaded.graph.nodes
        var arm = [Int8](repeating: -1, count: n)
        var drawn = [Bool](repeating: false, count: n)
        let position = Dictionary(uniqueKeysWithValues: e.arms.enumerated().map { ($0.element.name, $0.offset) })
        var heldOut = 0
        for (unit, a) in assigned {
            let i = loaded.index[unit]! // every assigned unit is a node: added above
            guard let a else { heldOut += 1; continue }
            drawn[i] = true
            let k = position[a] ?? -1
            arm[i] = k == treated ? 1 : k == 0 ? 0 : -1
        }
        var drawKey = [Int32](repeating: -1, count: n)
        var clusterKeys: [String]?
        if e.design == .cluster {
            let mapping = e.parameters.clusters ?? "default"
            var keyIndex: [String: Int32] = [:], keys: [String] = []
            for (unit, cluster) in try c.query("SELECT unit, cluster FROM unit_clusters WHERE mapping = \(mapping)").decode((String, String).self) {
                guard let i = loaded.index[unit], drawn[i] else { continue }
                if keyIndex[cluster] == nil { keyIndex[cluster] = Int32(keys.count); keys.append(cluster) }
                drawKey[i] = keyIndex[cluster]! // never nil: set just above
            }
            if let i = drawn.indices.first(where: { drawn[$0] && drawKey[$0] < 0 }) {
                throw PlatformError("unit \"\(loaded.units[i])\" is assigned but has no cluster in mapping \"\(mapping)\"")
            }
            clusterKeys = keys
        } else {
            for i in 0..<n where drawn[i] { drawKey[i] = Int32(i) }
        }
        return ExperimentOnGraph(experiment: e, loaded: loaded, treatedArm: treated, arm: arm, drawKey: drawKey,
                                 clusterKeys: clusterKeys, heldOut: heldOut)
    }

    /// Draw r of the design with a fresh salt: the experiment's arms, weights, coverage and layer,
    /// hashed with seed "SEED|exposure-replicate-r"; clusters drawn once each.
    func draw() throws -> @Sendable (Int) -> [Int8] {
        let e = experiment, treated = treatedArm, drawKey = drawKey
        let keys = clusterKeys ?? loaded.units
        _ = try e.userSplit() // validates the arms once; the replicates use the same parameters
        return { r in
            // Never fails: the same arms, coverage and layer were validated above.
            let split = try! UserSplit(arms: e.arms, seed: "\(e.seed)|exposure-replicate-\(r)", hashVersion: e.hashVersion,
                                       coverage: e.coverage, layer: e.layer)
            let code: [Int8] = keys.map { key in
                guard let k = split.assign(key) else { return -1 }
                return k == treated ? 1 : k == 0 ? 0 : -1
            }
            return drawKey.map { $0 < 0 ? -1 : code[Int($0)] }
        }
    }
}

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
        guard o.replicates >= 1, o.replicates <= 100_000 else { throw PlatformError("--replicates must be between 1 and 100000") }
        guard o.floor > 0, o.floor < 1 else { throw PlatformError("--floor must be between 0 and 1") }
        guard Double(o.replicates) * o.floor >= 10 else {
            let needed = Int((10 / o.floor).rounded(.up))
            throw PlatformError("\(o.replicates) replicates cannot resolve probabilities near the floor \(o.floor): "
                + "replicates × floor must be at least 10 (use --replicates \(needed) or more)")
        }
        let c = store.connection
        return try c.transaction { c in
            _ = try Experiment.load(name, on: c) // an unknown experiment is the first thing to say
            guard let metric = try Metrics.find(o.metric, on: c) else { throw PlatformError("there is no metric \"\(o.metric)\"") }
            guard metric.kind != .ratio else { throw PlatformError("metric \"\(o.metric)\" is a ratio; spillover reports take mean or proportion metrics") }
            let on = try ExperimentOnGraph.load(name, graph: o.graph, arm: o.arm, on: c)
            let e = on.experiment, g = on.graph, n = g.nodes
            let mapping = o.mapping ?? (e.design == .cluster ? .full : .fraction(0.75))
            // Per-unit outcome: the sum of a mean metric's values, the max of a proportion's; 0 when absent.
            var y = [Double](repeating: 0, count: n)
            var withOutcome = 0
            let perUnit = try c.query("""
                SELECT o.unit, \(unsafeRaw: metric.kind == .proportion ? "max" : "sum")(o.value) FROM outcomes o
                JOIN assignments a ON a.unit = o.unit AND a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase)) AND a.arm IS NOT NULL
                WHERE o.metric = \(o.metric) GROUP BY o.unit
                """).decode((String, Double).self)
            for (unit, value) in perUnit {
                guard let i = on.loaded.index[unit] else { continue }
                y[i] = value
                withOutcome += 1
            }
            guard withOutcome > 0 else { throw PlatformError("metric \"\(o.metric)\" has no outcomes for the units of experiment \"\(name)\"") }
            let inExperiment = on.arm.map { $0 >= 0 }
            let units = inExperiment.lazy.filter { $0 }.count
            guard on.arm.contains(1), on.arm.contains(0) else {
                throw PlatformError("experiment \"\(name)\" needs units in both \(e.arms[0].name) and \(e.arms[on.treatedArm].name)")
            }
            let draw = try on.draw()
            let p = try exposure { () throws(ExposureError) in
                try ExposureProbabilities.estimate(g, mapping: mapping, replicates: o.replicates, threads: o.threads, draw: draw)
            }
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
            // The outcome against the share of treated neighbours, per own arm.
            var sums = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 2)
            var fractions = sums, counts = sums
            for i in 0..<n where inExperiment[i] && g.degree(i) > 0 {
                var t = 0
                for j in g.neighbours(i) where on.arm[Int(j)] > 0 { t += 1 }
                let f = Double(t) / Double(g.degree(i)), bin = min(9, Int(f * 10)), a = Int(on.arm[i])
                sums[a][bin] += y[i]; fractions[a][bin] += f; counts[a][bin] += 1
            }
            var curve: [CurvePoint] = []
            for a in 0..<2 {
                for b in 0..<10 where counts[a][b] > 0 {
                    curve.append(CurvePoint(treated: a == 1, bin: b, units: Int(counts[a][b]), meanFraction: fractions[a][b] / counts[a][b],
                                            meanOutcome: sums[a][b] / counts[a][b]))
                }
            }
            var tree: SpilloverTree?
            var treeNote: String?
            // The tree keeps every unit's motif vector in every re-run (8 floats each): at most
            // 32 million unit-runs (1 GiB), and enough runs to resolve the floor.
            let treeReplicates = min(o.replicates, 200, 32_000_000 / max(n, 1))
            if o.tree, Double(treeReplicates) * o.floor < 10 {
                treeNote = "the spillover tree was skipped: \(n) units need \(Int((10 / o.floor).rounded(.up))) re-runs of their motifs, "
                    + "more than the 32 million unit-runs it may hold"
            } else if o.tree {
                tree = try exposure { () throws(ExposureError) in
                    try SpilloverTree.grow(g, arm: on.arm, outcome: y, inExperiment: inExperiment, replicates: treeReplicates,
                                           floor: o.floor, seed: 17, dependence: dependence, draw: draw)
                }
            }
            return Result(experiment: e.name, design: e.design.rawValue, graph: o.graph, metric: o.metric, mapping: mapping,
                          replicates: o.replicates, floor: o.floor, control: e.arms[0].name, treated: e.arms[on.treatedArm].name,
                          units: units, graphNodes: on.loaded.info.nodes, edges: g.edges, heldOut: on.heldOut, estimate: estimate,
                          curve: curve, tree: tree, treeNote: treeNote, seconds: Date().timeIntervalSince(started))
        }
    }
}

/// `graph motifs NAME --experiment E [--out FILE.csv]`: each ego's motif census under the
/// experiment's assignment.
public enum MotifExport {
    public struct Result: Sendable {
        public let graph: String
        public let experiment: String
        public let treated: String
        /// Egos written: units of the experiment's contrast on the graph.
        public let egos: Int
        public let meanDegree: Double
        /// Over the egos: closed and open triads by treated alters (0, 1, 2).
        public let closed: [Int64]
        public let open: [Int64]
        /// Per own arm (control, treated): the mean normalised vector.
        public let meanVector: [[Double]]
        public let rowsWritten: Int?
    }

    public static func run(graph: String, experiment name: String, arm: String?, out path: String?, in store: Store) throws -> Result {
        try store.connection.transaction { c in
            let on = try ExperimentOnGraph.load(name, graph: graph, arm: arm, on: c)
            let g = on.graph
            let census = MotifCensus.census(g, treated: on.arm.map { $0 > 0 })
            let egos = (0..<g.nodes).filter { on.arm[$0] >= 0 }
            var closed = [Int64](repeating: 0, count: 3), open = closed
            var vectors = [[Double]](repeating: [Double](repeating: 0, count: MotifCensus.vectorNames.count), count: 2)
            var perArm = [0.0, 0.0]
            var degree = 0.0
            for i in egos {
                for t in 0..<3 { closed[t] += census.closed[t][i]; open[t] += census.open[t][i] }
                let v = census.vector(i), a = Int(on.arm[i])
                for k in v.indices { vectors[a][k] += v[k] }
                perArm[a] += 1
                degree += Double(census.degree[i])
            }
            for a in 0..<2 where perArm[a] > 0 { vectors[a] = vectors[a].map { $0 / perArm[a] } }
            var written: Int?
            if let path {
                var text = "unit,arm,degree,treated_neighbours,control_neighbours,closed_0,closed_1,closed_2,open_0,open_1,open_2,"
                    + (["own_arm"] + MotifCensus.vectorNames).map { "x_\($0)" }.joined(separator: ",") + "\n"
                let armName = [on.experiment.arms[0].name, on.experiment.arms[on.treatedArm].name]
                for i in egos {
                    let d = Int(census.degree[i]), t = Int(census.treatedNeighbours[i])
                    var fields = [csvField(on.loaded.units[i]), csvField(armName[Int(on.arm[i])]), String(d), String(t), String(d - t)]
                    fields += census.closed.map { String($0[i]) } + census.open.map { String($0[i]) }
                    // The ego's own arm is one more dimension of its exposure (Yuan et al.).
                    fields += [on.arm[i] > 0 ? "1" : "0"] + census.vector(i).map { String(format: "%.6g", $0) }
                    text += fields.joined(separator: ",") + "\n"
                }
                do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                    throw PlatformError("\(path): cannot write the census (\(error.localizedDescription))")
                }
                written = egos.count
            }
            return Result(graph: graph, experiment: name, treated: on.experiment.arms[on.treatedArm].name, egos: egos.count,
                          meanDegree: egos.isEmpty ? 0 : degree / Double(egos.count), closed: closed, open: open,
                          meanVector: vectors, rowsWritten: written)
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
