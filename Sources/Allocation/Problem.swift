/// Who can get which arm, what each is worth and costs, and the rows that couple units.
///
/// Every unit gets at most one of `arms` treatment arms (or nothing, worth 0 and costing 0).
/// Option (i, k) is worth `value[i·arms + k]` and costs `cost[i·arms + k]`; a value of −∞ marks an
/// option the unit may not get (exclusions, the holdout). Coupling rows: a global budget on cost, a
/// budget on cost per segment (a unit is in at most one segment), and a cap on how many units get
/// each arm.
public struct AllocationProblem: Sendable {
    public let units: Int
    public let arms: Int
    public var value: [Double]
    public var cost: [Double]
    /// The unit's segment, or −1.
    public var segment: [Int32]
    public var budget: Double?
    public var segmentBudgets: [Double]
    /// Per arm, at most this many units (nil: no cap).
    public var armCaps: [Double?]

    public init(units: Int, arms: Int, value: [Double], cost: [Double], segment: [Int32]? = nil, budget: Double? = nil,
                segmentBudgets: [Double] = [], armCaps: [Double?]? = nil) throws(AllocationError) {
        guard units >= 0, arms >= 1 else { throw AllocationError("an allocation needs at least one arm") }
        guard value.count == units * arms, cost.count == units * arms else { throw AllocationError("value and cost need one entry per unit and arm") }
        if let i = value.firstIndex(where: { $0.isNaN || $0 == .infinity }) {
            throw AllocationError("the value of unit \(i / arms + 1), arm \(i % arms + 1) is \(value[i]), not a number")
        }
        if let i = cost.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw AllocationError("the cost of unit \(i / arms + 1), arm \(i % arms + 1) is \(cost[i]); costs must be finite and not negative")
        }
        if let budget { guard budget.isFinite, budget >= 0 else { throw AllocationError("the budget must be a number at least 0, got \(budget)") } }
        if let b = segmentBudgets.first(where: { !$0.isFinite || $0 < 0 }) { throw AllocationError("a segment budget is \(b); it must be at least 0") }
        let segment = segment ?? Array(repeating: -1, count: units)
        guard segment.count == units, segment.allSatisfy({ $0 < segmentBudgets.count }) else {
            throw AllocationError("a unit names a segment without a budget")
        }
        let caps = armCaps ?? Array(repeating: nil, count: arms)
        guard caps.count == arms else { throw AllocationError("one cap (or none) per arm") }
        if let c = caps.compactMap({ $0 }).first(where: { !$0.isFinite || $0 < 0 }) { throw AllocationError("an arm cap is \(c); it must be at least 0") }
        self.units = units
        self.arms = arms
        self.value = value
        self.cost = cost
        self.segment = segment
        self.budget = budget
        self.segmentBudgets = segmentBudgets
        self.armCaps = caps
    }

    /// The coupling rows in a fixed order: the global budget, each segment budget, each capped arm.
    public enum Row: Sendable, Equatable {
        case budget
        case segment(Int)
        case arm(Int)
    }

    public var rows: [Row] {
        (budget != nil ? [Row.budget] : []) + segmentBudgets.indices.map { .segment($0) }
            + armCaps.indices.compactMap { armCaps[$0] != nil ? .arm($0) : nil }
    }

    public func limit(_ row: Row) -> Double {
        switch row {
        case .budget: budget!
        case .segment(let s): segmentBudgets[s]
        case .arm(let k): armCaps[k]!
        }
    }

    /// Total value of a choice per unit (−1: nothing) and what it uses of each row, in `rows` order.
    public func totals(_ choice: [Int32]) -> (value: Double, used: [Double]) {
        let rows = self.rows
        var total = 0.0, used = [Double](repeating: 0, count: rows.count)
        for i in 0..<units where choice[i] >= 0 {
            let k = Int(choice[i])
            total += value[i * arms + k]
            for (r, row) in rows.enumerated() { used[r] += use(row, unit: i, arm: k) }
        }
        return (total, used)
    }

    /// How many units an allocation treats, what it spends and what it is worth.
    public func tally(_ choice: [Int32]) -> (units: Int, spend: Double, value: Double) {
        Self.tally(choice, arms: arms, cost: cost, value: value)
    }

    /// The same for any choice over options laid out as `cost[i·arms + k]`, `value[i·arms + k]`.
    public static func tally(_ choice: [Int32], arms: Int, cost: [Double], value: [Double]) -> (units: Int, spend: Double, value: Double) {
        var units = 0, spend = 0.0, total = 0.0
        for i in choice.indices where choice[i] >= 0 {
            let j = i * arms + Int(choice[i])
            units += 1
            spend += cost[j]
            total += value[j]
        }
        return (units, spend, total)
    }

    /// What option (i, k) uses of a row.
    @inline(__always)
    public func use(_ row: Row, unit i: Int, arm k: Int) -> Double {
        switch row {
        case .budget: cost[i * arms + k]
        case .segment(let s): Int(segment[i]) == s ? cost[i * arms + k] : 0
        case .arm(let a): a == k ? 1 : 0
        }
    }
}

/// An allocation: each unit's arm (−1 for nothing) and the proof of how good it is.
public struct Allocation: Sendable {
    public var choice: [Int32]
    public var certificate: Certificate

    /// Total value and, per row, what the allocation uses.
    public func totals(_ p: AllocationProblem) -> (value: Double, used: [Double]) { p.totals(choice) }
}

/// The run's certificate: the integral allocation's value, a bound no allocation (not even a
/// fractional one) can beat, and their relative gap.
public struct Certificate: Sendable, Equatable, Codable {
    public var method: String
    /// Value of the integral allocation.
    public var primal: Double
    /// The LP relaxation's optimum when known exactly (one coupling row), else nil.
    public var lpOptimum: Double?
    /// An upper bound on any allocation's value: the Lagrangian dual at the best multipliers found.
    public var dualBound: Double
    /// (dual bound − primal) / max(|dual bound|, tiny): never negative, and no allocation beats the bound.
    public var gap: Double
    public var iterations: Int
    public var seconds: Double
    /// The multipliers of the coupling rows, in `rows` order.
    public var multipliers: [Double]

    public init(method: String, primal: Double, lpOptimum: Double?, dualBound: Double, iterations: Int, seconds: Double, multipliers: [Double]) {
        self.method = method
        self.primal = primal
        self.lpOptimum = lpOptimum
        self.dualBound = dualBound
        self.gap = max(0, dualBound - primal) / max(abs(dualBound), 1e-12)
        self.iterations = iterations
        self.seconds = seconds
        self.multipliers = multipliers
    }
}
