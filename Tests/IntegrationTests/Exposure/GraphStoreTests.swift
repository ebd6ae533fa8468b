import Foundation
import XCTest
import Exposure
@testable import Platform
import Postgres
import Randomization

final class GraphStoreTests: ExperimentTestCase {
    /// Writes a Watts–Strogatz graph's files, imports its units and the graph as "g".
    func smallWorld(nodes: Int, k: Int, seed: UInt64) throws -> (edges: URL, units: URL) {
        let edges = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString)-edges.csv")
        let units = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString)-units.csv")
        files += [edges, units]
        try GraphSimulation.writeGraph(nodes: nodes, k: k, rewire: 0.1, seed: seed, prefix: "m", edgesPath: edges.path, unitsPath: units.path)
        try UnitImport.run(path: units.path, in: store)
        try GraphStore.importCSV(path: edges.path, name: "g", directed: false, in: store)
        return (edges, units)
    }

    func testImportDropsAndCountsAndWritesNothingOnError() throws {
        try UnitImport.run(path: try csv("unit,group\nu1,a\nu2,a\nu3,b\nu4,b\n"), in: store)
        let edges = try csv("source,target\nu1,u2\nu2,u1\nu3,u3\nu1,u9\nu2,u3\nu2,u3\n")
        let r = try GraphStore.importCSV(path: edges, name: "social", directed: false, in: store)
        XCTAssertEqual(r.info.edges, 3, "{u1,u2}, {u1,u9} and {u2,u3}")
        XCTAssertEqual(r.info.nodes, 4)
        XCTAssertEqual(r.info.selfLoops, 1)
        XCTAssertEqual(r.info.duplicates, 2, "u2,u1 after u1,u2 and the second u2,u3")
        XCTAssertEqual(r.info.unknownEdges, 0)
        XCTAssertEqual(r.createdUnits, 1, "u9 came from the edges")
        XCTAssertEqual(try count("SELECT count(*) FROM units WHERE unit = 'u9' AND unit_type = 'user'"), 1)
        XCTAssertEqual(try count("SELECT count(*) FROM graph_edges"), 3)

        let d = try GraphStore.importCSV(path: edges, name: "follows", directed: true, in: store)
        XCTAssertEqual(d.info.edges, 4, "u1→u2, u2→u1, u1→u9, u2→u3")
        XCTAssertEqual(d.info.duplicates, 1)
        XCTAssertEqual(d.createdUnits, 0)

        // Re-importing replaces the graph.
        try GraphStore.importCSV(path: try csv("source,target\nu1,u4\n"), name: "social", directed: false, in: store)
        XCTAssertEqual(try GraphStore.list(in: store).map { "\($0.name):\($0.edges)" }, ["follows:4", "social:1"])
        XCTAssertEqual(try count("SELECT count(*) FROM graph_edges"), 5)

        let loops = try csv("source,target\nu1,u1\nx,x\n")
        XCTAssertThrowsError(try GraphStore.importCSV(path: loops, name: "social", directed: false, in: store)) {
            XCTAssertEqual("\($0)", "\(loops): the graph has no edges left (2 rows: 2 self-loops, 0 duplicates)")
        }
        let empty = try csv("source,target\nu1,\n")
        XCTAssertThrowsError(try GraphStore.importCSV(path: empty, name: "social", directed: false, in: store)) {
            XCTAssertEqual("\($0)", "\(empty):2: field \"target\" is empty")
        }
        // Edges naming units of another type are refused, naming the first such line.
        try UnitImport.run(path: try csv("unit\nshop-1\n"), unitType: "shop", in: store)
        let mixed = try csv("source,target\nu1,new-user\nu2,shop-1\n")
        XCTAssertThrowsError(try GraphStore.importCSV(path: mixed, name: "social", directed: false, in: store)) {
            XCTAssertEqual("\($0)", "\(mixed):3: unit \"shop-1\" is a unit of type \"shop\", not \"user\"; a graph links units of one type")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM graph_edges"), 5, "failed imports write nothing")
        XCTAssertEqual(try count("SELECT count(*) FROM units WHERE unit IN ('x', 'new-user')"), 0, "nor create units")
        XCTAssertEqual(try GraphStore.list(in: store).map { "\($0.name):\($0.edges)" }, ["follows:4", "social:1"])
    }

    /// A user with nothing but an edge list: the graph's units come from it.
    func testABareEdgeListMakesItsUnits() throws {
        let edges = try csv("source,target\na,b\nb,c\nc,a\nc,d\n")
        let r = try GraphStore.importCSV(path: edges, name: "friends", directed: false, in: store)
        XCTAssertEqual(r.createdUnits, 4)
        XCTAssertEqual(r.info.nodes, 4)
        XCTAssertEqual(r.info.edges, 4)
        XCTAssertEqual(try count("SELECT count(*) FROM units WHERE unit_type = 'user'"), 4)
        let again = try GraphStore.importCSV(path: edges, name: "friends", directed: false, in: store)
        XCTAssertEqual(again.createdUnits, 0, "known units are not created twice")
    }

    /// A 400-unit small world: clusters, the motif census through the store against a brute-force
    /// count from the edge file, and the spillover report's refusals.
    func testClustersMotifsAndRefusals() throws {
        let (edgesPath, unitsPath) = try smallWorld(nodes: 400, k: 6, seed: 3)
        let c = try GraphStore.cluster("g", method: .louvain, mapping: nil, seed: 1, in: store)
        XCTAssertEqual(c.units, 400)
        XCTAssertGreaterThan(c.clusters, 3)
        XCTAssertGreaterThan(c.insideShare, 0.6)
        XCTAssertEqual(try count("SELECT count(*) FROM unit_clusters WHERE mapping = 'g'"), 400)
        let net = try GraphStore.cluster("g", method: .threeNet, mapping: "g3", seed: 1, in: store)
        XCTAssertEqual(try count("SELECT count(DISTINCT cluster) FROM unit_clusters WHERE mapping = 'g3'"), net.clusters)

        var d = ExperimentCatalog.Definition(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)])
        d.design = .cluster
        d.parameters.clusters = "g"
        try ExperimentCatalog.create(d, in: store)
        XCTAssertThrowsError(try MotifExport.run(graph: "g", experiment: "e", arm: nil, out: nil, in: store)) {
            XCTAssertEqual("\($0)", "experiment \"e\" is draft; start it and assign units first")
        }
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: unitsPath.path, in: store)

        // The census written through the store equals a brute-force count from the edge file.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString)-motifs.csv")
        files.append(out)
        let m = try MotifExport.run(graph: "g", experiment: "e", arm: nil, out: out.path, in: store)
        XCTAssertEqual(m.egos, 400)
        var arm: [String: Bool] = [:]
        for (unit, a) in try store.connection.query("SELECT unit, arm FROM assignments").decode((String, String).self) { arm[unit] = a == "treatment" }
        var adjacency: [String: Set<String>] = [:]
        for line in try String(contentsOf: edgesPath, encoding: .utf8).split(separator: "\n").dropFirst() {
            let p = line.split(separator: ",").map(String.init)
            guard p[0] != p[1] else { continue }
            adjacency[p[0], default: []].insert(p[1]); adjacency[p[1], default: []].insert(p[0])
        }
        let rows = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first?.split(separator: ",").prefix(11).joined(separator: ","),
                       "unit,arm,degree,treated_neighbours,control_neighbours,closed_0,closed_1,closed_2,open_0,open_1,open_2")
        XCTAssertEqual(rows.count, 401)
        for row in rows.dropFirst() {
            let f = row.split(separator: ",").map(String.init)
            let ego = f[0], alters = Array(adjacency[ego] ?? []).sorted()
            var closed = [0, 0, 0], open = [0, 0, 0]
            for a in 0..<alters.count {
                for b in (a + 1)..<max(a + 1, alters.count) {
                    let t = (arm[alters[a]]! ? 1 : 0) + (arm[alters[b]]! ? 1 : 0)
                    if adjacency[alters[a]]!.contains(alters[b]) { closed[t] += 1 } else { open[t] += 1 }
                }
            }
            let treated = alters.filter { arm[$0]! }.count
            XCTAssertEqual(f[1], arm[ego]! ? "treatment" : "control")
            XCTAssertEqual(f[2...10].map { Int($0)! }, [alters.count, treated, alters.count - treated] + closed + open, ego)
            // The vector: own arm, treated share, then each shape's shares.
            let x = f[11...].map { Double($0)! }
            XCTAssertEqual(x.count, 8)
            XCTAssertEqual(x[0], arm[ego]! ? 1 : 0)
            XCTAssertEqual(x[1], alters.isEmpty ? 0 : Double(treated) / Double(alters.count), accuracy: 1e-5)
            let closedTotal = Double(closed.reduce(0, +)), openTotal = Double(open.reduce(0, +))
            for t in 0..<3 {
                XCTAssertEqual(x[2 + t], closedTotal > 0 ? Double(closed[t]) / closedTotal : 0, accuracy: 1e-5)
                XCTAssertEqual(x[5 + t], openTotal > 0 ? Double(open[t]) / openTotal : 0, accuracy: 1e-5)
            }
        }

        // Refusals.
        try GraphSimulation.plantOutcomes(experiment: "e", graph: "g", metric: "y", base: 1, direct: 0.5, spillover: 1, noise: 1, seed: 1, in: store)
        var o = SpilloverReport.Options(graph: "g", metric: "y")
        o.replicates = 100
        XCTAssertThrowsError(try SpilloverReport.run("e", options: o, in: store)) {
            XCTAssertEqual("\($0)", "100 replicates cannot resolve probabilities near the floor 0.05: replicates × floor must be at least 10 (use replicates 200 or more)")
            XCTAssertEqual(($0 as? PlatformError)?.parameters, [.replicates], "the console says --replicates")
        }
        o.replicates = 200
        o.metric = "nothing"
        XCTAssertThrowsError(try SpilloverReport.run("e", options: o, in: store)) { XCTAssertEqual("\($0)", "there is no metric \"nothing\"") }
        var shops = ExperimentCatalog.Definition(name: "shops", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)])
        shops.unitType = "shop"
        try ExperimentCatalog.create(shops, in: store)
        try ExperimentCatalog.start("shops", in: store)
        o.metric = "y"
        XCTAssertThrowsError(try SpilloverReport.run("shops", options: o, in: store)) {
            XCTAssertEqual("\($0)", "graph \"g\" links units of type \"user\" but experiment \"shops\" randomizes \"shop\"")
        }
        XCTAssertThrowsError(try GraphSimulation.plantOutcomes(experiment: "e", graph: "g", metric: "y", base: 1, direct: 0, spillover: 0,
                                                               noise: 1, seed: 1, in: store)) {
            XCTAssertEqual("\($0)", "metric \"y\" already exists; choose another name")
        }
    }

    /// Cluster randomization on a 3,000-unit small world with planted effects: the total effect's
    /// interval covers direct + spillover, the naive contrast falls short of it, and the tree's
    /// leaves are honest Hájek means.
    func testSpilloverReportRecoversThePlantedTotalEffect() throws {
        let (_, unitsPath) = try smallWorld(nodes: 3000, k: 10, seed: 8)
        try GraphStore.cluster("g", method: .louvain, mapping: nil, seed: 1, in: store)
        var d = ExperimentCatalog.Definition(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)])
        d.design = .cluster
        d.parameters.clusters = "g"
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: unitsPath.path, in: store)
        try GraphSimulation.plantOutcomes(experiment: "e", graph: "g", metric: "y", base: 10, direct: 0.5, spillover: 1, noise: 1, seed: 2, in: store)
        let r = try SpilloverReport.run("e", options: SpilloverReport.Options(graph: "g", metric: "y"), in: store)
        XCTAssertEqual(r.mapping, .full, "full-neighbourhood exposure by default for a cluster design")
        XCTAssertEqual(r.units, 3000)
        let total = try XCTUnwrap(r.estimate.effects.first { $0.name == "total" })
        XCTAssertLessThanOrEqual(total.lower, 1.5)
        XCTAssertGreaterThanOrEqual(total.upper, 1.5)
        XCTAssertEqual(total.hajek, 1.5, accuracy: 4 * total.robustStandardError + 0.02)
        XCTAssertGreaterThan(total.population, 1500)
        XCTAssertLessThan(r.estimate.naive.estimate, 1.5 - 2 * r.estimate.naive.standardError)
        let tree = try XCTUnwrap(r.tree)
        XCTAssertEqual(tree.trainingUnits + tree.estimationUnits, 3000)
        for leaf in tree.leaves where leaf.units > 0 { XCTAssertGreaterThanOrEqual(leaf.minProbability, 0.05) }
        // Every unit of the contrast with a neighbour is in the outcome curve.
        XCTAssertEqual(r.curve.filter { !$0.treated }.map(\.units).reduce(0, +) + r.curve.filter(\.treated).map(\.units).reduce(0, +), 3000)
    }
}
