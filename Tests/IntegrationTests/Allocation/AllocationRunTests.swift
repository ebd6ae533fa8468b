import Foundation
import XCTest
import Allocation
import Platform
import Postgres
import Randomization
import _TestSupport

final class AllocationRunTests: ExperimentTestCase {
    func policy(_ extra: String = "", budget: Double = 40) throws -> Policy {
        try Policy.load(path: try csv("""
            name = "p"
            objective = "max_incremental_conversions"
            budget = \(budget)
            \(extra)

            [[arms]]
            name = "small"
            cost = 1

            [[arms]]
            name = "big"
            cost = 3
            cap = 5

            [[segments]]
            attribute = "country"
            value = "FR"
            budget = 10
            """))
    }

    func scoresFile(units: Int, seed: UInt64) throws -> String {
        var g = SeededGenerator(seed: seed)
        var text = "unit,arm,uplift\n"
        for i in 0..<units {
            let base = g.uniform() * 0.2 - 0.04
            text += "u\(i),small,\(base)\nu\(i),big,\(base * 1.5 + 0.01)\n"
        }
        return try csv(text)
    }

    func testHoldoutBudgetsCapsAndExclusionsAreNeverViolated() throws {
        try HoldoutSettings.set(percent: 10, seed: "h", in: store)
        try UnitImport.run(path: try csv("unit,country\n" + (0..<200).map { "u\($0),\($0 % 3 == 0 ? "FR" : "DE")" }.joined(separator: "\n") + "\n"), in: store)
        let holdout = try XCTUnwrap(try HoldoutSettings.current(in: store))
        for seed in UInt64(1)...5 {
            let p = try policy("exclude_units = [\"u1\", \"u2\"]")
            let plan = try AllocationRun.plan(p, scores: try AllocationRun.scores(csv: try scoresFile(units: 200, seed: seed)), on: store.connection)
            let a = try AllocationRun.solve(plan, exact: false)
            var spend = 0.0, spendFR = 0.0, big = 0
            for (i, unit) in plan.units.enumerated() where a.choice[i] >= 0 {
                let k = Int(a.choice[i])
                XCTAssertNotEqual(holdout.group(of: unit), .heldOut, "holdout unit \(unit) got \(p.arms[k].name)")
                XCTAssertFalse(["u1", "u2"].contains(unit), "a listed unit got something")
                let cost = p.arms[k].cost
                spend += cost
                if Int(unit.dropFirst())! % 3 == 0 { spendFR += cost }
                if k == 1 { big += 1 }
            }
            XCTAssertLessThanOrEqual(spend, 40 + 1e-9)
            XCTAssertLessThanOrEqual(spendFR, 10 + 1e-9, "the FR segment budget")
            XCTAssertLessThanOrEqual(big, 5, "the cap on big")
            XCTAssertGreaterThan(plan.heldOut, 0)
            XCTAssertGreaterThan(plan.sleepingDogs, 0, "some units have negative uplift for both arms")
            XCTAssertGreaterThanOrEqual(a.certificate.gap, 0)
        }
    }

    func testProfitAndROIAndExactAgree() throws {
        let p = try policy("value_per_conversion = 40\nmin_incremental_roi = 0.5", budget: 20)
        XCTAssertThrowsError(try policy("objective2 = 1"))
        let plan = try AllocationRun.plan(p, scores: try AllocationRun.scores(csv: try scoresFile(units: 30, seed: 9)), on: store.connection)
        XCTAssertGreaterThan(plan.belowROI, 0)
        let decomposition = try AllocationRun.solve(plan, exact: false), exact = try AllocationRun.solve(plan, exact: true)
        XCTAssertLessThanOrEqual(decomposition.certificate.primal, exact.certificate.primal + 1e-9)
        XCTAssertGreaterThanOrEqual(decomposition.certificate.dualBound, exact.certificate.primal - 1e-9, "the bound is a bound")
    }

    func testBadScores() throws {
        let p = try policy()
        let missingArm = try csv("unit,arm,uplift\nu1,small,0.1\n")
        XCTAssertThrowsError(try AllocationRun.plan(p, scores: try AllocationRun.scores(csv: missingArm), on: store.connection)) {
            XCTAssertEqual("\($0)", "policy p: arm \"big\" not in the scores (they have small)")
        }
        let nan = try csv("unit,arm,uplift\nu1,small,NaN\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: nan)) { XCTAssertEqual("\($0)", "\(nan):2: field \"uplift\" is \"NaN\", not a finite number") }
        let gap = try csv("unit,arm,uplift\nu1,small,0.1\nu2,big,0.2\nu1,big,0.1\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: gap)) { XCTAssertEqual("\($0)", "\(gap): unit \"u2\" has no uplift for arm \"small\"") }
        let negative = try csv("unit,arm,uplift,cost\nu1,small,0.1,-1\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: negative)) {
            XCTAssertEqual("\($0)", "\(negative):2: field \"cost\" is \"-1\"; costs must be numbers at least 0")
        }
    }

    func testRunsAreStoredWholeAndConcurrentRunsFailClearly() throws {
        let p = try policy()
        let plan = try AllocationRun.plan(p, scores: try AllocationRun.scores(csv: try scoresFile(units: 100, seed: 4)), on: store.connection)
        let a = try AllocationRun.solve(plan, exact: false)
        let run = try AllocationRun.store(plan, a, source: "test", in: store)
        XCTAssertEqual(run.treated, a.choice.filter { $0 >= 0 }.count)
        XCTAssertEqual(try count("SELECT count(*) FROM allocations WHERE run_id = \(run.id)"), run.treated)
        XCTAssertEqual(run.value, a.certificate.primal, accuracy: 1e-9)
        XCTAssertEqual(run.arms.reduce(0) { $0 + $1.spend }, run.spend, accuracy: 1e-9)
        XCTAssertEqual(try AllocationRun.show(run.id, in: store).gap, a.certificate.gap, accuracy: 1e-12)

        // Another writer of the same policy holds the lock: this run fails and writes nothing.
        let other = try Connection(.url(try TestDatabase.replacingDatabase(in: TestDatabase.url(), with: database)))
        try other.execute("BEGIN")
        try other.execute("SELECT pg_advisory_xact_lock(hashtext('allocate:p'))")
        XCTAssertThrowsError(try AllocationRun.store(plan, a, source: "test", in: store)) { error in
            XCTAssertEqual("\(error)", "another allocation of policy p is being written; try again when it ends")
        }
        try other.execute("ROLLBACK")
        XCTAssertEqual(try count("SELECT count(*) FROM allocation_runs"), 1)
        XCTAssertThrowsError(try AllocationRun.show(99, in: store)) { XCTAssertEqual("\($0)", "allocation run 99 does not exist") }
    }
}
