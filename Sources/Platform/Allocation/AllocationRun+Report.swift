import Allocation

extension AllocationRun {
    /// Spend and expected gains of the allocation per segment and arm, and the baselines at the same budget.
    public struct Report: Sendable {
        public struct Cell: Sendable, Codable, Equatable {
            public var segment: String
            public var arm: String
            public var units: Int
            public var spend: Double
            public var conversions: Double
            public var value: Double?
        }

        public var comparison: IncrementalReport
        public var cells: [Cell]
        /// The budget the baselines spend: the policy's.
        public var budget: Double
        public var valuePerConversion: Double?

        public var summary: Summary {
            Summary(budget: budget, valuePerConversion: valuePerConversion, cells: cells, lines: comparison.lines.map {
                Summary.Line(name: $0.name, units: $0.units, spend: $0.spend, conversions: $0.conversions, trueConversions: $0.trueConversions,
                             value: $0.value, roi: $0.roi, costPerConversion: $0.costPerConversion)
            })
        }
    }

    /// A report's figures without its curves: what a stored run keeps.
    public struct Summary: Sendable, Codable, Equatable {
        public struct Line: Sendable, Codable, Equatable {
            public var name: String
            public var units: Double
            public var spend: Double
            public var conversions: Double
            public var trueConversions: Double?
            public var value: Double?
            public var roi: Double?
            public var costPerConversion: Double?
        }

        public var budget: Double
        public var valuePerConversion: Double?
        public var cells: [Report.Cell]
        public var lines: [Line]
    }

    public static func report(_ plan: Plan, scores s: Scores, allocation a: Allocation) throws -> Report {
        let p = plan.problem, K = p.arms, n = p.units
        var uplift = [Double](repeating: 0, count: n * K), eligible = plan.eligible
        var response: [Double]? = s.response == nil ? nil : [Double](repeating: -.infinity, count: n * K)
        var truth: [Double]? = s.trueUplift == nil ? nil : [Double](repeating: 0, count: n * K)
        for i in 0..<n {
            for k in 0..<K {
                let column = plan.columns[k], v = s.uplift[column][i]
                if !v.isFinite { eligible[i] = false; continue }
                uplift[i * K + k] = v
                if let r = s.response?[column][i], r.isFinite { response![i * K + k] = r }
                if let t = s.trueUplift?[column][i] { truth![i * K + k] = t }
            }
        }
        let policy = plan.policy, vpc = policy.valuePerConversion
        let input = IncrementalReport.Input(units: n, arms: K, armNames: policy.arms.map(\.name), uplift: uplift, cost: p.cost,
                                            response: response, trueUplift: truth, eligible: eligible, budget: policy.budget,
                                            valuePerConversion: vpc, profit: policy.objective == .maxIncrementalProfit)
        let comparison: IncrementalReport
        do { comparison = try IncrementalReport(input, choice: a.choice) } catch { throw PlatformError.computation("policy \(policy.name): ", error) }
        let segments = policy.segments.map { "\($0.attribute)=\($0.value)" }
        let other = policy.segments.isEmpty ? "all" : "other"
        var cells: [String: Report.Cell] = [:]
        for i in 0..<n where a.choice[i] >= 0 {
            let k = Int(a.choice[i]), s = Int(p.segment[i])
            let segment = s >= 0 ? segments[s] : other
            let key = segment + "\u{1F}" + policy.arms[k].name
            var cell = cells[key] ?? Report.Cell(segment: segment, arm: policy.arms[k].name, units: 0, spend: 0, conversions: 0, value: vpc == nil ? nil : 0)
            cell.units += 1
            cell.spend += p.cost[i * K + k]
            cell.conversions += uplift[i * K + k]
            if let vpc { cell.value! += uplift[i * K + k] * vpc }
            cells[key] = cell
        }
        let order = Dictionary(uniqueKeysWithValues: (segments + [other]).enumerated().map { ($0.element, $0.offset) })
        let arms = armIndex(policy.arms.map(\.name))
        let sorted = cells.values.sorted { (order[$0.segment]!, arms[$0.arm]!) < (order[$1.segment]!, arms[$1.arm]!) }
        return Report(comparison: comparison, cells: sorted, budget: policy.budget, valuePerConversion: vpc)
    }
}

