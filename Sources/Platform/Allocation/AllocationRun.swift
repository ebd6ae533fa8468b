import Allocation
import Foundation
import Postgres
import Randomization
import Stats

/// `allocate`: a policy and uplift scores become an allocation problem, which is solved, certified,
/// reported against baselines and stored, in one transaction (`run`).
public enum AllocationRun {
    /// Where the scores come from.
    public enum ScoreSource: Sendable {
        /// The scores `model score NAME` stored.
        case model(String)
        /// A CSV file `unit,arm,uplift[,cost][,response]`.
        case file(String)
    }

    /// What to allocate, and what to do with the result.
    public struct Request: Sendable {
        public var policy: Policy
        public var scores: ScoreSource
        /// Solve the whole problem in GLPK's branch-and-cut (small instances).
        public var exact = false
        /// Solve and report, write nothing.
        public var dryRun = false
        /// Make the run a policy experiment of this name instead (`policyExperiment`).
        public var experiment: String?
        /// Seed of the random policy's order and arms, for an experiment.
        public var seed: UInt64 = 1

        public init(policy: Policy, scores: ScoreSource) {
            self.policy = policy
            self.scores = scores
        }
    }

    /// A solved (and, unless a dry run, stored) allocation.
    public struct Solved: Sendable {
        public let plan: Plan
        public let allocation: Allocation
        public let report: Report
        /// The stored run; nil for a dry run.
        public let stored: StoredRun?
        /// Units treated, spend and objective value of the allocation.
        public let totals: (units: Int, spend: Double, value: Double)
        /// Where the scores came from, in words (`model NAME` or the file's path).
        public let source: String
    }

    public enum Outcome: Sendable {
        case solved(Solved)
        case experiment(PolicyExperiment)
    }

    /// Reads the scores, solves the policy on them, reports it against the baselines and stores the
    /// run (or, with `experiment`, creates the policy experiment), all in one transaction.
    public static func run(_ request: Request, in store: Store) throws -> Outcome {
        if request.experiment != nil, request.dryRun {
            throw PlatformError("an experiment writes an experiment and its run; it cannot be a dry run")
        }
        return try store.connection.transaction { c in
            let s: Scores, source: String
            switch request.scores {
            case .model(let name): (s, source) = (try scores(model: name, on: c), "model \(name)")
            case .file(let path): (s, source) = (try scores(csv: path), path)
            }
            if let name = request.experiment {
                return .experiment(try policyExperiment(name, policy: request.policy, scores: s, source: source, exact: request.exact,
                                                        seed: request.seed, on: c))
            }
            let plan = try plan(request.policy, scores: s, on: c)
            let allocation = try solve(plan, exact: request.exact)
            let report = try report(plan, scores: s, allocation: allocation)
            let stored = request.dryRun ? nil : try write(plan, allocation, source: source, report: report.summary, on: c)
            return .solved(Solved(plan: plan, allocation: allocation, report: report, stored: stored,
                                  totals: plan.problem.tally(allocation.choice), source: source))
        }
    }
    /// Per-unit, per-arm predicted uplift (and, from a CSV, optional per-option costs).
    public struct Scores: Sendable {
        public var units: [String]
        public var arms: [String]
        /// `uplift[arm][unit]`
        public var uplift: [[Double]]
        /// `cost[arm][unit]`, NaN where the policy's cost applies.
        public var cost: [[Double]]
        /// `response[arm][unit]`: the predicted outcome if treated with the arm, when known.
        public var response: [[Double]]?
        /// `trueUplift[arm][unit]` for simulated units (`simulate units`), when known.
        public var trueUplift: [[Double]]?
    }

    public struct Plan: Sendable {
        public let policy: Policy
        public let units: [String]
        public let problem: AllocationProblem
        public let heldOut: Int
        public let sleepingDogs: Int
        public let listed: Int
        public let belowROI: Int
        /// Units any targeting rule may reach: not in the universal holdout, not listed.
        public let eligible: [Bool]
        /// The scores' arm index of each policy arm.
        public let columns: [Int]
    }

    /// The allocation problem a policy poses on scores: the store says who is in the universal
    /// holdout and which segment each unit is in; Allocation's `Policy.instance` does the rest.
    static func plan(_ policy: Policy, scores s: Scores, on c: Connection) throws -> Plan {
        let missing = policy.arms.map(\.name).filter { !s.arms.contains($0) }
        guard missing.isEmpty else {
            throw PlatformError("policy \(policy.name): arm \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) not in the scores (they have \(s.arms.joined(separator: ", ")))")
        }
        let n = s.units.count
        let column = policy.arms.map { s.arms.firstIndex(of: $0.name)! } // never nil: checked above
        let holdout = try HoldoutSettings.current(on: c)
        let listed = Set(policy.excludeUnits)
        var segmentOf: [String: String] = [:]
        if let attribute = policy.segments.first?.attribute {
            segmentOf = try UnitImport.attribute(attribute, units: s.units, on: c)
        }
        let segmentIndex = Dictionary(uniqueKeysWithValues: policy.segments.enumerated().map { ($0.element.value, Int32($0.offset)) })
        var segment = [Int32](repeating: -1, count: n)
        var heldOut = 0, excluded = 0
        var eligible = [Bool](repeating: true, count: n)
        for i in 0..<n {
            let unit = s.units[i]
            if let holdout, holdout.group(of: unit) == .heldOut { heldOut += 1; eligible[i] = false }
            else if listed.contains(unit) { excluded += 1; eligible[i] = false }
            if let value = segmentOf[unit], let index = segmentIndex[value] { segment[i] = index }
        }
        let instance: Policy.Instance
        do {
            instance = try policy.instance(uplift: column.map { s.uplift[$0] }, cost: column.map { s.cost[$0] }, segment: segment,
                                           blocked: eligible.map { !$0 })
        } catch { throw PlatformError.computation("policy \(policy.name): ", error) }
        return Plan(policy: policy, units: s.units, problem: instance.problem, heldOut: heldOut, sleepingDogs: instance.sleepingDogs,
                    listed: excluded, belowROI: instance.belowROI, eligible: eligible, columns: column)
    }

    static func solve(_ plan: Plan, exact: Bool) throws -> Allocation {
        do { return exact ? try ExactSolver.solve(plan.problem) : try Solver.solve(plan.problem) } catch {
            throw PlatformError.computation("policy \(plan.policy.name): ", error)
        }
    }
}

