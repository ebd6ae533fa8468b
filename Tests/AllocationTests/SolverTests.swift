import Foundation
import XCTest
import Stats
@testable import Allocation

final class SolverTests: XCTestCase {
    /// Fixtures/knapsack.md (copied from the shared vectors): five users, arms costing 1 and 2, one budget.
    func knapsack(budget: Double) throws -> AllocationProblem {
        let tau: [[Double]] = [[0.05, 0.08], [0.02, 0.07], [0.04, 0.05], [0.01, 0.03], [0.06, 0.06]]
        return try AllocationProblem(units: 5, arms: 2, value: tau.flatMap { $0 }, cost: Array(repeating: [1, 2], count: 5).flatMap { $0 },
                                     budget: budget)
    }

    func testTheKnapsackVector() throws {
        for (budget, lp, integer) in [(1.0, 0.06, 0.06), (2, 0.11, 0.11), (3.5, 0.1675, 0.15), (5, 0.22, 0.22)] {
            let p = try knapsack(budget: budget)
            let a = try Solver.solve(p)
            XCTAssertEqual(try XCTUnwrap(a.certificate.lpOptimum), lp, accuracy: 1e-12, "B = \(budget): LP optimum")
            XCTAssertEqual(a.certificate.primal, integer, accuracy: 1e-12, "B = \(budget): integral value")
            XCTAssertEqual(try ExactSolver.lpOptimum(p), lp, accuracy: 1e-9, "GLPK's LP agrees")
            XCTAssertEqual(try ExactSolver.solve(p).certificate.primal, integer, accuracy: 1e-9, "GLPK's MIP agrees")
            XCTAssertLessThanOrEqual(a.totals(p).used[0], budget + 1e-12)
        }
        let a = try Solver.solve(try knapsack(budget: 3.5))
        XCTAssertEqual(a.certificate.multipliers, [0.035], "λ* is the fractional step's efficiency")
    }

    /// Random instances: ≤ 12 units, ≤ 4 arms, 1–3 coupling rows.
    func randomProblem(_ g: inout SplitMix64) throws -> AllocationProblem {
        let n = 3 + Int(g.next() % 10), K = 1 + Int(g.next() % 4)
        var value: [Double] = [], cost: [Double] = []
        for _ in 0..<n {
            for _ in 0..<K {
                value.append(g.uniform() < 0.1 ? -Double.infinity : (g.uniform() - 0.15) * 10)
                cost.append((g.uniform() * 5).rounded() / 2)
            }
        }
        let kind = g.next() % 3
        let segments = kind >= 1 ? 2 : 0
        let segment: [Int32] = (0..<n).map { _ in segments > 0 ? Int32(g.next() % 3) - 1 : -1 }
        let totalCost = cost.reduce(0, +)
        var caps: [Double?] = Array(repeating: nil, count: K)
        if kind == 2 { caps[0] = Double(g.next() % 4) }
        return try AllocationProblem(units: n, arms: K, value: value, cost: cost, segment: segment,
                                     budget: g.uniform() < 0.8 ? totalCost * g.uniform() * 0.5 : nil,
                                     segmentBudgets: (0..<segments).map { _ in totalCost * g.uniform() * 0.3 }, armCaps: caps)
    }

    func testDecompositionAgainstGLPKOnRandomInstances() throws {
        var g = SplitMix64(seed: 77)
        for trial in 0..<300 {
            let p = try randomProblem(&g)
            let a = try Solver.solve(p)
            let lp = try ExactSolver.lpOptimum(p)
            let mip = try ExactSolver.solve(p)
            let c = a.certificate
            // The certificate never lies: the dual bound is at least the LP optimum, which is at least the MIP optimum.
            XCTAssertGreaterThanOrEqual(c.dualBound, lp - 1e-7, "trial \(trial): dual bound below the LP optimum")
            // The certified gap covers the true distance to the LP optimum GLPK computes independently.
            let scale = max(abs(c.dualBound), 1e-12)
            XCTAssertGreaterThanOrEqual(c.gap, (lp - c.primal) / scale - 1e-7, "trial \(trial): the gap understates the distance to the LP optimum")
            XCTAssertLessThanOrEqual(c.primal, mip.certificate.primal + 1e-7, "trial \(trial): better than the integer optimum?")
            XCTAssertEqual(a.totals(p).value, c.primal, accuracy: 1e-9, "trial \(trial): the certificate's primal is the allocation's value")
            if let exact = c.lpOptimum { XCTAssertEqual(exact, lp, accuracy: 1e-7, "trial \(trial): greedy LP optimum") }
            if c.gap > 1e-4 {
                // Not stopped early by a good enough allocation: the cutting planes reached the LP optimum.
                // Stopped when the model saw less than tolerance/10 (1e-5) of decrease left.
                XCTAssertEqual(c.dualBound, lp, accuracy: 2e-5 * max(1, abs(lp)), "trial \(trial): the decomposition's value is the LP's")
            }
            // Rounded value within one unit's best value of the MIP optimum.
            let bestSingle = (0..<p.units).map { i in (0..<p.arms).map { p.value[i * p.arms + $0] }.max()! }.max()!
            XCTAssertGreaterThanOrEqual(c.primal, mip.certificate.primal - max(bestSingle, 0) - 1e-7, "trial \(trial): rounding lost too much")
            // Feasible: no row over its limit, no excluded option.
            for (r, used) in a.totals(p).used.enumerated() {
                XCTAssertLessThanOrEqual(used, p.limit(p.rows[r]) + 1e-9, "trial \(trial): row \(p.rows[r]) exceeded")
            }
            for i in 0..<p.units where a.choice[i] >= 0 {
                XCTAssertGreaterThan(p.value[i * p.arms + Int(a.choice[i])], -Double.infinity, "trial \(trial): an excluded option")
            }
        }
    }

    func testTheDecompositionConvergesToTheLPOnLargerInstances() throws {
        var g = SplitMix64(seed: 5)
        let n = 2_000, K = 3
        var value: [Double] = [], cost: [Double] = []
        for _ in 0..<n {
            let base = g.uniform()
            for k in 0..<K { value.append(base * Double(k + 1) * (0.6 + 0.8 * g.uniform())); cost.append(Double(k + 1)) }
        }
        let p = try AllocationProblem(units: n, arms: K, value: value, cost: cost, segment: (0..<n).map { Int32($0 % 3) - 1 },
                                      budget: 1_500, segmentBudgets: [400, 300], armCaps: [nil, 200, 150])
        let a = try Solver.solve(p)
        XCTAssertLessThanOrEqual(a.certificate.gap, 1e-3, "\(a.certificate)")
        XCTAssertGreaterThanOrEqual(a.certificate.dualBound, try ExactSolver.lpOptimum(p) - 1e-6)
        for (r, used) in a.totals(p).used.enumerated() { XCTAssertLessThanOrEqual(used, p.limit(p.rows[r]) + 1e-9) }
    }

    func testBadInput() {
        XCTAssertThrowsError(try AllocationProblem(units: 1, arms: 1, value: [1], cost: [-1], budget: 1)) {
            XCTAssertEqual("\($0)", "the cost of unit 1, arm 1 is -1.0; costs must be finite and not negative")
        }
        XCTAssertThrowsError(try AllocationProblem(units: 1, arms: 1, value: [.nan], cost: [1], budget: 1)) {
            XCTAssertEqual("\($0)", "the value of unit 1, arm 1 is nan, not a number")
        }
        XCTAssertThrowsError(try AllocationProblem(units: 1, arms: 1, value: [1], cost: [1], budget: -5)) {
            XCTAssertEqual("\($0)", "the budget must be a number at least 0, got -5.0")
        }
    }
}
