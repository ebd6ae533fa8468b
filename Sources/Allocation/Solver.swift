import Dispatch
import Foundation

/// Solves an allocation problem and certifies the answer.
///
/// - No coupling row: every unit takes its best option worth more than nothing.
/// - Only a global budget: each unit's upper convex hull of (cost, value) and one greedy pass over
///   all hull steps by efficiency give the exact LP optimum (one unit at most fractional); dropping
///   the fractional step and filling what budget is left gives the integral allocation.
/// - Several rows: the Lagrangian dual L(λ) = λ·b + Σᵢ max(0, maxₖ vᵢₖ − λ·aᵢₖ) is minimised by
///   cutting planes stabilised by a trust region (a box around the best multipliers, so GLPK's
///   master stays an LP), started at the price that clears the global budget alone; at each λ the
///   units are evaluated independently. A feasible integral allocation is built from multipliers
///   (units by reduced value, each taking its best option that still fits every row, then a fill
///   of what is left), and the loop stops when its value is within `tolerance` of the best dual
///   bound, or when the model sees less than tolerance/10 of decrease left and rounding at the
///   multipliers nearby has been tried for 25 more iterations.
public enum Solver {
    public struct Options: Sendable {
        public var tolerance = 1e-4
        public var maximumIterations = 500
        public init() {}
    }

    public static func solve(_ p: AllocationProblem, options: Options = .init()) throws(AllocationError) -> Allocation {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let rows = p.rows
        if rows.isEmpty {
            let (value, _, choice) = lagrangian(p, rows: rows, multipliers: [])
            return Allocation(choice: choice, certificate: Certificate(method: "unconstrained", primal: value, lpOptimum: value, dualBound: value,
                                                                       iterations: 0, seconds: elapsed(), multipliers: []))
        }
        if rows == [.budget] {
            var allocation = greedy(p)
            allocation.certificate.seconds = elapsed()
            return allocation
        }
        var allocation = try cuttingPlane(p, rows: rows, options: options)
        allocation.certificate.seconds = elapsed()
        return allocation
    }

    // MARK: The Lagrangian

    /// L(λ), its subgradient b − Σ a(chosen), and each unit's choice at λ (−1: nothing).
    static func lagrangian(_ p: AllocationProblem, rows: [AllocationProblem.Row], multipliers λ: [Double]) -> (Double, [Double], [Int32]) {
        var global = 0.0
        var segment = [Double](repeating: 0, count: p.segmentBudgets.count)
        var arm = [Double](repeating: 0, count: p.arms)
        for (r, row) in rows.enumerated() {
            switch row {
            case .budget: global = λ[r]
            case .segment(let s): segment[s] = λ[r]
            case .arm(let k): arm[k] = λ[r]
            }
        }
        var value = zip(rows, λ).reduce(0.0) { $0 + $1.1 * p.limit($1.0) }
        var choice = [Int32](repeating: -1, count: p.units)
        var spend = 0.0
        var spendBySegment = [Double](repeating: 0, count: p.segmentBudgets.count)
        var count = [Double](repeating: 0, count: p.arms)
        let K = p.arms
        p.value.withUnsafeBufferPointer { v in
            p.cost.withUnsafeBufferPointer { c in
                for i in 0..<p.units {
                    let s = Int(p.segment[i])
                    let price = global + (s >= 0 ? segment[s] : 0)
                    var best = 0.0, bestArm = -1
                    for k in 0..<K {
                        let reduced = v[i * K + k] - price * c[i * K + k] - arm[k]
                        if reduced > best { best = reduced; bestArm = k }
                    }
                    guard bestArm >= 0 else { continue }
                    value += best
                    choice[i] = Int32(bestArm)
                    let cost = c[i * K + bestArm]
                    spend += cost
                    if s >= 0 { spendBySegment[s] += cost }
                    count[bestArm] += 1
                }
            }
        }
        let gradient = rows.map { row -> Double in
            switch row {
            case .budget: p.budget! - spend
            case .segment(let s): p.segmentBudgets[s] - spendBySegment[s]
            case .arm(let k): p.armCaps[k]! - count[k]
            }
        }
        return (value, gradient, choice)
    }

    // MARK: One budget row

    struct Step { var unit: Int32; var arm: Int32; var cost: Double; var value: Double; var efficiency: Double }

    static func greedy(_ p: AllocationProblem) -> Allocation {
        let K = p.arms, budget = p.budget!
        var steps: [Step] = []
        steps.reserveCapacity(p.units * 2)
        var points: [(cost: Double, value: Double, arm: Int32)] = []
        for i in 0..<p.units {
            points.removeAll(keepingCapacity: true)
            for k in 0..<K where p.value[i * K + k] > 0 { points.append((p.cost[i * K + k], p.value[i * K + k], Int32(k))) }
            guard !points.isEmpty else { continue }
            points.sort { $0.cost != $1.cost ? $0.cost < $1.cost : $0.value > $1.value }
            // The upper concave hull from (0, 0), value increasing.
            var hull: [(cost: Double, value: Double, arm: Int32)] = [(0, 0, -1)]
            for point in points {
                // Sorted by cost, then value descending: a point no better than the last is dominated. A free
                // option is a vertical first step (infinite efficiency), which the test below never drops.
                guard point.value > hull[hull.count - 1].value else { continue }
                while hull.count >= 2 {
                    let a = hull[hull.count - 2], b = hull[hull.count - 1]
                    // Drop b when the step a→b is no steeper than b→point (not concave).
                    if (b.value - a.value) * (point.cost - b.cost) <= (point.value - b.value) * (b.cost - a.cost) { hull.removeLast() } else { break }
                }
                hull.append(point)
            }
            for j in 1..<hull.count {
                let dc = hull[j].cost - hull[j - 1].cost, dv = hull[j].value - hull[j - 1].value
                steps.append(Step(unit: Int32(i), arm: hull[j].arm, cost: dc, value: dv, efficiency: dc > 0 ? dv / dc : .infinity))
            }
        }
        // Steps of one unit have strictly decreasing efficiency, so a stable order by efficiency takes them in turn.
        steps.sort { $0.efficiency != $1.efficiency ? $0.efficiency > $1.efficiency : ($0.unit != $1.unit ? $0.unit < $1.unit : $0.cost < $1.cost) }
        var choice = [Int32](repeating: -1, count: p.units)
        var remaining = budget, lp = 0.0, λ = 0.0
        var stopped = false
        for step in steps {
            if step.cost <= remaining {
                remaining -= step.cost
                lp += step.value
                choice[Int(step.unit)] = step.arm
            } else {
                lp += step.value * remaining / step.cost
                λ = step.efficiency
                stopped = true
                break
            }
        }
        if !stopped { λ = 0 }
        // Fill: with what is left, the best affordable upgrade per unit, largest gain first.
        fill(p, choice: &choice, rows: [.budget])
        let (dual, _, _) = lagrangian(p, rows: [.budget], multipliers: [λ])
        let primal = p.totals(choice).value
        return Allocation(choice: choice, certificate: Certificate(method: "greedy over convex hulls (exact LP, one budget row)",
                                                                   primal: primal, lpOptimum: lp, dualBound: max(dual, lp), iterations: 1,
                                                                   seconds: 0, multipliers: [λ]))
    }

    // MARK: Feasibility

    /// Capacity left on each row by `choice`.
    static func remaining(_ p: AllocationProblem, rows: [AllocationProblem.Row], choice: [Int32]) -> [Double] {
        zip(rows, p.totals(choice).used).map { p.limit($0.0) - $0.1 }
    }

    /// Upgrades units while capacity lasts: each unit's best value gain that fits every row, largest first.
    static func fill(_ p: AllocationProblem, choice: inout [Int32], rows: [AllocationProblem.Row]) {
        var left = remaining(p, rows: rows, choice: choice)
        let K = p.arms
        func fits(_ i: Int, _ k: Int, _ from: Int) -> Bool {
            for (r, row) in rows.enumerated() {
                let extra = p.use(row, unit: i, arm: k) - (from >= 0 ? p.use(row, unit: i, arm: from) : 0)
                if extra > left[r] + 1e-12 * max(1, abs(p.limit(row))) { return false }
            }
            return true
        }
        var candidates: [(gain: Double, unit: Int)] = []
        for i in 0..<p.units {
            let current = Int(choice[i]), base = current >= 0 ? p.value[i * K + current] : 0
            var best = 0.0
            for k in 0..<K where p.value[i * K + k] - base > best && fits(i, k, current) { best = p.value[i * K + k] - base }
            if best > 0 { candidates.append((best, i)) }
        }
        candidates.sort { $0.gain > $1.gain }
        for (_, i) in candidates {
            let current = Int(choice[i]), base = current >= 0 ? p.value[i * K + current] : 0
            var best = 0.0, bestArm = -1
            for k in 0..<K where p.value[i * K + k] - base > best && fits(i, k, current) { best = p.value[i * K + k] - base; bestArm = k }
            guard bestArm >= 0 else { continue }
            for (r, row) in rows.enumerated() {
                left[r] -= p.use(row, unit: i, arm: bestArm) - (current >= 0 ? p.use(row, unit: i, arm: current) : 0)
            }
            choice[i] = Int32(bestArm)
        }
    }

    /// A feasible integral allocation from multipliers: units by their best reduced value, each
    /// taking its best (by reduced value) option that still fits every row; then `fill`.
    static func primal(_ p: AllocationProblem, rows: [AllocationProblem.Row], multipliers λ: [Double]) -> [Int32] {
        let K = p.arms
        var price = [Double](repeating: 0, count: p.segmentBudgets.count + 1)
        var armPrice = [Double](repeating: 0, count: K)
        for (r, row) in rows.enumerated() {
            switch row {
            case .budget: price[p.segmentBudgets.count] = λ[r]
            case .segment(let s): price[s] = λ[r]
            case .arm(let k): armPrice[k] = λ[r]
            }
        }
        let global = price[p.segmentBudgets.count]
        var order: [(reduced: Double, unit: Int32)] = []
        order.reserveCapacity(p.units)
        for i in 0..<p.units {
            let s = Int(p.segment[i]), unitPrice = global + (s >= 0 ? price[s] : 0)
            var best = 0.0
            for k in 0..<K { best = max(best, p.value[i * K + k] - unitPrice * p.cost[i * K + k] - armPrice[k]) }
            if best > 0 { order.append((best, Int32(i))) }
        }
        order.sort { $0.reduced != $1.reduced ? $0.reduced > $1.reduced : $0.unit < $1.unit }
        var left = rows.map { p.limit($0) }
        var choice = [Int32](repeating: -1, count: p.units)
        var options: [(Double, Int)] = []
        for (_, unit) in order {
            let i = Int(unit), s = Int(p.segment[i]), unitPrice = global + (s >= 0 ? price[s] : 0)
            options.removeAll(keepingCapacity: true)
            for k in 0..<K {
                let reduced = p.value[i * K + k] - unitPrice * p.cost[i * K + k] - armPrice[k]
                if reduced > 0 { options.append((reduced, k)) }
            }
            options.sort { $0.0 > $1.0 }
            for (_, k) in options {
                var ok = true
                for (r, row) in rows.enumerated() where p.use(row, unit: i, arm: k) > left[r] + 1e-12 * max(1, abs(p.limit(row))) { ok = false; break }
                guard ok else { continue }
                for (r, row) in rows.enumerated() { left[r] -= p.use(row, unit: i, arm: k) }
                choice[i] = Int32(k)
                break
            }
        }
        fill(p, choice: &choice, rows: rows)
        return choice
    }

    // MARK: Several rows

    /// A box holding a minimiser of the dual: past max v/a a row's price makes every option using
    /// the row worthless.
    static func priceCeilings(_ p: AllocationProblem, rows: [AllocationProblem.Row]) -> [Double] {
        let K = p.arms
        var upper = [Double](repeating: 0, count: rows.count)
        for i in 0..<p.units {
            for k in 0..<K where p.value[i * K + k] > 0 {
                for (r, row) in rows.enumerated() {
                    let a = p.use(row, unit: i, arm: k)
                    if a > 0 { upper[r] = max(upper[r], p.value[i * K + k] / a) }
                }
            }
        }
        return upper
    }

    /// The price that clears the global budget alone (the greedy's λ*) for the budget row, 0 for
    /// the others.
    static func startingMultipliers(_ p: AllocationProblem, rows: [AllocationProblem.Row]) -> [Double] {
        var λ = [Double](repeating: 0, count: rows.count)
        if let r = rows.firstIndex(of: .budget) {
            var single = p
            single.segmentBudgets = []
            single.segment = Array(repeating: -1, count: p.units)
            single.armCaps = Array(repeating: nil, count: p.arms)
            λ[r] = greedy(single).certificate.multipliers[0]
        }
        return λ
    }

    static func cuttingPlane(_ p: AllocationProblem, rows: [AllocationProblem.Row], options: Options) throws(AllocationError) -> Allocation {
        let m = rows.count
        let upper = priceCeilings(p, rows: rows)
        let master = GLPKProblem(maximize: false)
        let theta = master.addColumn(lower: nil, upper: nil, objective: 1)
        let columns = (0..<m).map { master.addColumn(lower: 0, upper: upper[$0], objective: 0) }
        var λ = startingMultipliers(p, rows: rows)
        // Trust region around the best multipliers so far (a box, so the master stays an LP).
        var radius = upper.map { max($0 / 4, 1e-9) }
        var bestDual = Double.infinity, bestλ = λ
        var bestChoice = [Int32](repeating: -1, count: p.units), bestPrimal = 0.0
        var iterations = 0, sinceRounding = 0
        func round(_ multipliers: [Double]) {
            let choice = primal(p, rows: rows, multipliers: multipliers)
            let v = p.tally(choice).value
            if v > bestPrimal { bestPrimal = v; bestChoice = choice }
            sinceRounding = 0
        }
        var predicted = Double.infinity
        var convergedAt: Int? = nil
        while iterations < options.maximumIterations {
            iterations += 1
            sinceRounding += 1
            let (L, g, _) = lagrangian(p, rows: rows, multipliers: λ)
            if L < bestDual {
                // A serious step when the decrease is a good share of what the model predicted.
                let serious = bestDual == .infinity || bestDual - L >= 0.1 * (bestDual - predicted)
                if serious {
                    let onEdge = (0..<m).contains { abs(λ[$0] - bestλ[$0]) >= 0.99 * radius[$0] }
                    if onEdge { radius = radius.enumerated().map { min($1 * 2, max(upper[$0], 1e-9)) } }
                }
                bestDual = L
                bestλ = λ
                if sinceRounding >= 5 || iterations == 1 { round(λ) }
            } else {
                radius = radius.map { $0 * 0.7 }
            }
            if (bestDual - bestPrimal) / max(abs(bestDual), 1e-12) <= options.tolerance { break }
            // The cut θ ≥ L + g·(λ' − λ), then the master in the box around the best multipliers.
            master.addRow(columns: [theta] + columns, values: [1] + g.map { -$0 },
                          lower: L - zip(g, λ).reduce(0) { $0 + $1.0 * $1.1 })
            for r in 0..<m {
                let low = max(0, bestλ[r] - radius[r])
                master.setBounds(columns[r], lower: low, upper: max(low, min(upper[r], bestλ[r] + radius[r])))
            }
            predicted = try master.simplex()
            let next = columns.map { master.column($0) }
            if (bestDual - predicted) / max(abs(bestDual), 1e-12) <= options.tolerance / 10 {
                // The cutting-plane model, which never overestimates L, sees less than tolerance/10 of
                // decrease anywhere in a box around the best multipliers; L being convex, they are that
                // close to a global minimiser. Round there; if that allocation is not yet good enough,
                // keep stepping (the multipliers near the optimum differ in how well they round) and
                // round at each, for a few more iterations.
                round(bestλ)
                if (bestDual - bestPrimal) / max(abs(bestDual), 1e-12) <= options.tolerance { break }
                if let at = convergedAt, iterations - at >= 25 { break }
                if convergedAt == nil { convergedAt = iterations }
            }
            if convergedAt != nil { round(next) }
            λ = next
        }
        if sinceRounding > 0 { round(bestλ) }
        return Allocation(choice: bestChoice, certificate: Certificate(
            method: "Lagrangian dual by trust-region cutting planes, GLPK master LP over \(m) multipliers",
            primal: bestPrimal, lpOptimum: nil, dualBound: bestDual, iterations: iterations, seconds: 0, multipliers: bestλ))
    }
}


