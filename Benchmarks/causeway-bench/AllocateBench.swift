import Allocation
import Foundation
import Stats

/// `allocate UNITS`: UNITS units × 4 voucher levels with diminishing uplift and costs 1, 2, 3, 5,
/// solved with one global budget, then with the budget plus 20 segment budgets and 4 arm caps.
enum AllocateBench {
    static func problem(units n: Int, constrained: Bool) throws -> AllocationProblem {
        var g = SplitMix64(seed: 11)
        let K = 4, costs = [1.0, 2, 3, 5]
        var value = [Double](repeating: 0, count: n * K), cost = [Double](repeating: 0, count: n * K)
        var segment = [Int32](repeating: -1, count: n)
        for i in 0..<n {
            let responsiveness = max(0, g.normal() * 0.03 + 0.02)
            for k in 0..<K {
                value[i * K + k] = responsiveness * log1p(costs[k]) * (0.8 + 0.4 * g.uniform()) - (g.uniform() < 0.05 ? 0.05 : 0)
                cost[i * K + k] = costs[k] * (0.9 + 0.2 * g.uniform())
            }
            segment[i] = Int32(i % 20)
        }
        let budget = Double(n) * 0.8
        guard constrained else { return try AllocationProblem(units: n, arms: K, value: value, cost: cost, budget: budget) }
        return try AllocationProblem(units: n, arms: K, value: value, cost: cost, segment: segment, budget: budget,
                                     segmentBudgets: (0..<20).map { Double(n) * (0.025 + 0.03 * Double($0 % 4) / 3) },
                                     armCaps: [Double(n) * 0.2, Double(n) * 0.15, Double(n) * 0.1, Double(n) * 0.05])
    }

    /// GLPK's dual simplex on the full LP (one budget), the yardstick ARCHITECTURE.md cites, beside the greedy.
    static func yardstick(units n: Int, directory: String?, glpk: Bool) throws {
        let p = try problem(units: n, constrained: false)
        if let directory {
            func write(_ values: [Double], _ name: String) throws {
                try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name)) }
            }
            try write(p.value, "value.f64"); try write(p.cost, "cost.f64"); try write([p.budget!], "budget.f64")
        }
        let greedy = try Solver.solve(p)
        report(String(format: "greedy over convex hulls, one budget: %.6f", greedy.certificate.lpOptimum ?? .nan), rows: n, seconds: greedy.certificate.seconds)
        guard glpk else { return }
        var lp = 0.0
        let time = try seconds { lp = try ExactSolver.lpOptimum(p, limit: .max) }
        report(String(format: "GLPK dual simplex, full LP, one budget: %.6f", lp), rows: n, seconds: time)
    }

    static func run(units n: Int) throws {
        for constrained in [false, true] {
            let p = try problem(units: n, constrained: constrained)
            for round in 1...3 {
                var a: Allocation!
                let time = try seconds { a = try Solver.solve(p) }
                let c = a.certificate
                report(String(format: "allocate, %@, round %d: primal %.6f, dual %.6f, gap %.2e, %d iterations",
                              constrained ? "budget + 20 segments + 4 caps" : "one budget", round, c.primal, c.dualBound, c.gap, c.iterations),
                       rows: n, seconds: time)
            }
        }
    }
}
