/// What an allocation is expected to buy, beside what the same budget buys by simpler rules.
///
/// Every figure is an expectation under the predictions: a unit given arm k adds `uplift[i·K + k]`
/// incremental conversions and costs `cost[i·K + k]`. The baselines spend the same global budget
/// on the same eligible units (the universal holdout and listed units are never eligible; the
/// policy's other rules — sleeping dogs, minimum ROI, segment budgets, caps — are the policy's
/// own and do not bind the baselines):
/// - random targeting: units in random order, each given an arm drawn uniformly, until the budget
///   is spent. Its expectation is linear in spend: f·Σᵢ meanₖ upliftᵢₖ at spend f·Σᵢ meanₖ costᵢₖ,
///   f = min(1, budget / Σᵢ meanₖ costᵢₖ);
/// - highest predicted response: units by their highest predicted response over the arms (the
///   conversion probability if treated, not the uplift), each given that arm, while it fits;
/// - best single arm: one arm for every eligible unit if the budget affords it, else for a random
///   share f = budget / Σᵢ costᵢₖ of them; the arm with the best objective is reported.
public struct IncrementalReport: Sendable {
    public struct Input: Sendable {
        public var units: Int
        public var arms: Int
        public var armNames: [String]
        /// Predicted incremental conversions, `uplift[i·arms + k]`.
        public var uplift: [Double]
        public var cost: [Double]
        /// Predicted response if treated with arm k, when known.
        public var response: [Double]?
        /// True incremental conversions (simulated data), when known.
        public var trueUplift: [Double]?
        /// Units the baselines may target.
        public var eligible: [Bool]
        public var budget: Double
        public var valuePerConversion: Double?
        /// Compare on profit (value − spend) rather than conversions.
        public var profit: Bool

        public init(units: Int, arms: Int, armNames: [String], uplift: [Double], cost: [Double], response: [Double]? = nil,
                    trueUplift: [Double]? = nil, eligible: [Bool], budget: Double, valuePerConversion: Double? = nil, profit: Bool = false) {
            self.units = units
            self.arms = arms
            self.armNames = armNames
            self.uplift = uplift
            self.cost = cost
            self.response = response
            self.trueUplift = trueUplift
            self.eligible = eligible
            self.budget = budget
            self.valuePerConversion = valuePerConversion
            self.profit = profit
        }
    }

    /// One targeting rule's expected result at the budget.
    public struct Line: Sendable, Equatable {
        public var name: String
        /// Units treated (expected, for the random rules).
        public var units: Double
        public var spend: Double
        public var conversions: Double
        /// True incremental conversions when the data are simulated.
        public var trueConversions: Double?
        /// conversions × value per conversion (nil without a value).
        public var value: Double?
        /// (value − spend) / spend.
        public var roi: Double?
        /// spend / conversions.
        public var costPerConversion: Double?
        /// Value (or conversions) against spend, from 0 to the line's spend.
        public var curve: [(spend: Double, value: Double)]

        public static func == (a: Line, b: Line) -> Bool {
            a.name == b.name && a.units == b.units && a.spend == b.spend && a.conversions == b.conversions && a.trueConversions == b.trueConversions
        }
    }

    public var policy: Line
    public var random: Line
    /// Nil when no response predictions were given.
    public var response: Line?
    public var bestSingleArm: Line
    /// Every single arm's line, in arm order.
    public var singleArms: [Line]

    public var lines: [Line] { [policy, random] + (response.map { [$0] } ?? []) + [bestSingleArm] }

    public init(_ input: Input, choice: [Int32]) throws(AllocationError) {
        let n = input.units, K = input.arms
        guard input.uplift.count == n * K, input.cost.count == n * K, input.eligible.count == n, choice.count == n,
              input.response.map({ $0.count == n * K }) ?? true, input.trueUplift.map({ $0.count == n * K }) ?? true,
              input.armNames.count == K else {
            throw AllocationError("the report needs one uplift, cost and response per unit and arm")
        }
        guard input.budget.isFinite, input.budget >= 0 else { throw AllocationError("the report's budget must be at least 0") }
        let lines = Lines(input: input)
        policy = lines.policy(choice)
        random = lines.random()
        response = lines.highestResponse()
        singleArms = lines.singleArms()
        bestSingleArm = lines.best(of: singleArms)
    }
}

/// The report's lines, each at the input's budget.
private struct Lines {
    typealias Line = IncrementalReport.Line
    let input: IncrementalReport.Input
    var n: Int { input.units }
    var K: Int { input.arms }

    /// Conversions as the report's value: worth `valuePerConversion` each, when given.
    func scale(_ conversions: Double) -> Double { input.valuePerConversion.map { conversions * $0 } ?? conversions }

    func line(_ name: String, units: Double, spend: Double, conversions: Double, truth: Double?, curve: [(Double, Double)]) -> Line {
        let value = input.valuePerConversion.map { conversions * $0 }
        return Line(name: name, units: units, spend: spend, conversions: conversions, trueConversions: truth, value: value,
                    roi: value.flatMap { spend > 0 ? ($0 - spend) / spend : nil },
                    costPerConversion: conversions > 0 ? spend / conversions : nil,
                    curve: curve.map { (spend: $0.0, value: $0.1) })
    }

    /// The share of everyone a spend of `total` allows within the budget.
    func share(_ total: Double) -> Double { total > input.budget ? input.budget / total : 1 }

    /// The allocation: its options best first (conversions per unit of cost), accumulated.
    func policy(_ choice: [Int32]) -> Line {
        var chosen: [(cost: Double, uplift: Double, truth: Double)] = []
        for i in 0..<n where choice[i] >= 0 {
            let j = i * K + Int(choice[i])
            chosen.append((input.cost[j], input.uplift[j], input.trueUplift?[j] ?? 0))
        }
        chosen.sort { a, b in a.uplift * b.cost > b.uplift * a.cost || (a.uplift * b.cost == b.uplift * a.cost && a.cost < b.cost) }
        var curve: [(Double, Double)] = [(0, 0)], spend = 0.0, conversions = 0.0, truth = 0.0
        for option in chosen {
            spend += option.cost; conversions += option.uplift; truth += option.truth
            curve.append((spend, scale(conversions)))
        }
        return line("uplift policy", units: Double(chosen.count), spend: spend, conversions: conversions,
                    truth: input.trueUplift == nil ? nil : truth, curve: curve)
    }

    /// Random targeting, in expectation.
    func random() -> Line {
        var meanCost = 0.0, meanUplift = 0.0, meanTruth = 0.0, eligibleUnits = 0.0
        for i in 0..<n where input.eligible[i] {
            eligibleUnits += 1
            for k in 0..<K {
                meanCost += input.cost[i * K + k] / Double(K)
                meanUplift += input.uplift[i * K + k] / Double(K)
                meanTruth += (input.trueUplift?[i * K + k] ?? 0) / Double(K)
            }
        }
        let f = share(meanCost)
        return line("random targeting", units: f * eligibleUnits, spend: f * meanCost, conversions: f * meanUplift,
                    truth: input.trueUplift == nil ? nil : f * meanTruth, curve: [(0, 0), (f * meanCost, scale(f * meanUplift))])
    }

    /// Highest predicted response first, each unit's best arm, while the budget lasts; nil without
    /// response predictions.
    func highestResponse() -> Line? {
        guard let response = input.response else { return nil }
        var best: [(unit: Int, arm: Int, response: Double)] = []
        for i in 0..<n where input.eligible[i] {
            var arm = -1, top = -Double.infinity
            for k in 0..<K where response[i * K + k].isFinite && response[i * K + k] > top { top = response[i * K + k]; arm = k }
            if arm >= 0 { best.append((i, arm, top)) }
        }
        best.sort { $0.response > $1.response || ($0.response == $1.response && $0.unit < $1.unit) }
        var left = input.budget, spend = 0.0, conversions = 0.0, truth = 0.0, count = 0.0
        var curve: [(Double, Double)] = [(0, 0)]
        for (i, k, _) in best {
            let j = i * K + k
            guard input.cost[j] <= left else { continue }
            left -= input.cost[j]; spend += input.cost[j]; conversions += input.uplift[j]; truth += input.trueUplift?[j] ?? 0; count += 1
            curve.append((spend, scale(conversions)))
        }
        return line("highest predicted response", units: count, spend: spend, conversions: conversions,
                    truth: input.trueUplift == nil ? nil : truth, curve: curve)
    }

    /// Each arm for everyone affordable.
    func singleArms() -> [Line] {
        (0..<K).map { k in
            var total = 0.0, gain = 0.0, truth = 0.0, count = 0.0
            for i in 0..<n where input.eligible[i] {
                total += input.cost[i * K + k]; gain += input.uplift[i * K + k]; truth += input.trueUplift?[i * K + k] ?? 0; count += 1
            }
            let f = share(total)
            return line("\(input.armNames[k]) for everyone affordable", units: f * count, spend: f * total, conversions: f * gain,
                        truth: input.trueUplift == nil ? nil : f * truth, curve: [(0, 0), (f * total, scale(f * gain))])
        }
    }

    /// The single arm worth most to the objective (the first of equals).
    func best(of singles: [Line]) -> Line {
        func objective(_ l: Line) -> Double { input.profit ? (l.value ?? l.conversions) - l.spend : l.conversions }
        return singles.indices.max { objective(singles[$0]) < objective(singles[$1]) || (objective(singles[$0]) == objective(singles[$1]) && $0 > $1) }
            .map { singles[$0] } ?? line("no arm", units: 0, spend: 0, conversions: 0, truth: nil, curve: [(0, 0)])
    }
}
