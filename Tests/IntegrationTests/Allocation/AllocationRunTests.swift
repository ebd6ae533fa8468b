import Foundation
import XCTest
import Allocation
@testable import Platform
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
            // The certificate's bound is at least the LP optimum GLPK finds on the same problem.
            XCTAssertGreaterThanOrEqual(a.certificate.dualBound, try ExactSolver.lpOptimum(plan.problem) - 1e-7)
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
        let run = try store.connection.transaction { try AllocationRun.write(plan, a, source: "test", report: nil, on: $0) }
        XCTAssertEqual(run.treated, a.choice.filter { $0 >= 0 }.count)
        XCTAssertEqual(try count("SELECT count(*) FROM allocations WHERE run_id = \(run.id)"), run.treated)
        XCTAssertEqual(run.value, a.certificate.primal, accuracy: 1e-9)
        XCTAssertEqual(run.arms.reduce(0) { $0 + $1.spend }, run.spend, accuracy: 1e-9)
        XCTAssertEqual(try AllocationRun.show(run.id, in: store).gap, a.certificate.gap, accuracy: 1e-12)

        // Another writer of the same policy holds the lock: this run fails and writes nothing.
        let other = try Connection(.url(try TestDatabase.replacingDatabase(in: TestDatabase.url(), with: database)))
        try other.execute("BEGIN")
        try other.execute("SELECT pg_advisory_xact_lock(hashtext('allocate:p'))")
        XCTAssertThrowsError(try store.connection.transaction { try AllocationRun.write(plan, a, source: "test", report: nil, on: $0) }) { error in
            XCTAssertEqual("\(error)", "another allocation of policy p is being written; try again when it ends")
        }
        try other.execute("ROLLBACK")
        XCTAssertEqual(try count("SELECT count(*) FROM allocation_runs"), 1)
        XCTAssertThrowsError(try AllocationRun.show(99, in: store)) { XCTAssertEqual("\($0)", "allocation run 99 does not exist") }
    }

    func scoresWithResponse(units: Int, seed: UInt64) throws -> String {
        var g = SeededGenerator(seed: seed)
        var text = "unit,arm,uplift,response\n"
        for i in 0..<units {
            let base = g.uniform() * 0.2 - 0.04, p0 = g.uniform() * 0.6
            text += "u\(i),small,\(base),\(p0 + base)\nu\(i),big,\(base * 1.5 + 0.01),\(p0 + base * 1.5 + 0.01)\n"
        }
        return try csv(text)
    }

    func testTheReportIsStoredWithTheRun() throws {
        try HoldoutSettings.set(percent: 10, seed: "h", in: store)
        let p = try policy("value_per_conversion = 20")
        let scores = try AllocationRun.scores(csv: try scoresWithResponse(units: 150, seed: 2))
        XCTAssertNotNil(scores.response)
        let plan = try AllocationRun.plan(p, scores: scores, on: store.connection)
        let a = try AllocationRun.solve(plan, exact: false)
        let report = try AllocationRun.report(plan, scores: scores, allocation: a)
        XCTAssertEqual(report.comparison.lines.map(\.name).prefix(3), ["uplift policy", "random targeting", "highest predicted response"])
        XCTAssertEqual(report.comparison.lines.count, 4)
        XCTAssertEqual(report.comparison.policy.conversions, a.certificate.primal, accuracy: 1e-9, "conversions objective: value = Σ uplift")
        // Baselines never reach the holdout: the eligible units are the plan's non-held-out ones.
        XCTAssertEqual(plan.eligible.filter { !$0 }.count, plan.heldOut)
        XCTAssertEqual(report.comparison.random.spend, 40, accuracy: 1e-9, "random targeting spends the policy's budget")
        XCTAssertEqual(report.cells.reduce(0) { $0 + $1.units }, a.choice.filter { $0 >= 0 }.count)
        XCTAssertEqual(report.cells.reduce(0) { $0 + $1.spend }, a.totals(plan.problem).used[0], accuracy: 1e-9)
        XCTAssertEqual(Set(report.cells.map(\.segment)).subtracting(["country=FR", "other"]), [])
        let run = try store.connection.transaction { try AllocationRun.write(plan, a, source: "test", report: report.summary, on: $0) }
        XCTAssertEqual(try AllocationRun.show(run.id, in: store).report, report.summary, "the stored report reads back")
    }

    func testAPolicyExperimentSplitsTheBudgetAndRespectsTheHoldout() throws {
        try HoldoutSettings.set(percent: 10, seed: "h", in: store)
        try UnitImport.run(path: try csv("unit,country\n" + (0..<400).map { "u\($0),\($0 % 3 == 0 ? "FR" : "DE")" }.joined(separator: "\n") + "\n"), in: store)
        let p = try policy()
        let scores = try AllocationRun.scores(csv: try scoresWithResponse(units: 400, seed: 3))
        let e = try store.connection.transaction { try AllocationRun.policyExperiment("eval", policy: p, scores: scores, source: "test", exact: false, seed: 7, on: $0) }
        XCTAssertGreaterThan(e.units.heldOut, 0)
        XCTAssertEqual(e.units.random + e.units.uplift + e.units.heldOut, 400)
        // Each half spends at most half of every budget and cap.
        for arm in ["random-policy", "uplift-policy"] {
            let spend = try store.connection.query("""
                SELECT coalesce(sum(l.cost), 0), coalesce(sum(l.cost) FILTER (WHERE u.attributes->>'country' = 'FR'), 0),
                       count(*) FILTER (WHERE l.arm = 'big')::int
                FROM allocations l JOIN assignments s ON s.unit = l.unit JOIN experiments x ON x.id = s.experiment_id AND x.name = 'eval'
                JOIN units u ON u.unit = l.unit
                WHERE l.run_id = \(e.run.id) AND s.arm = \(arm)
                """).decodeOne((Double, Double, Int).self)
            XCTAssertLessThanOrEqual(spend.0, 20 + 1e-9, arm)
            XCTAssertLessThanOrEqual(spend.1, 5 + 1e-9, "\(arm): the FR budget, halved")
            XCTAssertLessThanOrEqual(spend.2, 2, "\(arm): the cap of 5, halved and rounded down")
            XCTAssertGreaterThan(spend.0, 15, "\(arm) spends its half")
        }
        XCTAssertEqual(try count("""
            SELECT count(*) FROM allocations l WHERE l.run_id = \(e.run.id) AND NOT EXISTS (
                SELECT 1 FROM assignments s JOIN experiments x ON x.id = s.experiment_id
                WHERE x.name = 'eval' AND s.unit = l.unit AND s.arm IS NOT NULL)
            """), 0, "only units assigned to a policy arm get anything: the holdout gets nothing")
        XCTAssertEqual(e.uplift.conversions, e.allocation.certificate.primal, accuracy: 1e-9)
        XCTAssertGreaterThan(e.uplift.conversions, e.random.conversions, "the uplift policy beats random targeting on predictions")
        XCTAssertEqual(try AllocationRun.show(e.run.id, in: store).experiment, "eval")

        // Outcomes for the experiment's units: report lift reads them with the random policy as reference.
        let outcomes = "unit,value\n" + (0..<400).map { "u\($0),\($0 % 4 == 0 ? 1 : 0)" }.joined(separator: "\n") + "\n"
        _ = try Metrics.importOutcomes(path: try csv(outcomes), metric: "bought", kind: .proportion, in: store)
        let lift = try LiftReport.run("eval", options: .init(metrics: ["bought"]), in: store)
        XCTAssertEqual(lift.rows.map(\.arm), ["random-policy", "uplift-policy"])
        XCTAssertEqual(lift.rows.map(\.units).reduce(0, +), e.units.random + e.units.uplift)

        // A second experiment of the same name writes nothing.
        let runs = try count("SELECT count(*) FROM allocation_runs")
        XCTAssertThrowsError(try store.connection.transaction { try AllocationRun.policyExperiment("eval", policy: p, scores: scores, source: "test", exact: false, seed: 7, on: $0) }) {
            XCTAssertEqual("\($0)", "experiment \"eval\" already exists")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM allocation_runs"), runs)
    }
}
