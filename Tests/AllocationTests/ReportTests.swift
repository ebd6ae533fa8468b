import Foundation
import XCTest
import Stats
@testable import Allocation

final class ReportTests: XCTestCase {
    /// Four units, two arms costing 1 and 3. Unit 3 is a "sure thing": it responds most but the
    /// voucher changes nothing. Unit 4 is in the holdout (not eligible).
    func input(budget: Double, vpc: Double? = nil, profit: Bool = false) -> IncrementalReport.Input {
        //                 unit 1        unit 2        unit 3      unit 4
        let uplift: [Double] = [0.2, 0.3, 0.1, 0.25, 0.0, 0.0, 0.5, 0.9]
        let response: [Double] = [0.3, 0.4, 0.2, 0.35, 0.9, 0.95, 0.6, 1.0]
        let cost: [Double] = [1, 3, 1, 3, 1, 3, 1, 3]
        return IncrementalReport.Input(units: 4, arms: 2, armNames: ["small", "big"], uplift: uplift, cost: cost, response: response,
                                       trueUplift: uplift.map { $0 / 2 }, eligible: [true, true, true, false], budget: budget,
                                       valuePerConversion: vpc, profit: profit)
    }

    func testBaselinesByHand() throws {
        // The policy gives unit 1 the big arm and unit 2 the small one: spend 4, conversions 0.4.
        let r = try IncrementalReport(input(budget: 4, vpc: 10), choice: [1, 0, -1, -1])
        XCTAssertEqual(r.policy.spend, 4)
        XCTAssertEqual(r.policy.conversions, 0.4, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.policy.trueConversions), 0.2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.policy.value), 4, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.policy.roi), 0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.policy.costPerConversion), 10, accuracy: 1e-12)
        // Best first: unit 2's small arm (0.1 per unit of cost) before unit 1's big (0.1 per unit too; cheaper first).
        XCTAssertEqual(r.policy.curve.map(\.spend), [0, 1, 4])
        XCTAssertEqual(r.policy.curve.last!.value, 4, accuracy: 1e-12)

        // Random: mean cost per eligible unit 2, mean uplift (0.25 + 0.175 + 0) = 0.425 in all;
        // all three units cost 6 in expectation, the budget 4 buys two thirds of that.
        XCTAssertEqual(r.random.spend, 4, accuracy: 1e-12)
        XCTAssertEqual(r.random.units, 2, accuracy: 1e-12)
        XCTAssertEqual(r.random.conversions, 0.425 * 2 / 3, accuracy: 1e-12)

        // Response: unit 3 (0.95 with big, cost 3) first, then unit 2 (0.35, big, 3) does not fit,
        // then unit 1 (0.4, big, 3) does not fit: one unit, no incremental conversion.
        let response = try XCTUnwrap(r.response)
        XCTAssertEqual(response.units, 1)
        XCTAssertEqual(response.spend, 3)
        XCTAssertEqual(response.conversions, 0)

        // Single arms: small for all three costs 3 (0.3 conversions); big costs 9, 4/9 of 0.55.
        XCTAssertEqual(r.singleArms[0].conversions, 0.3, accuracy: 1e-12)
        XCTAssertEqual(r.singleArms[0].spend, 3, accuracy: 1e-12)
        XCTAssertEqual(r.singleArms[1].conversions, 0.55 * 4 / 9, accuracy: 1e-12)
        XCTAssertEqual(r.bestSingleArm.name, "small for everyone affordable")

        // On profit, small for all: 3 − 3 = 0 against big: 0.244·10 − 4 < 0.
        let profit = try IncrementalReport(input(budget: 4, vpc: 10, profit: true), choice: [1, 0, -1, -1])
        XCTAssertEqual(profit.bestSingleArm.name, "small for everyone affordable")
        XCTAssertThrowsError(try IncrementalReport(input(budget: -1), choice: [-1, -1, -1, -1]))
        XCTAssertThrowsError(try IncrementalReport(input(budget: 1), choice: [-1]))
    }

    /// The random line is the expectation of the procedure it names: units in random order, each
    /// offered a uniformly drawn arm, taken while the budget lasts. Simulated 4,000 times.
    func testRandomTargetingExpectationMatchesTheProcedure() throws {
        var g = SplitMix64(seed: 11)
        let n = 400, K = 3
        var uplift: [Double] = [], cost: [Double] = []
        for _ in 0..<n {
            for k in 0..<K {
                uplift.append(g.uniform() * 0.1 * Double(k + 1))
                cost.append(Double(k + 1))
            }
        }
        let budget = 150.0
        let r = try IncrementalReport(.init(units: n, arms: K, armNames: ["a", "b", "c"], uplift: uplift, cost: cost,
                                            eligible: Array(repeating: true, count: n), budget: budget), choice: Array(repeating: -1, count: n))
        var total = 0.0, spent = 0.0
        let runs = 4000
        for _ in 0..<runs {
            var order = Array(0..<n)
            order.shuffle(using: &g)
            var left = budget
            for i in order {
                let k = min(K - 1, Int(g.uniform() * Double(K)))
                // Stop at the first offer that no longer fits: the budget is spent.
                guard cost[i * K + k] <= left else { break }
                left -= cost[i * K + k]
                total += uplift[i * K + k]
                spent += cost[i * K + k]
            }
        }
        // The discrete procedure leaves at most one offer's cost unspent; compare per unit of spend.
        XCTAssertEqual(total / spent, r.random.conversions / r.random.spend, accuracy: 0.003)
        XCTAssertEqual(r.random.spend, budget, accuracy: 1e-9)
        XCTAssertEqual(spent / Double(runs), budget, accuracy: 3)
    }

    func testThePolicyCurveIsConcaveAndEndsAtTheTotals() throws {
        var g = SplitMix64(seed: 5)
        let n = 300, K = 2
        let value = (0..<(n * K)).map { _ in g.uniform() }, cost = (0..<(n * K)).map { _ in 0.5 + g.uniform() }
        let p = try AllocationProblem(units: n, arms: K, value: value, cost: cost, budget: 60)
        let a = try Solver.solve(p)
        let r = try IncrementalReport(.init(units: n, arms: K, armNames: ["a", "b"], uplift: value, cost: cost,
                                            eligible: Array(repeating: true, count: n), budget: 60), choice: a.choice)
        XCTAssertEqual(r.policy.conversions, a.certificate.primal, accuracy: 1e-9)
        XCTAssertEqual(r.policy.curve.last!.value, a.certificate.primal, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(r.policy.spend, 60 + 1e-9)
        let slopes = zip(r.policy.curve, r.policy.curve.dropFirst()).map { ($1.value - $0.value) / ($1.spend - $0.spend) }
        XCTAssertEqual(slopes, slopes.sorted(by: >), "best first: slopes never increase")
        XCTAssertGreaterThan(r.policy.conversions, r.random.conversions, "the optimum beats random targeting at the same budget")
        XCTAssertGreaterThanOrEqual(r.policy.conversions, r.bestSingleArm.conversions - 1, "within one unit's value of the LP optimum, which beats any single arm")
        XCTAssertNil(r.response, "no response predictions, no response baseline")
    }
}
