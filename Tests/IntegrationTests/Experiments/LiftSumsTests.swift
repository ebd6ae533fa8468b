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

/// The paths taken only by large batches: a metric's first import copied straight into its new
/// partition, a large addition that rewrites the metric's totals and sums, and bulk assignment's
/// optimistic pass in several sorted runs. Each must leave what a rebuild computes.
final class LargeBatchTests: ExperimentTestCase {
    func outcomes(_ units: some Sequence<Int>, _ value: (Int) -> Double) throws -> String {
        try csv("unit,value\n" + units.map { "u\($0),\(value($0))" }.joined(separator: "\n") + "\n")
    }

    func testLargeAdditionsRewriteTheMetricAndKeepTheSums() throws {
        let c = store.connection
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<70_000), in: store)
        // A small second metric, for the products.
        try Metrics.importOutcomes(path: try outcomes(0..<2_000) { Double($0 % 7) }, metric: "pre", kind: nil, in: store)
        let first = try Metrics.importOutcomes(path: try outcomes(0..<60_000) { Double($0 % 13) * 0.5 }, metric: "revenue", kind: nil, in: store)
        XCTAssertEqual(first.units, 60_000)
        try assertSumsMatchARebuild("after a first import copied into its partition")
        // 60,000 rows onto 60,000 units: half of them new, some not assigned; the totals are rewritten
        // (a new table takes the partition's place).
        let id = try count("SELECT id FROM metrics WHERE name = 'revenue'")
        let partition: SQLQuery = "SELECT \("unit_totals_m\(id)")::regclass::oid::int8"
        let before = try count(partition)
        let more = try Metrics.importOutcomes(path: try outcomes(30_000..<90_000) { Double($0 % 5) - 1 }, metric: "revenue", kind: nil, in: store)
        XCTAssertEqual(more.units, 60_000)
        XCTAssertEqual(try count("SELECT units FROM metric_units WHERE metric = 'revenue'"), 90_000)
        XCTAssertNotEqual(try count(partition), before)
        try assertSumsMatchARebuild("after a large addition")
        // Twice: the swapped-in table's names must not collide with the next rewrite's.
        try Metrics.importOutcomes(path: try outcomes(0..<60_000) { _ in 2 }, metric: "revenue", kind: nil, in: store)
        try assertSumsMatchARebuild("after a second large addition")
        XCTAssertEqual(try c.query("SELECT conname FROM pg_constraint WHERE conrelid = \("unit_totals_m\(id)")::regclass AND contype = 'p'")
                        .decodeOne(String.self), "unit_totals_m\(id)_pkey")
        XCTAssertEqual(try count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'unit_totals'::regclass"), 2)
        XCTAssertEqual(try count("SELECT count(*) FROM pg_class WHERE relname LIKE 'causeway_new_totals%'"), 0)
        // A proportion's large addition keeps maxima.
        try Metrics.importOutcomes(path: try outcomes(0..<60_000) { Double($0 % 2) }, metric: "converted", kind: .proportion, in: store)
        try Metrics.importOutcomes(path: try outcomes(20_000..<80_000) { Double(($0 / 2) % 2) }, metric: "converted", kind: nil, in: store)
        try assertSumsMatchARebuild("after a proportion's large addition")
        XCTAssertEqual(try count("SELECT count(*) FROM unit_totals WHERE metric = 'converted' AND value = 1"),
                       try count("SELECT count(DISTINCT unit) FROM outcomes WHERE metric = 'converted' AND value = 1"))
        // The report on the rewritten totals equals the raw rows' means.
        let report = try LiftReport.run("e", options: .init(metrics: ["revenue", "converted"]), in: store)
        let raw = try c.query("""
            SELECT a.arm, o.metric, sum(o.value)::float8 FROM assignments a JOIN outcomes o ON o.unit = a.unit AND o.metric = 'revenue'
            WHERE a.experiment_id = (SELECT id FROM experiments WHERE name = 'e') GROUP BY 1, 2
            """).decode((String, String, Double).self)
        for (arm, metric, total) in raw {
            let row = try XCTUnwrap(report.rows.first { $0.arm == arm && $0.metric == metric })
            XCTAssertEqual(row.mean * Double(row.units), total, accuracy: 1e-6)
        }
    }

    /// Outcomes first, then a bulk assignment that is most of its phase: the phase's sums are
    /// computed again from all its assignments (held-out units and cross-products included); a
    /// small one after it adds its rows' totals. Both equal a rebuild.
    func testAssignmentsAfterOutcomesKeepTheSums() throws {
        try Metrics.importOutcomes(path: try outcomes(0..<3_000) { Double($0 % 9) }, metric: "revenue", kind: nil, in: store)
        try Metrics.importOutcomes(path: try outcomes(stride(from: 0, to: 3_000, by: 2)) { Double($0 % 4 == 0 ? 1 : 0) },
                                   metric: "converted", kind: .proportion, in: store)
        _ = try HoldoutSettings.set(percent: 10, seed: "h", in: store)
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        let first = try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<2_000), in: store)
        XCTAssertGreaterThan(first.heldOut, 0)
        try assertSumsMatchARebuild("after a first bulk assignment of units with totals")
        XCTAssertGreaterThan(try count("SELECT count(*) FROM arm_metric_products"), 0)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(2_000..<2_300), in: store)
        try assertSumsMatchARebuild("after a small one")
        let report = try LiftReport.run("e", options: .init(metrics: ["revenue", "converted"]), in: store)
        // Two metrics, each row an arm's units: every unit not held out, twice.
        XCTAssertEqual(report.rows.map(\.units).reduce(0, +), 2 * (try count("SELECT count(*) FROM assignments WHERE NOT held_out")))
    }

    /// Units outside the experiment repeated across sorted runs are counted once (by the server),
    /// as in one run; the same rows are stored.
    func testRepeatsAcrossRunsCountOnce() throws {
        var definition = ExperimentCatalog.Definition(name: "runs", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)])
        definition.seed = "shared"
        definition.coverage = 0.6
        try ExperimentCatalog.create(definition, in: store)
        definition.name = "one"
        try ExperimentCatalog.create(definition, in: store)
        try ExperimentCatalog.start("runs", in: store)
        try ExperimentCatalog.start("one", in: store)
        let ids = (0..<500).map { "u\($0 % 350)" } // 150 units twice, far apart
        let file = try csv("unit\n" + ids.joined(separator: "\n") + "\n")
        let split = try Assigner.assignBulk("runs", source: .file(file), runLength: 64, in: store)
        let whole = try Assigner.assignBulk("one", source: .file(file), in: store)
        XCTAssertEqual(split.notInExperiment, whole.notInExperiment)
        XCTAssertGreaterThan(whole.notInExperiment, 0)
        XCTAssertEqual(split.new, whole.new)
        XCTAssertEqual(split.new + split.notInExperiment, 350)
        XCTAssertEqual(split.arms.map(\.count), whole.arms.map(\.count))
        // Repeats inside the experiment break the primary key: the careful pass again, same counts.
        try ExperimentCatalog.create(.init(name: "full", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)]), in: store)
        try ExperimentCatalog.start("full", in: store)
        let full = try Assigner.assignBulk("full", source: .file(file), runLength: 64, in: store)
        XCTAssertEqual(full.new, 350)
        XCTAssertEqual(full.existing, 0)
        // Stored units late in a file whose head is new: the optimistic pass fails on the key and
        // gives way; the stored keep their arm.
        try ExperimentCatalog.create(.init(name: "late", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)]), in: store)
        try ExperimentCatalog.start("late", in: store)
        let early = try Assigner.assignBulk("late", unitsFile: try unitsFile(2_000..<2_100), in: store)
        let mixed = try Assigner.assignBulk("late", source: .file(try unitsFile(0..<2_100)), runLength: 500, in: store)
        XCTAssertEqual(mixed.existing, 100)
        XCTAssertEqual(mixed.new, 2_000)
        XCTAssertEqual(mixed.arms.map(\.count).reduce(0, +), 2_100)
        XCTAssertEqual(try count("SELECT count(*) FROM assignments a JOIN experiments e ON e.id = a.experiment_id WHERE e.name = 'late'"), 2_100)
        XCTAssertEqual(early.new, 100)
        try assertSumsMatchARebuild("after assignments in runs")
    }
}
