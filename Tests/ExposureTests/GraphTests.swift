import Foundation
import XCTest
import Stats
@testable import Exposure

final class GraphTests: XCTestCase {
    static func karate() throws -> Graph {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "karate", withExtension: "csv", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        var s: [Int32] = [], t: [Int32] = []
        for line in lines {
            let parts = line.split(separator: ",").map { Int32($0.dropFirst())! - 1 }
            s.append(parts[0]); t.append(parts[1])
        }
        return try Graph.build(nodes: 34, sources: s, targets: t).0
    }

    func randomGraph(_ n: Int, edges m: Int, directed: Bool, g: inout SplitMix64) throws -> (Graph, Graph.Dropped, Set<[Int32]>) {
        var s: [Int32] = [], t: [Int32] = []
        for _ in 0..<m { s.append(Int32(g.next() % UInt64(n))); t.append(Int32(g.next() % UInt64(n))) }
        var distinct = Set<[Int32]>()
        for (a, b) in zip(s, t) where a != b { distinct.insert(directed ? [a, b] : [min(a, b), max(a, b)]) }
        let (graph, dropped) = try Graph.build(nodes: n, sources: s, targets: t, directed: directed)
        return (graph, dropped, distinct)
    }

    func testBuildDropsSelfLoopsAndDuplicates() throws {
        let (g, dropped) = try Graph.build(nodes: 4, sources: [0, 1, 2, 0, 3, 3], targets: [1, 0, 2, 1, 2, 0])
        XCTAssertEqual(dropped, Graph.Dropped(selfLoops: 1, duplicates: 2), "1–0 and the second 0–1 repeat 0–1; 2–2 is a loop")
        XCTAssertEqual(g.edges, 3)
        XCTAssertEqual(Array(g.neighbours(0)), [1, 3])
        XCTAssertEqual(Array(g.neighbours(3)), [0, 2])
        let (d, droppedDirected) = try Graph.build(nodes: 3, sources: [0, 1, 0], targets: [1, 0, 1], directed: true)
        XCTAssertEqual(droppedDirected.duplicates, 1)
        XCTAssertEqual(d.edges, 2)
        XCTAssertEqual(Array(d.neighbours(0)), [1])
        XCTAssertTrue(d.areLinked(1, 0))
        XCTAssertThrowsError(try Graph.build(nodes: 2, sources: [0], targets: [5]))
        var rng = SplitMix64(seed: 1)
        for directed in [false, true] {
            let (graph, _, distinct) = try randomGraph(60, edges: 400, directed: directed, g: &rng)
            XCTAssertEqual(graph.edges, distinct.count)
        }
    }

    /// Every ego's census equals a count over all pairs of its neighbours.
    func testMotifCensusEqualsBruteForce() throws {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<30 {
            let n = 5 + Int(rng.next() % 40), m = Int(rng.next() % UInt64(n * 4))
            let directed = trial % 3 == 2
            let (g, _, _) = try randomGraph(n, edges: m, directed: directed, g: &rng)
            let treated = (0..<n).map { _ in rng.uniform() < 0.4 }
            let census = MotifCensus.census(g, treated: treated, threads: 2)
            for i in 0..<n {
                let alters = Array(g.neighbours(i)).map(Int.init)
                var closed = [Int64](repeating: 0, count: 3), open = closed
                for x in 0..<alters.count {
                    for y in (x + 1)..<max(x + 1, alters.count) {
                        let (j, k) = (alters[x], alters[y])
                        let t = (treated[j] ? 1 : 0) + (treated[k] ? 1 : 0)
                        if g.areLinked(j, k) { closed[t] += 1 } else { open[t] += 1 }
                    }
                }
                XCTAssertEqual(Int(census.degree[i]), alters.count)
                XCTAssertEqual(Int(census.treatedNeighbours[i]), alters.filter { treated[$0] }.count)
                XCTAssertEqual(census.closed.map { $0[i] }, closed, "trial \(trial), ego \(i): closed triads")
                XCTAssertEqual(census.open.map { $0[i] }, open, "trial \(trial), ego \(i): open triads")
                let v = census.vector(i)
                if closed.reduce(0, +) > 0 { XCTAssertEqual(v[1] + v[2] + v[3], 1, accuracy: 1e-12) }
            }
        }
    }

    func testKarateClubHas45Triangles() throws {
        let g = try Self.karate()
        XCTAssertEqual(g.edges, 78)
        let census = MotifCensus.census(g, treated: Array(repeating: false, count: 34))
        // Each triangle is a closed triad at each of its three corners.
        XCTAssertEqual(census.closed[0].reduce(0, +), 3 * 45)
        // Pairs of neighbours: Σ C(d, 2) = closed + open.
        let pairs = (0..<34).reduce(Int64(0)) { $0 + Int64(g.degree($1) * (g.degree($1) - 1) / 2) }
        XCTAssertEqual(census.closed[0].reduce(0, +) + census.open[0].reduce(0, +), pairs)
    }

    func testExposureMappings() throws {
        XCTAssertEqual(try ExposureMapping(parsing: "fraction:0.75"), .fraction(0.75))
        XCTAssertEqual(try ExposureMapping(parsing: "absolute:2"), .absolute(2))
        XCTAssertEqual(try ExposureMapping(parsing: "full"), .full)
        XCTAssertThrowsError(try ExposureMapping(parsing: "fraction:0.5"))
        XCTAssertThrowsError(try ExposureMapping(parsing: "nearby"))
        XCTAssertEqual(ExposureMapping.full.level(treated: 4, degree: 4), .exposed)
        XCTAssertEqual(ExposureMapping.full.level(treated: 3, degree: 4), .neither)
        XCTAssertEqual(ExposureMapping.full.level(treated: 0, degree: 0), .unexposed)
        XCTAssertEqual(ExposureMapping.fraction(0.75).level(treated: 1, degree: 4), .unexposed)
        XCTAssertEqual(ExposureMapping.fraction(0.75).level(treated: 2, degree: 4), .neither)
        XCTAssertEqual(ExposureMapping.absolute(1).level(treated: 1, degree: 9), .exposed)
    }

    func testThreeNetAndLouvain() throws {
        let karate = try Self.karate()
        let communities = Clustering.louvain(karate, seed: 1)
        XCTAssertGreaterThan(Clustering.modularity(karate, communities), 0.40, "the best partition's modularity is about 0.42")
        XCTAssertLessThan(Clustering.modularity(karate, Array(repeating: 0, count: 34)), 1e-12, "one cluster has modularity 0")

        // Planted partition: 20 groups of 50, dense inside, sparse across.
        var rng = SplitMix64(seed: 3)
        var s: [Int32] = [], t: [Int32] = []
        for _ in 0..<6000 {
            let group = Int(rng.next() % 20)
            s.append(Int32(group * 50 + Int(rng.next() % 50))); t.append(Int32(group * 50 + Int(rng.next() % 50)))
        }
        for _ in 0..<300 { s.append(Int32(rng.next() % 1000)); t.append(Int32(rng.next() % 1000)) }
        let planted = try Graph.build(nodes: 1000, sources: s, targets: t).0
        let louvain = Clustering.louvain(planted, seed: 2)
        XCTAssertGreaterThan(Clustering.insideShare(planted, louvain), 0.9)
        XCTAssertEqual(Set(louvain).count, 20, "the 20 planted groups")

        // 3-net: centres pairwise at least 3 apart, every node within 2 of its cluster's centre.
        let ws = SyntheticGraph.wattsStrogatz(nodes: 2000, k: 6, rewire: 0.1, seed: 4)
        let g = try Graph.build(nodes: 2000, sources: ws.sources, targets: ws.targets).0
        let net = Clustering.threeNet(g, seed: 5)
        XCTAssertFalse(net.contains(-1))
        func distances(from v: Int) -> [Int] {
            var d = [Int](repeating: .max, count: g.nodes)
            d[v] = 0
            var queue = [v], head = 0
            while head < queue.count {
                let u = queue[head]; head += 1
                for w in g.neighbours(u) where d[Int(w)] == .max { d[Int(w)] = d[u] + 1; queue.append(Int(w)) }
            }
            return d
        }
        let (cluster, list) = Clustering.threeNetWithCentres(g, seed: 5)
        XCTAssertEqual(cluster, net)
        for (c, centre) in list.enumerated() {
            let d = distances(from: centre)
            for v in 0..<g.nodes where cluster[v] == Int32(c) { XCTAssertLessThanOrEqual(d[v], 2, "node \(v) within 2 of its centre") }
        }
        for a in list.prefix(40) {
            let d = distances(from: a)
            for b in list where b != a { XCTAssertGreaterThanOrEqual(d[b], 3) }
        }
        XCTAssertGreaterThan(Clustering.insideShare(g, net), 0.3)
    }
}

extension GraphTests {
    /// The bound on dependent pairs is at least the pairs listed, and equal when no two units share
    /// more than one randomization unit.
    func testDependencePairBound() throws {
        let ws = SyntheticGraph.wattsStrogatz(nodes: 2000, k: 6, rewire: 0.1, seed: 4)
        let g = try Graph.build(nodes: 2000, sources: ws.sources, targets: ws.targets).0
        let clusters = Clustering.louvain(g, seed: 2)
        for unit in [clusters, (0..<Int32(2000)).map { $0 }] {
            let d = Dependence(g, randomizationUnit: unit)
            XCTAssertGreaterThanOrEqual(Dependence.pairBound(g, randomizationUnit: unit), d.pairs)
            XCTAssertGreaterThan(d.pairs, 0)
        }
        // One randomization unit per node and no edges: nobody depends on anybody.
        let isolated = try Graph.build(nodes: 5, sources: [], targets: []).0
        XCTAssertEqual(Dependence.pairBound(isolated, randomizationUnit: [0, 1, 2, 3, 4]), 0)
        XCTAssertEqual(Dependence(isolated, randomizationUnit: [0, 1, 2, 3, 4]).pairs, 0)
        // All in one cluster: every ordered pair.
        XCTAssertEqual(Dependence.pairBound(isolated, randomizationUnit: [0, 0, 0, 0, 0]), 20)
        XCTAssertEqual(Dependence(isolated, randomizationUnit: [0, 0, 0, 0, 0]).pairs, 20)
    }
}
