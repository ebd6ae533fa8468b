import Exposure
import Foundation
import Randomization
import Stats

/// `exposure [NODES [EDGES]]`: a Watts–Strogatz graph of NODES nodes and about EDGES edges (k =
/// 2·EDGES/NODES, rewiring 0.1); the motif census under a 50/50 assignment, then exposure
/// probabilities with R = 100 re-runs of a GrowthBook user split (fresh seed per re-run, every unit
/// id hashed) and of a cluster design over 3-net clusters, fraction 0.75 exposure.
enum ExposureBench {
    static func run(nodes n: Int, edges: Int) throws {
        let k = max(2, (2 * edges / n) & ~1)
        var ws: (sources: [Int32], targets: [Int32]) = ([], [])
        report("generate Watts–Strogatz (k = \(k))", rows: n * k / 2, seconds: seconds { ws = SyntheticGraph.wattsStrogatz(nodes: n, k: k, rewire: 0.1, seed: 1) })
        var g: Graph?
        report("build CSR (sort, dedupe)", rows: ws.sources.count, seconds: try seconds { g = try Graph.build(nodes: n, sources: ws.sources, targets: ws.targets).0 })
        let graph = g! // never nil: built above
        print("graph: \(graph.nodes) nodes, \(graph.edges) edges")
        var rng = SplitMix64(seed: 2)
        let treated = (0..<n).map { _ in rng.uniform() < 0.5 }
        var census: MotifCensus?
        report("motif census (2 threads)", rows: graph.edges, seconds: seconds { census = MotifCensus.census(graph, treated: treated) })
        let closed = census!.closed.map { $0.reduce(0, +) }.reduce(0, +) // never nil: counted above
        print("closed triads counted from egos: \(closed) (triangles: \(closed / 3))")

        let units = (0..<n).map { "user-\($0)" }
        let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]
        let userSplit: @Sendable (Int) -> [Int8] = { r in
            let split = try! UserSplit(arms: arms, seed: "bench|exposure-replicate-\(r)") // never fails: valid arms
            return units.map { Int8(split.assign($0) ?? -1) }
        }
        var p: ExposureProbabilities?
        report("exposure probabilities, user split, R = 100 (2 threads)", rows: n, seconds: try seconds {
            p = try ExposureProbabilities.estimate(graph, mapping: .fraction(0.75), replicates: 100, draw: userSplit)
        })
        let covered = (0..<n).filter { p!.probability($0, .treatedExposed) > 0 }.count // never nil: estimated above
        print("units ever treated and exposed: \(covered)")

        var threeNet: [Int32] = []
        report("3-net clustering", rows: n, seconds: seconds { threeNet = Clustering.threeNet(graph, seed: 3) })
        let clusters = threeNet
        let keys = (0..<(Int(clusters.max() ?? -1) + 1)).map { "cluster-\($0)" }
        let clusterDraw: @Sendable (Int) -> [Int8] = { r in
            let split = try! UserSplit(arms: arms, seed: "bench|exposure-replicate-\(r)") // never fails: valid arms
            let code = keys.map { Int8(split.assign($0) ?? -1) }
            return clusters.map { code[Int($0)] }
        }
        report("exposure probabilities, \(keys.count) 3-net clusters, R = 100 (2 threads)", rows: n, seconds: try seconds {
            p = try ExposureProbabilities.estimate(graph, mapping: .fraction(0.75), replicates: 100, draw: clusterDraw)
        })
        var louvain: [Int32] = []
        report("Louvain clustering (1 thread)", rows: graph.edges, seconds: seconds { louvain = Clustering.louvain(graph, seed: 3) })
        print("Louvain: \(Set(louvain).count) clusters, modularity \(Clustering.modularity(graph, louvain)), "
            + "edges inside \(Clustering.insideShare(graph, louvain))")
    }
}
