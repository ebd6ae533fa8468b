import Allocation
import Stats
import XCTest

/// The policy model's arithmetic, each expectation worked out by hand in the comment beside it.
final class PolicyTests: XCTestCase {
    func policy(_ objective: Policy.Objective = .maxIncrementalProfit, minROI: Double? = nil, exclude: Bool = true) -> Policy {
        Policy(name: "p", objective: objective, budget: 10, valuePerConversion: 40, minIncrementalROI: minROI,
               excludeNegativeUplift: exclude,
               arms: [Policy.Arm(name: "small", cost: 1, costSource: "cost 1"), Policy.Arm(name: "big", cost: 4, costSource: "cost 4", cap: 1)],
               segments: [Policy.Segment(attribute: "country", value: "FR", budget: 3)])
    }

    func testObjectiveValueAndMinimumROI() {
        let profit = policy()
        XCTAssertEqual(profit.objectiveValue(uplift: 0.1, cost: 1), 3)            // 0.1 × 40 − 1
        XCTAssertEqual(policy(.maxIncrementalConversions).objectiveValue(uplift: 0.1, cost: 1), 0.1)
        let roi = policy(minROI: 1)
        XCTAssertTrue(roi.meetsMinimumROI(uplift: 0.05, cost: 1))               // (2 − 1) / 1 = 1
        XCTAssertFalse(roi.meetsMinimumROI(uplift: 0.04, cost: 1))              // (1.6 − 1) / 1 = 0.6
        XCTAssertTrue(roi.meetsMinimumROI(uplift: -1, cost: 0), "free options have no ROI to meet")
    }

    func testInstanceExcludesBlockedUnitsSleepingDogsAndOptionsBelowTheROI() throws {
        // unit 0: fine; unit 1: blocked (holdout); unit 2: negative for both arms (a sleeping dog);
        // unit 3: its small option's ROI is (0.02 × 40 − 1) / 1 = −0.2 < 0, its big option costs 6 here.
        let uplift: [[Double]] = [[0.1, 0.2, -0.1, 0.02], [0.3, 0.4, -0.2, 0.5]]
        let cost: [[Double]] = [[.nan, .nan, .nan, .nan], [.nan, .nan, .nan, 6]]
        let i = try policy(minROI: 0).instance(uplift: uplift, cost: cost, segment: [0, -1, -1, 0], blocked: [false, true, false, false])
        let v = i.problem.value, c = i.problem.cost
        XCTAssertEqual(Array(v[0..<2]), [3, 8])                                  // 0.1 × 40 − 1, 0.3 × 40 − 4
        XCTAssertEqual(Array(v[2..<6]), [-.infinity, -.infinity, -.infinity, -.infinity])
        XCTAssertEqual(v[6], -.infinity)                                         // small for unit 3: ROI −0.2
        XCTAssertEqual(v[7], 14)                                                 // 0.5 × 40 − 6
        XCTAssertEqual(c, [1, 4, 1, 4, 1, 4, 1, 6], "the policy's cost unless the scores give one")
        XCTAssertEqual(i.sleepingDogs, 1)
        XCTAssertEqual(i.belowROI, 1)
        XCTAssertEqual(i.problem.budget, 10)
        XCTAssertEqual(i.problem.segmentBudgets, [3])
        XCTAssertEqual(i.problem.armCaps, [nil, 1])

        let keep = try policy(exclude: false).instance(uplift: uplift, cost: cost, segment: [0, -1, -1, 0], blocked: [false, true, false, false])
        XCTAssertEqual(keep.sleepingDogs, 0)
        XCTAssertEqual(Array(keep.problem.value[4..<6]), [-5, -12], "without the exclusion a sleeping dog's options are priced")
    }

    func testObjectiveValuesIgnoreExclusionsAndTallyAddsTheChosenOptions() {
        let values = policy().objectiveValues(uplift: [[0.1, .nan], [0.3, -0.2]], cost: [1, 4, 1, 4])
        XCTAssertEqual(values, [3, 8, 0, -12])                                   // NaN uplift is worth 0
        let t = AllocationProblem.tally([1, -1, 0], arms: 2, cost: [1, 4, 1, 4, 1, 4], value: [3, 8, 0, 0, 2, 5])
        XCTAssertEqual(t.units, 2)
        XCTAssertEqual(t.spend, 5)                                               // 4 + 1
        XCTAssertEqual(t.value, 10)                                              // 8 + 2
    }

    func testHalvedPolicyHalvesEveryBudgetAndCap() {
        let half = policy().halved()
        XCTAssertEqual(half.budget, 5)
        XCTAssertEqual(half.segments.map(\.budget), [1.5])
        XCTAssertEqual(half.arms.map(\.cap), [nil, 0])                           // 1 / 2 rounds down
    }

    func testRandomTargetingRespectsEveryRowAndOnlyEligibleUnits() throws {
        var g = SplitMix64(seed: 3)
        let n = 300, K = 2
        let cost = (0..<(n * K)).map { $0 % K == 0 ? 1.0 : 3.0 }
        let segment = (0..<n).map { Int32($0 % 3 == 0 ? 0 : -1) }
        let p = try AllocationProblem(units: n, arms: K, value: (0..<(n * K)).map { _ in g.uniform() }, cost: cost, segment: segment,
                                      budget: 60, segmentBudgets: [12], armCaps: [nil, 8])
        let eligible = (0..<n).map { $0 % 5 != 0 }
        let choice = RandomTargeting.choose(p, eligible: eligible, seed: 9)
        XCTAssertEqual(choice, RandomTargeting.choose(p, eligible: eligible, seed: 9), "seeded")
        XCTAssertNotEqual(choice, RandomTargeting.choose(p, eligible: eligible, seed: 10))
        for i in 0..<n where !eligible[i] { XCTAssertEqual(choice[i], -1) }
        var spend = 0.0, segmentSpend = 0.0, big = 0
        for i in 0..<n where choice[i] >= 0 {
            let c = cost[i * K + Int(choice[i])]
            spend += c
            if segment[i] == 0 { segmentSpend += c }
            if choice[i] == 1 { big += 1 }
        }
        XCTAssertLessThanOrEqual(spend, 60)
        XCTAssertGreaterThan(spend, 55, "it keeps offering until the budget is nearly spent")
        XCTAssertLessThanOrEqual(segmentSpend, 12)
        XCTAssertLessThanOrEqual(big, 8)
    }

    func testErrorsCarryTheirCode() throws {
        let p = try AllocationProblem(units: 3, arms: 1, value: [1, 2, 3], cost: [1, 1, 1], budget: 1)
        XCTAssertThrowsError(try ExactSolver.lpOptimum(p, limit: 2)) { XCTAssertEqual(($0 as? AllocationError)?.code, .tooLarge) }
        XCTAssertThrowsError(try AllocationProblem(units: 1, arms: 1, value: [.nan], cost: [1])) {
            XCTAssertEqual(($0 as? AllocationError)?.code, .invalidProblem)
        }
    }
}
