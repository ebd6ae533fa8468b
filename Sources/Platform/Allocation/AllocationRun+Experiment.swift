import Allocation
import Postgres
import Randomization

extension AllocationRun {
    /// What `allocate … --experiment NAME` did.
    public struct PolicyExperiment: Sendable {
        public let experiment: String
        /// The uplift half's plan and solution (budgets halved).
        public let plan: Plan
        public let allocation: Allocation
        public let run: StoredRun
        /// Units per policy arm (random, uplift) and held out by the universal holdout.
        public let units: (random: Int, uplift: Int, heldOut: Int)
        /// Spend and predicted incremental conversions of each half.
        public let random: (treated: Int, spend: Double, conversions: Double)
        public let uplift: (treated: Int, spend: Double, conversions: Double)
    }

    /// Turns an allocation into an experiment that compares the uplift policy with a random policy at
    /// equal budget: a user-split experiment NAME with arms `random-policy` (the reference) and
    /// `uplift-policy`, 50/50, behind the universal holdout. Each half gets half of every budget and
    /// cap; the uplift half is allocated by the solver, the random half gives eligible units, in a
    /// seeded random order, a uniformly drawn arm while it fits every budget and cap. The experiment,
    /// its assignments and the run with every decision are written in one transaction; `report lift
    /// NAME` reads the outcomes later.
    static func policyExperiment(_ name: String, policy: Policy, scores s: Scores, source: String, exact: Bool, seed: UInt64,
                                 on c: Connection) throws -> PolicyExperiment {
        let (assigned, halves) = try assignHalves(name, scores: s, source: source, on: c)
        let half = policy.halved()
        let upliftScores = halves["uplift-policy"]!, randomScores = halves["random-policy"]!  // never nil: both halves are made
        let plan = try AllocationRun.plan(half, scores: upliftScores, on: c)
        let allocation = try AllocationRun.solve(plan, exact: exact)
        let randomPlan = try AllocationRun.plan(half, scores: randomScores, on: c)
        let randomChoice = RandomTargeting.choose(randomPlan.problem, eligible: randomPlan.eligible, seed: seed)
        let report = try AllocationRun.report(plan, scores: upliftScores, allocation: allocation)
        func tally(_ p: Plan, _ choice: [Int32], _ scores: Scores) -> (Int, Double, Double) {
            let conversions = p.policyColumns(scores.uplift).flattenedByUnit(finiteOr: 0)
            let t = AllocationProblem.tally(choice, arms: p.problem.arms, cost: p.problem.cost, value: conversions)
            return (t.units, t.spend, t.value)
        }
        // One run holds both halves' decisions; its certificate is the uplift half's.
        let decisions = Decisions(units: plan.units + randomPlan.units, arms: policy.arms.map(\.name),
                                  choice: allocation.choice + randomChoice,
                                  cost: plan.problem.cost + randomPlan.problem.cost,
                                  value: objectiveValues(plan, upliftScores) + objectiveValues(randomPlan, randomScores))
        let run = try write(decisions, policy: policy.name, source: source, certificate: allocation.certificate,
                            report: report.summary, experiment: name, on: c)
        let counts = Dictionary(uniqueKeysWithValues: assigned.arms.map { ($0.name, $0.count) })
        return PolicyExperiment(experiment: name, plan: plan, allocation: allocation, run: run,
                                units: (counts["random-policy"] ?? 0, counts["uplift-policy"] ?? 0, assigned.heldOut),
                                random: tally(randomPlan, randomChoice, randomScores), uplift: tally(plan, allocation.choice, upliftScores))
    }

    /// Creates and starts experiment NAME (`random-policy` against `uplift-policy`, 50/50, seed
    /// `policy:NAME`), assigns the scored units, and splits the scores by the arm each unit got.
    static func assignHalves(_ name: String, scores s: Scores, source: String, on c: Connection)
        throws -> (Assigner.BulkResult, [String: Scores]) {
        let inner = Store(connection: c)
        var definition = ExperimentCatalog.Definition(name: name, arms: [Arm(name: "random-policy", weight: 50), Arm(name: "uplift-policy", weight: 50)])
        definition.seed = "policy:\(name)"
        _ = try ExperimentCatalog.create(definition, in: inner)
        _ = try ExperimentCatalog.start(name, in: inner)
        let assigned = try Assigner.assignBulk(name, units: s.units, source: source, in: inner)
        let experiment = try Experiment.load(name, on: c)
        var arm: [String: String] = [:]
        try c.copyOutRows("COPY (SELECT unit, arm FROM assignments WHERE experiment_id = \(experiment.id) AND arm IS NOT NULL) TO STDOUT") { row in
            let (unit, a) = try row.decode((String, String).self)
            arm[unit] = a
        }
        func subset(_ policyArm: String) -> Scores {
            let rows = s.units.indices.filter { arm[s.units[$0]] == policyArm }
            func pick(_ m: [[Double]]) -> [[Double]] { m.map { column in rows.map { column[$0] } } }
            return Scores(units: rows.map { s.units[$0] }, arms: s.arms, uplift: pick(s.uplift), cost: pick(s.cost),
                          response: s.response.map(pick), trueUplift: s.trueUplift.map(pick))
        }
        return (assigned, ["uplift-policy": subset("uplift-policy"), "random-policy": subset("random-policy")])
    }

    /// The objective's value of every option from the uplift alone (no exclusions).
    static func objectiveValues(_ plan: Plan, _ s: Scores) -> [Double] {
        plan.policy.objectiveValues(uplift: plan.policyColumns(s.uplift), cost: plan.problem.cost)
    }
}

extension AllocationRun.Plan {
    /// The scores' columns of the policy's arms, in the policy's order: `m[k][i]`.
    func policyColumns(_ m: [[Double]]) -> [[Double]] { columns.map { m[$0] } }
}

extension Array where Element == [Double] {
    /// `m[k][i]` laid out unit by unit, `[i·K + k]`, with non-finite entries replaced.
    func flattenedByUnit(finiteOr replacement: Double) -> [Double] {
        let K = count, n = first?.count ?? 0
        var out = [Double](repeating: replacement, count: n * K)
        for k in 0..<K { for i in 0..<n where self[k][i].isFinite { out[i * K + k] = self[k][i] } }
        return out
    }
}
