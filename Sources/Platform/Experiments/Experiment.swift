import Foundation
import Postgres
import Randomization

/// An experiment as stored: its design, arms and lifecycle.
public struct Experiment: Sendable {
    public enum Design: String, Sendable, CaseIterable { case user, switchback, cluster }
    public enum Status: String, Sendable { case draft, running, stopped }

    public var id: Int64
    public var name: String
    public var unitType: String
    public var design: Design
    public var arms: [Arm]
    public var seed: String
    public var hashVersion: HashVersion
    public var coverage: Double
    public var layer: Namespace?
    public var status: Status
    public var phase: Int
    public var parameters: DesignParameters
    public var createdAt: Date
    public var startedAt: Date?
    public var stoppedAt: Date?

    /// Design parameters kept in `experiments.design_params` (JSON).
    public struct DesignParameters: Sendable, Codable, Equatable {
        public var regions: [String]?
        public var windowSeconds: Int64?
        public var burnInSeconds: Int64?
        public var carryover: Int?
        public var periods: Int?
        /// Unix seconds of the first period (set when the experiment starts, unless given).
        public var start: Int64?
        /// The unit → cluster mapping a cluster design uses.
        public var clusters: String?
        /// True when arms were not randomized (simulated confounded data): uplift models estimate propensities.
        public var observational: Bool?
        /// Cost of each treatment arm (a voucher's face value), index 0 for the first arm after control.
        public var armCosts: [Double]?

        public init(regions: [String]? = nil, windowSeconds: Int64? = nil, burnInSeconds: Int64? = nil, carryover: Int? = nil,
                    periods: Int? = nil, start: Int64? = nil, clusters: String? = nil) {
            self.regions = regions
            self.windowSeconds = windowSeconds
            self.burnInSeconds = burnInSeconds
            self.carryover = carryover
            self.periods = periods
            self.start = start
            self.clusters = clusters
        }

        var json: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            // never fails: a struct of optionals, strings and integers
            return String(decoding: try! encoder.encode(self), as: UTF8.self)
        }
    }

    /// The user split (or the cluster split's per-cluster draw) for the current phase.
    public func userSplit() throws -> UserSplit {
        do { return try UserSplit(arms: arms, seed: seed, hashVersion: hashVersion, coverage: coverage, layer: layer) } catch {
            throw PlatformError.computation("experiment \"\(name)\": ", error)
        }
    }

    /// The switchback design; `start` falls back to the start time, then to `now`.
    public func switchbackDesign(now: Date = Date()) throws -> SwitchbackDesign {
        guard design == .switchback, let window = parameters.windowSeconds else {
            throw PlatformError("experiment \"\(name)\" is not a switchback")
        }
        let start = parameters.start ?? Int64((startedAt ?? now).timeIntervalSince1970.rounded(.down))
        do {
            return try SwitchbackDesign(arms: arms, seed: seed, hashVersion: hashVersion, windowSeconds: window,
                                        burnInSeconds: parameters.burnInSeconds ?? 0, carryover: parameters.carryover,
                                        periods: parameters.periods, start: start)
        } catch {
            throw PlatformError.computation("experiment \"\(name)\": ", error)
        }
    }

    /// `control:50,treatment:50`.
    public var armList: String {
        arms.map { "\($0.name):\(Self.number($0.weight))" }.joined(separator: ",")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension Experiment {
    static let columns = """
        id, name, unit_type, design, design_params::text, seed, hash_version::int, coverage, layer, range_start, range_end,
        status, phase, created_at, started_at, stopped_at
        """

    /// Loads one experiment by name (and its arms), or throws "does not exist". `lock` takes the
    /// row FOR UPDATE (writers that change it or assign in bulk: one at a time); `share` takes it
    /// FOR SHARE (single assignments: many at once, never beside a bulk assignment or a change of
    /// weights), until the transaction ends.
    static func load(_ name: String, on connection: Connection, lock: Bool = false, share: Bool = false) throws -> Experiment {
        let clause = lock ? "FOR UPDATE" : share ? "FOR SHARE" : ""
        let rows = try connection.query("""
            SELECT \(unsafeRaw: columns) FROM experiments WHERE name = \(name) \(unsafeRaw: clause)
            """)
        guard rows.count == 1 else { throw PlatformError(.notFound, "experiment \"\(name)\" does not exist") }
        return try decode(rows[0], on: connection)
    }

    /// Every experiment, by name.
    static func loadAll(on connection: Connection) throws -> [Experiment] {
        let rows = try connection.query("SELECT \(unsafeRaw: columns) FROM experiments ORDER BY name")
        return try rows.map { try decode($0, on: connection) }
    }

    private static func decode(_ row: Row, on connection: Connection) throws -> Experiment {
        let (id, name, unitType, design, params, seed, hashVersion, coverage, layer, rangeStart, rangeEnd,
             status, phase, createdAt, startedAt, stoppedAt) = try row.decode(
            (Int64, String, String, String, String, String, Int, Double, String?, Double?, Double?,
             String, Int, Date, Date?, Date?).self)
        let arms = try connection.query("SELECT name, weight FROM arms WHERE experiment_id = \(id) ORDER BY position")
            .decode((String, Double).self).map { Arm(name: $0.0, weight: $0.1) }
        let parameters = try JSONDecoder().decode(DesignParameters.self, from: Data(params.utf8))
        var namespace: Namespace?
        if let layer, let rangeStart, let rangeEnd { namespace = Namespace(id: layer, start: rangeStart, end: rangeEnd) }
        return Experiment(
            id: id, name: name, unitType: unitType, design: Design(rawValue: design) ?? .user, arms: arms, seed: seed,
            hashVersion: HashVersion(rawValue: hashVersion) ?? .v2, coverage: coverage, layer: namespace,
            status: Status(rawValue: status) ?? .draft, phase: phase, parameters: parameters,
            createdAt: createdAt, startedAt: startedAt, stoppedAt: stoppedAt)
    }
}
