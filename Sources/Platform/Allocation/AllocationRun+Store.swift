import Allocation
import Foundation
import Postgres

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

    /// Stores a solved plan. Another `allocate` of the same policy writing at the same time holds the
    /// policy's advisory lock: this one fails clearly instead of waiting.
    static func write(_ plan: Plan, _ allocation: Allocation, source: String, report: Summary?, on c: Connection) throws -> StoredRun {
        let decisions = Decisions(units: plan.units, arms: plan.policy.arms.map(\.name), choice: allocation.choice,
                                  cost: plan.problem.cost, value: plan.problem.value)
        return try write(decisions, policy: plan.policy.name, source: source, certificate: allocation.certificate, report: report,
                         experiment: nil, on: c)
    }

    /// Every unit's arm (−1: none) with the cost and value of each option, `cost[i·arms + k]`.
    struct Decisions {
        var units: [String]
        var arms: [String]
        var choice: [Int32]
        var cost: [Double]
        var value: [Double]

        /// Units treated, spend and value.
        var tally: (units: Int, spend: Double, value: Double) { AllocationProblem.tally(choice, arms: arms.count, cost: cost, value: value) }
    }

    static func write(_ d: Decisions, policy: String, source: String, certificate cert: Certificate, report: Summary?, experiment: String?,
                      on c: Connection) throws -> StoredRun {
        let locked = try c.query("SELECT pg_try_advisory_xact_lock(hashtext(\("allocate:" + policy)))").decodeOne(Bool.self)
        guard locked else { throw PlatformError(.conflict, "another allocation of policy \(policy) is being written; try again when it ends") }
        let K = d.arms.count
        let (treated, spend, value) = d.tally
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

    /// A stored run, read in one snapshot.
    public static func show(_ id: Int64, in store: Store) throws -> StoredRun {
        try store.connection.transaction(.repeatableRead, readOnly: true) { try show(id, on: $0) }
    }

    static func show(_ id: Int64, on c: Connection) throws -> StoredRun {
        let rows = try c.query("""
            SELECT policy, source, units, treated, spend, value, lp_bound, gap, certificate::text, report::text, experiment
            FROM allocation_runs WHERE id = \(id)
            """).decode((String, String, Int, Int, Double, Double, Double, Double, String, String?, String?).self)
        guard let r = rows.first else { throw PlatformError(.notFound, "allocation run \(id) does not exist") }
        let certificate = try JSONDecoder().decode(Certificate.self, from: Data(r.8.utf8))
        let report = try r.9.map { try JSONDecoder().decode(Summary.self, from: Data($0.utf8)) }
        let arms = try c.query("""
            SELECT arm, count(*)::int, sum(cost), sum(value) FROM allocations WHERE run_id = \(id) GROUP BY arm ORDER BY arm
            """).decode((String, Int, Double, Double).self).map { (arm: $0.0, units: $0.1, spend: $0.2, value: $0.3) }
        return StoredRun(id: id, policy: r.0, source: r.1, units: r.2, treated: r.3, spend: r.4, value: r.5, lpBound: r.6, gap: r.7,
                         certificate: certificate, arms: arms, report: report, experiment: r.10)
    }
}

