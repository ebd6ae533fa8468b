import Foundation
import XCTest
import _TestSupport
@testable import Platform
import Postgres
import Randomization
import Uplift

/// The per-arm sums `report lift` reads are kept by the writers (schema 0007). Every way Causeway
/// writes outcomes, assignments and arm_weights must leave them equal to a recomputation from
/// scratch, and the report built on them must equal statistics computed here from the raw rows.
/// Writes from outside (psql) are not followed: `report lift --verify` sees them, `db rebuild-sums`
/// repairs.
final class LiftSumsTests: ExperimentTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]

    /// Per arm of the experiment's current phase: units and each metric's mean, from the raw rows
    /// (a unit's total is the sum of its rows, the maximum for proportions; no rows count 0).
    func rawMeans(_ experiment: String, metrics: [String]) throws -> [String: (units: Int, means: [String: Double])] {
        let c = store.connection
        let e = try ExperimentCatalog.get(experiment, in: store)
        let assigned = try c.query("""
            SELECT unit, arm FROM assignments WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND NOT held_out
            """).decode((String, String).self)
        let kinds = Dictionary(uniqueKeysWithValues: try c.query("SELECT name, kind FROM metrics").decode((String, String).self))
        var totals: [String: [String: Double]] = [:]
        for (unit, metric, value) in try c.query("SELECT unit, metric, value FROM outcomes").decode((String, String, Double).self) {
            let old = totals[metric]?[unit]
            totals[metric, default: [:]][unit] = kinds[metric] == "proportion" ? max(old ?? value, value) : (old ?? 0) + value
        }
        var result: [String: (units: Int, means: [String: Double])] = [:]
        for (unit, arm) in assigned {
            var entry = result[arm] ?? (0, [:])
            entry.units += 1
            for m in metrics { entry.means[m, default: 0] += totals[m]?[unit] ?? 0 }
            result[arm] = entry
        }
        for (arm, entry) in result {
            result[arm] = (entry.units, entry.means.mapValues { $0 / Double(entry.units) })
        }
        return result
    }

    func assertReportMatchesRawRows(_ experiment: String, metrics: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try LiftReport.run(experiment, options: .init(metrics: metrics), in: store)
        let raw = try rawMeans(experiment, metrics: metrics)
        for row in report.rows {
            XCTAssertEqual(row.units, raw[row.arm]?.units ?? 0, "\(row.metric) \(row.arm) units", file: file, line: line)
            XCTAssertEqual(row.mean, raw[row.arm]?.means[row.metric] ?? .nan, accuracy: 1e-9, "\(row.metric) \(row.arm) mean",
                           file: file, line: line)
        }
    }

    func outcomes(_ units: some Sequence<Int>, _ value: (Int) -> Double) throws -> String {
        try csv("unit,value\n" + units.map { "u\($0),\(value($0))" }.joined(separator: "\n") + "\n")
    }

    func testEveryWritePathKeepsTheSumsEqualToARebuild() throws {
        let c = store.connection
        try ExperimentCatalog.create(.init(name: "e", arms: arms), in: store)
        try ExperimentCatalog.start("e", in: store)
        // Outcomes before assignment, then the bulk path, then single assignments.
        try Metrics.importOutcomes(path: try outcomes(0..<150) { Double($0 % 17) * 0.25 }, metric: "revenue", kind: nil, in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<200), in: store)
        for k in 200..<210 { _ = try Assigner.assign("e", unit: "u\(k)", in: store) }
        try assertSumsMatchARebuild("after assignment")

        // Outcomes after assignment: a second batch of a mean metric (totals add up), a covariate,
        // a proportion with repeated rows (totals are maxima), units nobody assigned.
        try Metrics.importOutcomes(path: try outcomes(100..<260) { Double($0 % 5) - 1.5 }, metric: "revenue", kind: nil, in: store)
        try Metrics.importOutcomes(path: try outcomes(0..<220) { Double($0 % 11) }, metric: "pre", kind: nil, in: store)
        try Metrics.importOutcomes(path: try outcomes(stride(from: 0, to: 240, by: 3)) { Double($0 % 2) }, metric: "converted",
                                   kind: .proportion, in: store)
        // Units 3, 9, 15, … converted in the first file too: their total stays 1.
        try Metrics.importOutcomes(path: try outcomes(stride(from: 0, to: 240, by: 3)) { _ in 1 }, metric: "converted", kind: nil, in: store)
        try assertSumsMatchARebuild("after outcome imports")
        try assertReportMatchesRawRows("e", metrics: ["revenue", "pre", "converted"])

        // New weights start a new SRM segment; a held-out unit counts as assigned, not in the stats.
        _ = try ExperimentCatalog.set("e", arms: [Arm(name: "control", weight: 30), Arm(name: "treatment", weight: 70)], coverage: nil,
                                      in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(210..<260), in: store)
        // The universal holdout: a held-out unit counts as assigned (SRM), not in the statistics.
        _ = try HoldoutSettings.set(percent: 20, seed: "h", in: store)
        for k in 300..<330 { _ = try Assigner.assign("e", unit: "u\(k)", in: store) }
        XCTAssertGreaterThan(try count("SELECT count(*) FROM assignments WHERE held_out"), 0)
        try Metrics.importOutcomes(path: try outcomes(290..<340) { Double($0 % 3) }, metric: "revenue", kind: nil, in: store)
        try assertSumsMatchARebuild("after a weight change and held-out units")
        let counts = try ExperimentCatalog.counts(try ExperimentCatalog.get("e", in: store), in: store)
        let rawCounts = try c.query("SELECT arm, count(*) FROM assignments WHERE NOT held_out GROUP BY arm").decode((String, Int).self)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: counts.arms.map { ($0.name, $0.count) }), Dictionary(uniqueKeysWithValues: rawCounts))
        XCTAssertEqual(counts.heldOut, try count("SELECT count(*) FROM assignments WHERE held_out"))
        XCTAssertEqual(counts.sampleRatio?.degreesOfFreedom, 2, "one SRM segment per weight setting, one degree of freedom each")

        // Whatever psql might do is not followed: --verify sees it, rebuild-sums repairs it.
        var verify = LiftReport.Options(metrics: ["revenue"])
        verify.verify = true
        XCTAssertEqual(try LiftReport.run("e", options: verify, in: store).verification?.agree, true)
        try c.execute("UPDATE outcomes SET value = value + 2 WHERE unit IN ('u3', 'u120', 'u121') AND metric = 'revenue'")
        try c.execute("DELETE FROM outcomes WHERE metric = 'converted' AND unit IN ('u0', 'u3', 'u6')")
        try c.execute("UPDATE assignments SET arm = CASE arm WHEN 'control' THEN 'treatment' ELSE 'control' END WHERE unit IN ('u1', 'u2', 'u5')")
        try c.execute("DELETE FROM assignments WHERE unit IN ('u7', 'u8')")
        let seen = try XCTUnwrap(try LiftReport.run("e", options: verify, in: store).verification)
        XCTAssertFalse(seen.agree)
        XCTAssertEqual(Set(seen.mismatches.map(\.table)), ["arm_units", "arm_metric_sums", "arm_metric_products"])
        XCTAssertFalse(try DatabaseAdmin.keptSumsMismatches(store).isEmpty)
        let rebuilt = try DatabaseAdmin.rebuildSums(store)
        XCTAssertEqual(rebuilt.unitTotals, try count("SELECT count(*) FROM (SELECT DISTINCT unit, metric FROM outcomes) t"))
        try assertSumsMatchARebuild("after rebuild-sums")
        XCTAssertEqual(try LiftReport.run("e", options: verify, in: store).verification?.agree, true)
        try assertReportMatchesRawRows("e", metrics: ["revenue", "pre", "converted"])

        // A new phase: its sums start empty; units assigned again count there.
        _ = try ExperimentCatalog.newPhase("e", seed: "second", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<120), in: store)
        try assertSumsMatchARebuild("after a new phase")
        try assertReportMatchesRawRows("e", metrics: ["revenue", "pre"])

        // The simulation and graph paths write with COPY in their own transactions.
        _ = try Simulation.run(setup: .binary, units: 400, name: "sim", seed: 1, in: store)
        try assertSumsMatchARebuild("after simulate units")
        try assertReportMatchesRawRows("sim", metrics: ["y"])

        // A rolled-back import leaves nothing behind.
        let before = try c.query("SELECT coalesce(sum(total), 0)::float8 FROM arm_metric_sums").decodeOne(Double.self)
        let bad = try csv("unit,value\nu1,1000\nu2,oops\n")
        XCTAssertThrowsError(try Metrics.importOutcomes(path: bad, metric: "revenue", kind: nil, in: store))
        XCTAssertEqual(try c.query("SELECT coalesce(sum(total), 0)::float8 FROM arm_metric_sums").decodeOne(Double.self), before)
        try assertSumsMatchARebuild("after a failed import")
    }

    /// An import and an assignment of the same units in two concurrent transactions: whichever
    /// commits second must see the other's rows, or the unit's values would be missing from its arm.
    func testConcurrentImportAndAssignmentDoNotMissEachOther() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: arms), in: store)
        try ExperimentCatalog.start("e", in: store)
        let id = try ExperimentCatalog.get("e", in: store).id
        try store.connection.execute("INSERT INTO metrics (name) VALUES ('revenue')")
        for importFirst in [true, false] {
            let prefix = importFirst ? "a" : "b"
            let importer = try Connection(.url(url)), assigner = try Connection(.url(url))
            // What the writers send (Upkeep): the batch, then the function that writes it and keeps the sums.
            let importRows: [SQLQuery] = [
                "SELECT causeway_prepare_batch()",
                "INSERT INTO causeway_outcome_batch (unit, metric, value) SELECT \(prefix) || g, 'revenue', g FROM generate_series(1, 500) g",
                "SELECT causeway_add_outcomes()",
            ]
            let assignRows: [SQLQuery] = [
                "SELECT causeway_prepare_batch()",
                """
                INSERT INTO causeway_assigned (unit, experiment_id, phase, arm)
                SELECT \(prefix) || g, \(id), 1, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'treatment' END FROM generate_series(1, 500) g
                """,
                "SELECT causeway_add_assignments()",
            ]
            let (first, second) = importFirst ? ((importer, importRows), (assigner, assignRows)) : ((assigner, assignRows), (importer, importRows))
            try first.0.execute("BEGIN")
            for statement in first.1 { try first.0.execute(statement) }
            let done = expectation(description: "second writer")
            let secondConnection = UncheckedBox(second.0), secondQuery = second.1
            DispatchQueue.global().async {
                // Waits on the first transaction's lock, then sees its rows.
                for statement in ["BEGIN"] + secondQuery + ["COMMIT"] { _ = try? secondConnection.value.execute(statement) }
                done.fulfill()
            }
            Thread.sleep(forTimeInterval: 0.3)
            try first.0.execute("COMMIT")
            wait(for: [done], timeout: 30)
            let treated = try store.connection.query("""
                SELECT units, total::float8 FROM arm_metric_sums WHERE experiment_id = \(id) AND arm = 'treatment' AND metric = 'revenue'
                """).decodeOne((Int, Double).self)
            let expectedUnits = importFirst ? 250 : 500, expectedTotal = importFirst ? 62_500.0 : 125_000.0
            XCTAssertEqual(treated.0, expectedUnits, "import first: \(importFirst)")
            XCTAssertEqual(treated.1, expectedTotal, "odd units 1…499 sum to 62,500 per writer pair")
        }
        try assertSumsMatchARebuild("after concurrent writers")
    }
}

/// Moves a connection into the writer thread; the test touches it only after the thread is done.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
