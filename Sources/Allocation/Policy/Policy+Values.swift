extension Policy {
    /// What option (unit, arm) is worth to the objective: its uplift in conversions, or for profit
    /// uplift × value per conversion − cost. No exclusion applies.
    public func objectiveValue(uplift: Double, cost: Double) -> Double {
        objective == .maxIncrementalProfit ? uplift * (valuePerConversion ?? 0) - cost : uplift
    }

    /// Whether an option's incremental ROI, (uplift × value − cost) / cost, reaches the policy's
    /// minimum; free options and policies without a minimum always do.
    public func meetsMinimumROI(uplift: Double, cost: Double) -> Bool {
        guard let minimum = minIncrementalROI, cost > 0 else { return true }
        return (uplift * (valuePerConversion ?? 0) - cost) / cost >= minimum
    }

    /// The allocation problem the policy poses, with what it excluded.
    public struct Instance: Sendable {
        public let problem: AllocationProblem
        /// Units left out because every arm's uplift is negative (when the policy excludes them).
        public let sleepingDogs: Int
        /// Options left out by the minimum ROI.
        public let belowROI: Int
    }

    /// The problem on predicted uplift: `uplift[k][i]` for the policy's arm k and unit i, `cost[k][i]`
    /// (NaN: the arm's cost from the policy), each unit's segment index (−1: none) and whether it is
    /// blocked (the universal holdout, listed units). Blocked and excluded options, and options
    /// without a finite uplift, are worth −∞ (never given).
    public func instance(uplift: [[Double]], cost: [[Double]], segment: [Int32], blocked: [Bool]) throws(AllocationError) -> Instance {
        let n = segment.count, K = arms.count
        var value = [Double](repeating: 0, count: n * K), costs = [Double](repeating: 0, count: n * K)
        var dogs = 0, belowROI = 0
        for i in 0..<n {
            var excluded = blocked[i]
            if !excluded, excludeNegativeUplift, (0..<K).allSatisfy({ uplift[$0][i] < 0 }) { dogs += 1; excluded = true }
            for k in 0..<K {
                let u = uplift[k][i], given = cost[k][i]
                let c = given.isNaN ? arms[k].cost : given
                costs[i * K + k] = c
                guard !excluded, u.isFinite else { value[i * K + k] = -.infinity; continue }
                if meetsMinimumROI(uplift: u, cost: c) {
                    value[i * K + k] = objectiveValue(uplift: u, cost: c)
                } else {
                    value[i * K + k] = -.infinity
                    belowROI += 1
                }
            }
        }
        let problem = try AllocationProblem(units: n, arms: K, value: value, cost: costs, segment: segment, budget: budget,
                                            segmentBudgets: segments.map(\.budget), armCaps: arms.map { $0.cap.map(Double.init) })
        return Instance(problem: problem, sleepingDogs: dogs, belowROI: belowROI)
    }

    /// Every option's objective value from its uplift alone, no exclusion applied (0 where the
    /// uplift is not finite): what a decision is expected to be worth, whoever made it.
    /// `uplift[k][i]`, `cost[i·arms + k]`.
    public func objectiveValues(uplift: [[Double]], cost: [Double]) -> [Double] {
        let K = arms.count, n = cost.count / max(K, 1)
        var value = [Double](repeating: 0, count: n * K)
        for i in 0..<n {
            for k in 0..<K where uplift[k][i].isFinite {
                value[i * K + k] = objectiveValue(uplift: uplift[k][i], cost: cost[i * K + k])
            }
        }
        return value
    }
}
