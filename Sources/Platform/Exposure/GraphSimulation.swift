import Exposure
import Foundation
import Postgres
import Stats

/// `simulate graph` and `simulate spillover`: a social graph and outcomes with planted direct and
/// spillover effects, so a spillover report can be checked against the truth.
public enum GraphSimulation {
    public struct GraphFiles: Sendable {
        public let units: Int
        public let edges: Int
        public let unitsPath: String
        public let edgesPath: String
    }

    /// Writes a Watts–Strogatz graph (ring of `nodes`, each linked to its `k` nearest, each link
    /// rewired with probability `rewire`) as an edge list `source,target`, and its units as
    /// `unit,neighbourhood` (the ring position in tenths, an attribute for policies and plots).
    public static func writeGraph(nodes: Int, k: Int, rewire: Double, seed: UInt64, prefix: String,
                                  edgesPath: String, unitsPath: String) throws -> GraphFiles {
        guard nodes >= 3, nodes <= 10_000_000 else { throw PlatformError("a simulated graph has 3 to 10,000,000 nodes") }
        guard k >= 2, k % 2 == 0, k < nodes else { throw PlatformError("\(.k) must be even, at least 2 and below the node count") }
        guard rewire >= 0, rewire <= 1 else { throw PlatformError("\(.rewire) must be between 0 and 1") }
        let ws = SyntheticGraph.wattsStrogatz(nodes: nodes, k: k, rewire: rewire, seed: seed)
        let width = String(nodes - 1).count
        func name(_ i: Int32) -> String {
            let digits = String(i)
            return CSV.field(prefix + String(repeating: "0", count: width - digits.count) + digits)
        }
        let names = (0..<Int32(nodes)).map(name)
        var edges = "source,target\n"
        edges.reserveCapacity(ws.sources.count * (2 * (prefix.count + width) + 2))
        for (a, b) in zip(ws.sources, ws.targets) { edges += names[Int(a)] + "," + names[Int(b)] + "\n" }
        var units = "unit,neighbourhood\n"
        for i in 0..<nodes { units += names[i] + ",n\(i * 10 / nodes + 1)\n" }
        try CSV.write(edges, to: edgesPath)
        try CSV.write(units, to: unitsPath)
        return GraphFiles(units: nodes, edges: ws.sources.count, unitsPath: unitsPath, edgesPath: edgesPath)
    }

    public struct PlantedOutcomes: Sendable {
        public let metric: String
        public let units: Int
        /// The true effects of the planted model: direct β, spillover γ per unit share of treated
        /// neighbours, total β + γ (everyone treated against no one).
        public let direct: Double
        public let spillover: Double
        /// The share of treated neighbours, averaged over treated and over control units.
        public let meanFractionTreated: Double
        public let meanFractionControl: Double
    }

    /// Writes metric `metric` for the units of an experiment on a graph:
    /// y = base + direct·z + spillover·f + ε, z the unit's own arm (1 treated), f the share of its
    /// neighbours treated, ε ~ N(0, noise²). One transaction; the metric must be new.
    @discardableResult
    public static func plantOutcomes(experiment name: String, graph: String, metric: String, base: Double, direct: Double, spillover: Double,
                                     noise: Double, seed: UInt64, in store: Store) throws -> PlantedOutcomes {
        guard !metric.isBlankName else { throw PlatformError("a metric needs a name") }
        guard noise >= 0, noise.isFinite, base.isFinite, direct.isFinite, spillover.isFinite else {
            throw PlatformError("\(.base), \(.direct), \(.spillover) and \(.noise) must be finite (noise ≥ 0)")
        }
        return try store.connection.transaction { c in
            guard try Metrics.find(metric, on: c) == nil else { throw PlatformError("metric \"\(metric)\" already exists; choose another name") }
            let on = try ExperimentOnGraph.load(try Experiment.load(name, on: c), graph: graph, arm: nil, on: c)
            let g = on.graph
            var rng = SplitMix64(seed: seed)
            var rows: [(String, Double)] = []
            var fractions = [0.0, 0.0], counts = [0.0, 0.0]
            for i in 0..<g.nodes where on.arm[i] >= 0 {
                let f = g.treatedShare(i, arm: on.arm)
                let z = Double(on.arm[i])
                rows.append((on.loaded.units[i], base + direct * z + spillover * f + noise * rng.normal()))
                fractions[Int(z)] += f; counts[Int(z)] += 1
            }
            try c.execute("INSERT INTO metrics (name, kind) VALUES (\(metric), 'mean')")
            try Upkeep.prepareBatch(on: c)
            try c.copyIn("COPY causeway_outcome_batch (unit, metric, value) FROM STDIN") { writer in
                for (unit, value) in rows { try writer.writeRow(unit, metric, value) }
            }
            try Upkeep.addOutcomes(on: c)
            try c.execute("ANALYZE outcomes")
            return PlantedOutcomes(metric: metric, units: rows.count, direct: direct, spillover: spillover,
                                   meanFractionTreated: fractions[1] / max(1, counts[1]), meanFractionControl: fractions[0] / max(1, counts[0]))
        }
    }
}
