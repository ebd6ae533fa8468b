import Allocation
import Foundation
import Postgres
import Randomization
import Stats

/// `allocate`: a policy and uplift scores become an allocation problem, which is solved and certified.
public enum AllocationRun {
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

    /// Long-format scores: `unit,arm,uplift[,cost][,response]`, one row per unit and arm.
    public static func scores(csv path: String) throws -> Scores {
        let file = try CSVFile(path: path, required: ["unit", "arm", "uplift"])
        let u = file.column("unit")!, a = file.column("arm")!, v = file.column("uplift")! // never nil: required
        let c = file.column("cost"), r = file.column("response")
        var unitIndex: [String: Int] = [:], armIndex: [String: Int] = [:]
        var units: [String] = [], arms: [String] = []
        var entries: [(Int, Int, Double, Double, Double)] = []
        var seen = Set<String>()
        for record in file.records {
            let unit = record.fields[u], arm = record.fields[a]
            guard !unit.isEmpty, !arm.isEmpty else { throw PlatformError("\(path):\(record.line): unit and arm must not be empty") }
            guard seen.insert(unit + "\u{1F}" + arm).inserted else { throw PlatformError("\(path):\(record.line): unit \"\(unit)\", arm \"\(arm)\" is listed twice") }
            let text = record.fields[v].trimmingCharacters(in: .whitespaces)
            guard let uplift = Double(text), uplift.isFinite else {
                throw PlatformError("\(path):\(record.line): field \"uplift\" is \"\(text)\", not a finite number")
            }
            var cost = Double.nan, response = Double.nan
            if let c, !record.fields[c].isEmpty {
                guard let value = Double(record.fields[c]), value.isFinite, value >= 0 else {
                    throw PlatformError("\(path):\(record.line): field \"cost\" is \"\(record.fields[c])\"; costs must be numbers at least 0")
                }
                cost = value
            }
            if let r {
                guard let value = Double(record.fields[r]), value.isFinite else {
                    throw PlatformError("\(path):\(record.line): field \"response\" is \"\(record.fields[r])\", not a finite number")
                }
                response = value
            }
            let i = unitIndex[unit] ?? { units.append(unit); unitIndex[unit] = units.count - 1; return units.count - 1 }()
            let k = armIndex[arm] ?? { arms.append(arm); armIndex[arm] = arms.count - 1; return arms.count - 1 }()
            entries.append((i, k, uplift, cost, response))
        }
        var uplift = [[Double]](repeating: [Double](repeating: .nan, count: units.count), count: arms.count)
        var cost = uplift, response = uplift
        for (i, k, value, c, p) in entries { uplift[k][i] = value; cost[k][i] = c; response[k][i] = p }
        for k in arms.indices {
            if let i = uplift[k].firstIndex(where: { $0.isNaN }) {
                throw PlatformError("\(path): unit \"\(units[i])\" has no uplift for arm \"\(arms[k])\"")
            }
        }
        return Scores(units: units, arms: arms, uplift: uplift, cost: cost, response: r == nil ? nil : response, trueUplift: nil)
    }

    /// The scores a model wrote with `model score`, read by binary COPY; with the true effects when
    /// the model learned from simulated units.
    public static func scores(model name: String, on c: Connection) throws -> Scores {
        let (model, _) = try ModelRegistry.load(name, on: c)
        let (id, experiment) = try c.query("SELECT id, experiment_id FROM models WHERE name = \(name)").decodeOne((Int32, Int64).self)
        let arms = Array(model.arms.dropFirst())
        let armIndex = Dictionary(uniqueKeysWithValues: arms.enumerated().map { ($0.element, $0.offset) })
        var index: [String: Int] = [:], units: [String] = []
        var uplift = [[Double]](repeating: [], count: arms.count)
        var response = uplift, anyResponse = false
        func unit(_ text: String) -> Int {
            if let i = index[text] { return i }
            units.append(text); index[text] = units.count - 1
            for a in arms.indices { uplift[a].append(.nan); response[a].append(.nan) }
            return units.count - 1
        }
        // The bound is the model's integer id from the store, never user text.
        try c.copyOutBinaryRows(SQLQuery(unsafeSQL: "COPY (SELECT unit, arm, uplift, response FROM scores WHERE model_id = \(id)) TO STDOUT (FORMAT binary)")) { row in
            var i = -1, k = -1
            try row.forEachField { field in
                switch field.index {
                case 0: i = unit(try field.string())
                case 1: k = armIndex[try field.string()] ?? -1
                case 2: if k >= 0 { uplift[k][i] = try field.double() }
                default: if k >= 0, field.bytes != nil { response[k][i] = try field.double(); anyResponse = true }
                }
            }
        }
        guard !units.isEmpty else { throw PlatformError("model \"\(name)\" has no scores yet; run model score \(name)") }
        var truth = [[Double]](repeating: [Double](repeating: .nan, count: units.count), count: arms.count), anyTruth = false
        try c.copyOutBinaryRows(SQLQuery(unsafeSQL: "COPY (SELECT unit, arm, tau FROM true_effects WHERE experiment_id = \(experiment)) TO STDOUT (FORMAT binary)")) { row in
            var i: Int? = nil, k: Int? = nil
            try row.forEachField { field in
                switch field.index {
                case 0: i = index[try field.string()]
                case 1: k = armIndex[try field.string()]
                default: if let i, let k { truth[k][i] = try field.double(); anyTruth = true }
                }
            }
        }
        let complete = anyTruth && !truth.contains { $0.contains { $0.isNaN } }
        return Scores(units: units, arms: arms, uplift: uplift, cost: uplift.map { $0.map { _ in .nan } },
                      response: anyResponse ? response : nil, trueUplift: complete ? truth : nil)
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

    /// The allocation problem a policy poses on scores.
    public static func plan(_ policy: Policy, scores s: Scores, on c: Connection) throws -> Plan {
        let missing = policy.arms.map(\.name).filter { !s.arms.contains($0) }
        guard missing.isEmpty else {
            throw PlatformError("policy \(policy.name): arm \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) not in the scores (they have \(s.arms.joined(separator: ", ")))")
        }
        let n = s.units.count, K = policy.arms.count
        let column = policy.arms.map { s.arms.firstIndex(of: $0.name)! } // never nil: checked above
        let holdout = try HoldoutSettings.current(on: c)
        let listed = Set(policy.excludeUnits)
        var segmentOf: [String: String] = [:]
        if let attribute = policy.segments.first?.attribute {
            segmentOf = try UnitImport.attribute(attribute, units: s.units, on: c)
        }
        let segmentIndex = Dictionary(uniqueKeysWithValues: policy.segments.enumerated().map { ($0.element.value, Int32($0.offset)) })
        var value = [Double](repeating: 0, count: n * K), cost = [Double](repeating: 0, count: n * K)
        var segment = [Int32](repeating: -1, count: n)
        var heldOut = 0, dogs = 0, excluded = 0, belowROI = 0
        var eligible = [Bool](repeating: true, count: n)
        for i in 0..<n {
            let unit = s.units[i]
            var blocked = false
            if let holdout, holdout.group(of: unit) == .heldOut { heldOut += 1; blocked = true; eligible[i] = false }
            else if listed.contains(unit) { excluded += 1; blocked = true; eligible[i] = false }
            else if policy.excludeNegativeUplift, column.allSatisfy({ s.uplift[$0][i] < 0 }) { dogs += 1; blocked = true }
            if let value = segmentOf[unit], let index = segmentIndex[value] { segment[i] = index }
            for k in 0..<K {
                let uplift = s.uplift[column[k]][i], given = s.cost[column[k]][i]
                let c = given.isNaN ? policy.arms[k].cost : given
                cost[i * K + k] = c
                guard !blocked, uplift.isFinite else { value[i * K + k] = -.infinity; continue }
                var v = uplift
                if policy.objective == .maxIncrementalProfit { v = uplift * (policy.valuePerConversion ?? 0) - c }
                if let minimum = policy.minIncrementalROI, c > 0 {
                    let roi = (uplift * (policy.valuePerConversion ?? 0) - c) / c
                    if roi < minimum { v = -.infinity; belowROI += 1 }
                }
                value[i * K + k] = v
            }
        }
        let problem: AllocationProblem
        do {
            problem = try AllocationProblem(units: n, arms: K, value: value, cost: cost, segment: segment, budget: policy.budget,
                                            segmentBudgets: policy.segments.map(\.budget), armCaps: policy.arms.map { $0.cap.map(Double.init) })
        } catch { throw PlatformError("policy \(policy.name): \(error)") }
        return Plan(policy: policy, units: s.units, problem: problem, heldOut: heldOut, sleepingDogs: dogs, listed: excluded, belowROI: belowROI,
                    eligible: eligible, columns: column)
    }

    public static func solve(_ plan: Plan, exact: Bool) throws -> Allocation {
        do { return exact ? try ExactSolver.solve(plan.problem) : try Solver.solve(plan.problem) } catch {
            throw PlatformError("policy \(plan.policy.name): \(error)")
        }
    }
}

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
        do { comparison = try IncrementalReport(input, choice: a.choice) } catch { throw PlatformError("policy \(policy.name): \(error)") }
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
        let arms = Dictionary(uniqueKeysWithValues: policy.arms.enumerated().map { ($0.element.name, $0.offset) })
        let sorted = cells.values.sorted { (order[$0.segment]!, arms[$0.arm]!) < (order[$1.segment]!, arms[$1.arm]!) }
        return Report(comparison: comparison, cells: sorted, budget: policy.budget, valuePerConversion: vpc)
    }
}

extension AllocationRun {
    public struct StoredRun: Sendable {
        public let id: Int64
        public let policy: String
        public let source: String
        public let units: Int
        public let treated: Int
        public let spend: Double
        public let value: Double
        public let lpBound: Double
        public let gap: Double
        public let certificate: Certificate
        public let arms: [(arm: String, units: Int, spend: Double, value: Double)]
        public let report: Summary?
        public let experiment: String?
    }

    /// Stores a solved plan in one transaction. Another `allocate` of the same policy running at the
    /// same time holds the policy's advisory lock: this one fails clearly instead of waiting.
    public static func store(_ plan: Plan, _ allocation: Allocation, source: String, report: Summary?, in store: Store) throws -> StoredRun {
        try store.connection.transaction { c in
            let decisions = Decisions(units: plan.units, arms: plan.policy.arms.map(\.name), choice: allocation.choice,
                                      cost: plan.problem.cost, value: plan.problem.value)
            return try write(decisions, policy: plan.policy.name, source: source, certificate: allocation.certificate, report: report,
                             experiment: nil, on: c)
        }
    }

    /// Every unit's arm (−1: none) with the cost and value of each option, `cost[i·arms + k]`.
    struct Decisions {
        var units: [String]
        var arms: [String]
        var choice: [Int32]
        var cost: [Double]
        var value: [Double]
    }

    static func write(_ d: Decisions, policy: String, source: String, certificate cert: Certificate, report: Summary?, experiment: String?,
                      on c: Connection) throws -> StoredRun {
        let locked = try c.query("SELECT pg_try_advisory_xact_lock(hashtext(\("allocate:" + policy)))").decodeOne(Bool.self)
        guard locked else { throw PlatformError("another allocation of policy \(policy) is being written; try again when it ends") }
        let K = d.arms.count
        var spend = 0.0, value = 0.0, treated = 0
        for i in d.choice.indices where d.choice[i] >= 0 {
            let j = i * K + Int(d.choice[i])
            spend += d.cost[j]; value += d.value[j]; treated += 1
        }
        let json = String(decoding: try JSONEncoder().encode(cert), as: UTF8.self)
        let reportJSON = try report.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let id = try c.query("""
            INSERT INTO allocation_runs (policy, source, units, treated, spend, value, lp_bound, gap, certificate, report, experiment)
            VALUES (\(policy), \(source), \(d.units.count), \(treated), \(spend), \(value), \(cert.dualBound), \(cert.gap), \(json)::jsonb,
                    \(reportJSON)::jsonb, \(experiment))
            RETURNING id
            """).decodeOne(Int64.self)
        _ = try c.copyIn("COPY allocations (unit, run_id, arm, cost, value) FROM STDIN") { writer in
            for i in d.choice.indices where d.choice[i] >= 0 {
                let k = Int(d.choice[i])
                try writer.writeRow(d.units[i], id, d.arms[k], d.cost[i * K + k], d.value[i * K + k])
            }
        }
        try c.execute("ANALYZE allocations")
        return try show(id, on: c)
    }

    public static func show(_ id: Int64, in store: Store) throws -> StoredRun { try show(id, on: store.connection) }

    static func show(_ id: Int64, on c: Connection) throws -> StoredRun {
        let rows = try c.query("""
            SELECT policy, source, units, treated, spend, value, lp_bound, gap, certificate::text, report::text, experiment
            FROM allocation_runs WHERE id = \(id)
            """).decode((String, String, Int, Int, Double, Double, Double, Double, String, String?, String?).self)
        guard let r = rows.first else { throw PlatformError("allocation run \(id) does not exist") }
        let certificate = try JSONDecoder().decode(Certificate.self, from: Data(r.8.utf8))
        let report = try r.9.map { try JSONDecoder().decode(Summary.self, from: Data($0.utf8)) }
        let arms = try c.query("""
            SELECT arm, count(*)::int, sum(cost), sum(value) FROM allocations WHERE run_id = \(id) GROUP BY arm ORDER BY arm
            """).decode((String, Int, Double, Double).self).map { (arm: $0.0, units: $0.1, spend: $0.2, value: $0.3) }
        return StoredRun(id: id, policy: r.0, source: r.1, units: r.2, treated: r.3, spend: r.4, value: r.5, lpBound: r.6, gap: r.7,
                         certificate: certificate, arms: arms, report: report, experiment: r.10)
    }
}

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
    public static func policyExperiment(_ name: String, policy: Policy, scores s: Scores, source: String, exact: Bool, seed: UInt64,
                                        in store: Store) throws -> PolicyExperiment {
        try store.connection.transaction { c in
            let inner = Store(connection: c)
            var definition = ExperimentCatalog.Definition(name: name, arms: [Arm(name: "random-policy", weight: 50), Arm(name: "uplift-policy", weight: 50)])
            definition.seed = "policy:\(name)"
            _ = try ExperimentCatalog.create(definition, in: inner)
            _ = try ExperimentCatalog.start(name, in: inner)
            let assigned = try Assigner.assignBulk(name, units: s.units.map { ($0, 0) }, source: source, in: inner)
            let experiment = try Experiment.load(name, on: c)
            var arm: [String: String] = [:]
            try c.copyOutRows(SQLQuery(unsafeSQL: "COPY (SELECT unit, arm FROM assignments WHERE experiment_id = \(experiment.id) AND arm IS NOT NULL) TO STDOUT")) { row in
                let (unit, a) = try row.decode((String, String).self)
                arm[unit] = a
            }
            var half = policy
            half.budget = policy.budget / 2
            half.segments = policy.segments.map { Policy.Segment(attribute: $0.attribute, value: $0.value, budget: $0.budget / 2) }
            half.arms = policy.arms.map { var a = $0; a.cap = $0.cap.map { $0 / 2 }; return a }
            func subset(_ policyArm: String) -> Scores {
                let rows = s.units.indices.filter { arm[s.units[$0]] == policyArm }
                func pick(_ m: [[Double]]) -> [[Double]] { m.map { column in rows.map { column[$0] } } }
                return Scores(units: rows.map { s.units[$0] }, arms: s.arms, uplift: pick(s.uplift), cost: pick(s.cost),
                              response: s.response.map(pick), trueUplift: s.trueUplift.map(pick))
            }
            let upliftScores = subset("uplift-policy"), randomScores = subset("random-policy")
            let plan = try AllocationRun.plan(half, scores: upliftScores, on: c)
            let allocation = try AllocationRun.solve(plan, exact: exact)
            let randomPlan = try AllocationRun.plan(half, scores: randomScores, on: c)
            let randomChoice = randomTargeting(randomPlan, seed: seed)
            let report = try AllocationRun.report(plan, scores: upliftScores, allocation: allocation)
            func tally(_ p: Plan, _ choice: [Int32], _ scores: Scores) -> (Int, Double, Double) {
                var n = 0, spend = 0.0, conversions = 0.0
                for i in choice.indices where choice[i] >= 0 {
                    let k = Int(choice[i])
                    n += 1; spend += p.problem.cost[i * p.problem.arms + k]; conversions += scores.uplift[p.columns[k]][i]
                }
                return (n, spend, conversions)
            }
            // One run holds both halves' decisions; its certificate is the uplift half's.
            let decisions = Decisions(units: plan.units + randomPlan.units, arms: policy.arms.map(\.name),
                                      choice: allocation.choice + randomChoice,
                                      cost: plan.problem.cost + randomPlan.problem.cost,
                                      value: objectiveValues(plan, upliftScores) + objectiveValues(randomPlan, randomScores))
            let run = try write(decisions, policy: policy.name, source: source, certificate: allocation.certificate,
                                report: report.summary, experiment: name, on: c)
            let u = tally(plan, allocation.choice, upliftScores), r = tally(randomPlan, randomChoice, randomScores)
            let counts = Dictionary(uniqueKeysWithValues: assigned.arms.map { ($0.name, $0.count) })
            return PolicyExperiment(experiment: name, plan: plan, allocation: allocation, run: run,
                                    units: (counts["random-policy"] ?? 0, counts["uplift-policy"] ?? 0, assigned.heldOut),
                                    random: r, uplift: u)
        }
    }

    /// Eligible units in a seeded random order, each offered one uniformly drawn arm, taken when it
    /// fits every row of the plan's problem (budget, segment budgets, caps).
    static func randomTargeting(_ plan: Plan, seed: UInt64) -> [Int32] {
        let p = plan.problem, rows = p.rows
        var left = rows.map { p.limit($0) }
        var g = SplitMix64(seed: seed)
        var order = plan.eligible.indices.filter { plan.eligible[$0] }
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

    /// The objective's value of every option from the uplift alone (no exclusions): what a decision
    /// is expected to be worth, whoever made it.
    static func objectiveValues(_ plan: Plan, _ s: Scores) -> [Double] {
        let p = plan.problem, K = p.arms, vpc = plan.policy.valuePerConversion ?? 0
        var value = [Double](repeating: 0, count: p.units * K)
        for i in 0..<p.units {
            for k in 0..<K {
                let uplift = s.uplift[plan.columns[k]][i]
                guard uplift.isFinite else { continue }
                value[i * K + k] = plan.policy.objective == .maxIncrementalProfit ? uplift * vpc - p.cost[i * K + k] : uplift
            }
        }
        return value
    }
}
