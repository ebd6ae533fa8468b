import Allocation
import Foundation
import Postgres
import Randomization

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
    }

    /// Long-format scores: `unit,arm,uplift[,cost]`, one row per unit and arm.
    public static func scores(csv path: String) throws -> Scores {
        let file = try CSVFile(path: path, required: ["unit", "arm", "uplift"])
        let u = file.column("unit")!, a = file.column("arm")!, v = file.column("uplift")! // never nil: required
        let c = file.column("cost")
        var unitIndex: [String: Int] = [:], armIndex: [String: Int] = [:]
        var units: [String] = [], arms: [String] = []
        var entries: [(Int, Int, Double, Double)] = []
        var seen = Set<String>()
        for record in file.records {
            let unit = record.fields[u], arm = record.fields[a]
            guard !unit.isEmpty, !arm.isEmpty else { throw PlatformError("\(path):\(record.line): unit and arm must not be empty") }
            guard seen.insert(unit + "\u{1F}" + arm).inserted else { throw PlatformError("\(path):\(record.line): unit \"\(unit)\", arm \"\(arm)\" is listed twice") }
            let text = record.fields[v].trimmingCharacters(in: .whitespaces)
            guard let uplift = Double(text), uplift.isFinite else {
                throw PlatformError("\(path):\(record.line): field \"uplift\" is \"\(text)\", not a finite number")
            }
            var cost = Double.nan
            if let c, !record.fields[c].isEmpty {
                guard let value = Double(record.fields[c]), value.isFinite, value >= 0 else {
                    throw PlatformError("\(path):\(record.line): field \"cost\" is \"\(record.fields[c])\"; costs must be numbers at least 0")
                }
                cost = value
            }
            let i = unitIndex[unit] ?? { units.append(unit); unitIndex[unit] = units.count - 1; return units.count - 1 }()
            let k = armIndex[arm] ?? { arms.append(arm); armIndex[arm] = arms.count - 1; return arms.count - 1 }()
            entries.append((i, k, uplift, cost))
        }
        var uplift = [[Double]](repeating: [Double](repeating: .nan, count: units.count), count: arms.count)
        var cost = uplift
        for (i, k, value, c) in entries { uplift[k][i] = value; cost[k][i] = c }
        for k in arms.indices {
            if let i = uplift[k].firstIndex(where: { $0.isNaN }) {
                throw PlatformError("\(path): unit \"\(units[i])\" has no uplift for arm \"\(arms[k])\"")
            }
        }
        return Scores(units: units, arms: arms, uplift: uplift, cost: cost)
    }

    /// The scores a model wrote with `model score`.
    public static func scores(model name: String, on c: Connection) throws -> Scores {
        let (model, _) = try ModelRegistry.load(name, on: c)
        let id = try c.query("SELECT id FROM models WHERE name = \(name)").decodeOne(Int32.self)
        let arms = Array(model.arms.dropFirst())
        var index: [String: Int] = [:], units: [String] = []
        var uplift = [[Double]](repeating: [], count: arms.count)
        let rows = try c.query("SELECT unit, arm, uplift FROM scores WHERE model_id = \(id) ORDER BY unit").decode((String, String, Double).self)
        guard !rows.isEmpty else { throw PlatformError("model \"\(name)\" has no scores yet; run model score \(name)") }
        for (unit, arm, value) in rows {
            guard let k = arms.firstIndex(of: arm) else { continue }
            let i = index[unit] ?? {
                units.append(unit); index[unit] = units.count - 1
                for a in arms.indices { uplift[a].append(.nan) }
                return units.count - 1
            }()
            uplift[k][i] = value
        }
        return Scores(units: units, arms: arms, uplift: uplift, cost: uplift.map { $0.map { _ in .nan } })
    }

    public struct Plan: Sendable {
        public let policy: Policy
        public let units: [String]
        public let problem: AllocationProblem
        public let heldOut: Int
        public let sleepingDogs: Int
        public let listed: Int
        public let belowROI: Int
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
        for i in 0..<n {
            let unit = s.units[i]
            var blocked = false
            if let holdout, holdout.group(of: unit) == .heldOut { heldOut += 1; blocked = true }
            else if listed.contains(unit) { excluded += 1; blocked = true }
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
        return Plan(policy: policy, units: s.units, problem: problem, heldOut: heldOut, sleepingDogs: dogs, listed: excluded, belowROI: belowROI)
    }

    public static func solve(_ plan: Plan, exact: Bool) throws -> Allocation {
        do { return exact ? try ExactSolver.solve(plan.problem) : try Solver.solve(plan.problem) } catch {
            throw PlatformError("policy \(plan.policy.name): \(error)")
        }
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
    }

    /// Stores a solved plan in one transaction. Another `allocate` of the same policy running at the
    /// same time holds the policy's advisory lock: this one fails clearly instead of waiting.
    public static func store(_ plan: Plan, _ allocation: Allocation, source: String, in store: Store) throws -> StoredRun {
        try store.connection.transaction { c in
            let locked = try c.query("SELECT pg_try_advisory_xact_lock(hashtext(\("allocate:" + plan.policy.name)))").decodeOne(Bool.self)
            guard locked else { throw PlatformError("another allocation of policy \(plan.policy.name) is being written; try again when it ends") }
            let p = plan.problem, cert = allocation.certificate
            let (value, _) = p.totals(allocation.choice)
            var spend = 0.0, treated = 0
            for i in 0..<p.units where allocation.choice[i] >= 0 { spend += p.cost[i * p.arms + Int(allocation.choice[i])]; treated += 1 }
            let json = String(decoding: try JSONEncoder().encode(cert), as: UTF8.self)
            let id = try c.query("""
                INSERT INTO allocation_runs (policy, source, units, treated, spend, value, lp_bound, gap, certificate)
                VALUES (\(plan.policy.name), \(source), \(p.units), \(treated), \(spend), \(value), \(cert.dualBound), \(cert.gap), \(json)::jsonb)
                RETURNING id
                """).decodeOne(Int64.self)
            _ = try c.copyIn("COPY allocations (unit, run_id, arm, cost, value) FROM STDIN") { writer in
                for i in 0..<p.units where allocation.choice[i] >= 0 {
                    let k = Int(allocation.choice[i])
                    try writer.writeRow(plan.units[i], id, plan.policy.arms[k].name, p.cost[i * p.arms + k], p.value[i * p.arms + k])
                }
            }
            try c.execute("ANALYZE allocations")
            return try show(id, on: c)
        }
    }

    public static func show(_ id: Int64, in store: Store) throws -> StoredRun { try show(id, on: store.connection) }

    static func show(_ id: Int64, on c: Connection) throws -> StoredRun {
        let rows = try c.query("""
            SELECT policy, source, units, treated, spend, value, lp_bound, gap, certificate::text FROM allocation_runs WHERE id = \(id)
            """).decode((String, String, Int, Int, Double, Double, Double, Double, String).self)
        guard let r = rows.first else { throw PlatformError("allocation run \(id) does not exist") }
        let certificate = try JSONDecoder().decode(Certificate.self, from: Data(r.8.utf8))
        let arms = try c.query("""
            SELECT arm, count(*)::int, sum(cost), sum(value) FROM allocations WHERE run_id = \(id) GROUP BY arm ORDER BY arm
            """).decode((String, Int, Double, Double).self).map { (arm: $0.0, units: $0.1, spend: $0.2, value: $0.3) }
        return StoredRun(id: id, policy: r.0, source: r.1, units: r.2, treated: r.3, spend: r.4, value: r.5, lpBound: r.6, gap: r.7,
                         certificate: certificate, arms: arms)
    }
}
