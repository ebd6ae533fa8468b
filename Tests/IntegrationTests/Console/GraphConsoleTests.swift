import Foundation
import XCTest
import Postgres
import _TestSupport

/// simulate graph, graph and report spillover commands through the built binary.
final class GraphConsoleTests: ConsoleTestCase {
    func testSpilloverWalkthroughInJSONAndHTML() throws {
        let d = directory.path
        let script = """
            simulate graph 2000 --edges \(d)/edges.csv --units \(d)/units.csv --seed 4
            import units \(d)/units.csv
            graph import social \(d)/edges.csv
            graph clusters social --method louvain
            experiment create e --design cluster --clusters social --arms control:50,treatment:50
            experiment start e
            assign e --units \(d)/units.csv
            simulate spillover e --graph social --metric y --direct 0.5 --spillover 1.0
            graph motifs social --experiment e --out \(d)/motifs.csv
            report spillover e --graph social --metric y --html \(d)/spillover.html
            report spillover e --graph social --metric y --interval robust --no-tree
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let documents = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(documents.count, 11, "one object per command")
        let imported = try XCTUnwrap(documents.first { $0["unknown_edges"] != nil })
        XCTAssertEqual(imported["nodes"] as? Int, 2000)
        let clusters = try XCTUnwrap(documents.first { $0["modularity"] != nil })
        XCTAssertGreaterThan(try XCTUnwrap(clusters["inside_share"] as? Double), 0.7)
        let motifs = try XCTUnwrap(documents.first { $0["egos"] != nil })
        XCTAssertEqual(motifs["egos"] as? Int, 2000)
        let report = try XCTUnwrap(documents.dropLast().last)
        XCTAssertEqual(report["exposure"] as? String, "full")
        let effects = try XCTUnwrap(report["effects"] as? [[String: Any]])
        XCTAssertEqual(effects.map { $0["effect"] as? String }, ["direct", "indirect", "total"])
        let total = effects[2]
        let low = try XCTUnwrap(total["low"] as? Double), high = try XCTUnwrap(total["high"] as? Double)
        XCTAssertTrue(low <= 1.5 && 1.5 <= high, "total effect interval \(low)…\(high) covers the planted 1.5")
        // The robust interval is the estimate ± 1.96 robust SEs, narrower than Aronow–Samii's here.
        let robust = try XCTUnwrap((documents.last?["effects"] as? [[String: Any]])?.last)
        XCTAssertEqual((documents.last?["leaves"] as? [Any])?.count, 0, "--no-tree")
        let se = try XCTUnwrap(robust["robust_se"] as? Double), estimate = try XCTUnwrap(robust["hajek"] as? Double)
        XCTAssertEqual(try XCTUnwrap(robust["low"] as? Double), estimate - 1.959964 * se, accuracy: 2e-4)
        XCTAssertLessThan(try XCTUnwrap(robust["high"] as? Double) - (robust["low"] as? Double ?? 0), high - low)
        let page = try String(contentsOfFile: "\(d)/spillover.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<svg") && page.contains("share of neighbours treated") && page.contains("Heterogeneous spillover tree"))
        XCTAssertEqual(try String(contentsOfFile: "\(d)/motifs.csv", encoding: .utf8).split(separator: "\n").count, 2001)
    }

    func testErrorsNameTheProblemAndWriteNothing() throws {
        let d = directory.path
        try "unit,city\nu1,a\nu2,b\n".write(toFile: "\(d)/units.csv", atomically: true, encoding: .utf8)
        try "source,target\nu1,u1\n".write(toFile: "\(d)/unknown.csv", atomically: true, encoding: .utf8)
        try "source,target\nu1,u2\n".write(toFile: "\(d)/edges.csv", atomically: true, encoding: .utf8)
        let script = """
            import units \(d)/units.csv
            graph import g \(d)/unknown.csv
            graph import g \(d)/edges.csv
            graph clusters g --method spectral
            report spillover nope --graph g --metric y
            experiment create e --arms control:50,treatment:50
            report spillover e --graph g --metric y --replicates 50
            report spillover e --graph g --metric y --exposure fraction:0.4
            graph motifs g --experiment e
            """
        let run = try CausewayBinary.run(["--db", url, "-f", "-"], input: script)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr.split(separator: "\n").map(String.init), [
            "causeway:<stdin>:2: ERROR: \(d)/unknown.csv: the graph has no edges left (1 rows: 1 self-loops, 0 duplicates)",
            "causeway:<stdin>:4: ERROR: --method must be 3net or louvain",
            "causeway:<stdin>:5: ERROR: experiment \"nope\" does not exist",
            "causeway:<stdin>:7: ERROR: 50 replicates cannot resolve probabilities near the floor 0.05: replicates × floor must be at least 10 (use --replicates 200 or more)",
            "causeway:<stdin>:8: ERROR: --exposure: fraction:Q needs 0.5 < Q ≤ 1, got 0.4",
            "causeway:<stdin>:9: ERROR: experiment \"e\" is draft; start it and assign units first",
        ])
    }
}
