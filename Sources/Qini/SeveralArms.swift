/// Several treatment arms against one control: per-arm curves and the cost-aware curve.
public struct MultiArmSample: Sendable {
    public let outcome: [Double]
    /// 0 for control, k for treatment arm k.
    public let arm: [Int]
    /// Predicted uplift of each treatment arm: `uplift[k − 1][row]`.
    public let uplift: [[Double]]

    public init(outcome: [Double], arm: [Int], uplift: [[Double]]) throws(QiniError) {
        guard !uplift.isEmpty else { throw QiniError(.insufficientData, "no treatment arms") }
        guard outcome.count == arm.count, uplift.allSatisfy({ $0.count == arm.count }) else {
            throw QiniError(.invalidData, "outcome, arm and uplift columns differ in length")
        }
        if let i = arm.firstIndex(where: { $0 < 0 || $0 > uplift.count }) { throw QiniError(.invalidData, "row \(i + 1) has arm \(arm[i]), outside 0…\(uplift.count)") }
        for (k, column) in uplift.enumerated() {
            if let i = column.firstIndex(where: { !$0.isFinite }) { throw QiniError(.invalidData, "uplift of arm \(k + 1), row \(i + 1), is not a finite number") }
        }
        if let i = outcome.firstIndex(where: { !$0.isFinite }) { throw QiniError(.invalidData, "outcome of row \(i + 1) is not a finite number") }
        guard arm.contains(0) else { throw QiniError(.insufficientData, "no control units") }
        self.outcome = outcome
        self.arm = arm
        self.uplift = uplift
    }

    /// Arm k against control: the rows of those two groups, scored by arm k's uplift.
    public func pair(_ k: Int) throws(QiniError) -> UpliftSample {
        let rows = arm.indices.filter { arm[$0] == 0 || arm[$0] == k }
        return try UpliftSample(outcome: rows.map { outcome[$0] }, treated: rows.map { arm[$0] == k }, score: rows.map { uplift[k - 1][$0] })
    }

    /// The cost-aware curve. Each unit gets the arm with the highest predicted uplift per unit of
    /// cost (units whose best uplift is not positive come last, at their least negative ratio);
    /// units are taken in decreasing order of that ratio. After k units, the incremental value is
    /// Σ over arms a of n_a · (mean outcome of the taken units that were in arm a − mean outcome of
    /// the taken units that were in control), n_a being how many taken units the policy gives arm a;
    /// the cost is Σ n_a · cost_a. A term whose arm or control has no unit yet is zero.
    public func costCurve(costs: [Double], points: Int = 200) throws(QiniError) -> (cost: [Double], value: [Double], units: [Int]) {
        guard costs.count == uplift.count else { throw QiniError(.invalidParameter, "one cost per treatment arm: \(uplift.count) arms, \(costs.count) costs") }
        guard costs.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw QiniError(.invalidParameter, "arm costs must be positive") }
        let n = arm.count
        var choice = [Int](repeating: 1, count: n), ratio = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var best = -Double.infinity, bestArm = 1
            for k in 0..<uplift.count where uplift[k][i] / costs[k] > best { best = uplift[k][i] / costs[k]; bestArm = k + 1 }
            choice[i] = bestArm
            ratio[i] = best
        }
        let order = Ranking.descending(ratio)
        let a = uplift.count
        var policyCount = [Double](repeating: 0, count: a + 1)
        var matchedSum = [Double](repeating: 0, count: a + 1), matchedCount = [Double](repeating: 0, count: a + 1)
        var controlSum = [Double](repeating: 0, count: a + 1), controlCount = [Double](repeating: 0, count: a + 1)
        var cost: [Double] = [0], value: [Double] = [0], units: [Int] = [0]
        let every = max(1, n / max(points, 1))
        for (position, r) in order.enumerated() {
            let i = Int(r), k = choice[i]
            policyCount[k] += 1
            if arm[i] == k { matchedSum[k] += outcome[i]; matchedCount[k] += 1 }
            if arm[i] == 0 { controlSum[k] += outcome[i]; controlCount[k] += 1 }
            guard (position + 1) % every == 0 || position == n - 1 else { continue }
            var v = 0.0, c = 0.0
            for k in 1...a {
                c += policyCount[k] * costs[k - 1]
                if matchedCount[k] > 0, controlCount[k] > 0 {
                    v += policyCount[k] * (matchedSum[k] / matchedCount[k] - controlSum[k] / controlCount[k])
                }
            }
            cost.append(c)
            value.append(v)
            units.append(position + 1)
        }
        return (cost, value, units)
    }
}
