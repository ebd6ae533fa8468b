import Stats

/// The random-targeting baseline a policy experiment compares with: eligible units in a seeded
/// random order, each offered one uniformly drawn arm, taken when it fits every row of the problem
/// (budget, segment budgets, caps).
public enum RandomTargeting {
    public static func choose(_ p: AllocationProblem, eligible: [Bool], seed: UInt64) -> [Int32] {
        let rows = p.rows
        var left = rows.map { p.limit($0) }
        var g = SplitMix64(seed: seed)
        var order = eligible.indices.filter { eligible[$0] }
        order.shuffle(using: &g)
        var choice = [Int32](repeating: -1, count: p.units)
        for i in order {
            let k = min(p.arms - 1, Int(g.uniform() * Double(p.arms)))
            let use = rows.map { p.use($0, unit: i, arm: k) }
            guard zip(use, left).allSatisfy({ $0 <= $1 + 1e-9 }) else { continue }
            for r in rows.indices { left[r] -= use[r] }
            choice[i] = Int32(k)
        }
        return choice
    }
}
