import Foundation
import Postgres
import Randomization

/// `experiment export --format growthbook`: the payload GrowthBook's SDKs fetch from their API host
/// (`GET /api/features/KEY`), with one feature per experiment whose only rule is an experiment rule,
/// so that any app with a GrowthBook SDK assigns exactly as `assign` does.
///
/// - The feature's key and the rule's tracking key are the experiment's name; the variations are the
///   arm names (the meta gives each its name as key), the weights and coverage Causeway's, and the
///   bucket ranges Causeway computes are sent as they are (`ranges`), so no SDK recomputes them.
/// - The seed, hash version and phase are the current phase's.
/// - The universal holdout is a filter: GrowthBook's SDKs include a unit only when
///   `hash("__holdout__" + seed, id, 2)` lies in `[P/100, 1)`, which is exactly the units Causeway does
///   not hold out. A layer is a second filter (`hash("__" + layer, id, 1)` in the experiment's range,
///   GrowthBook's namespace test), since SDKs skip `namespace` when a rule has filters.
/// - A cluster design hashes the cluster attribute: `hashAttribute` is the mapping's name, which the
///   app sends with the unit's cluster as its value.
/// - Refused: switchbacks (time-window assignment is not in the SDK's model; `assign … --at` serves
///   them), and experiments whose weights changed within the phase: their earlier units keep their
///   arm in Causeway but would hash afresh under the new weights in an SDK (a new phase re-randomizes
///   on purpose and can be exported).
public enum GrowthBookExport {
    public struct Payload: Sendable {
        /// The JSON document, keys sorted, as served.
        public let json: Data
        /// The experiments in it, in name order.
        public let experiments: [String]
    }

    /// The payload for the named experiments, or for every running one when none is named (then an
    /// experiment that cannot be exported is left out and listed in `skipped` with the reason).
    public static func payload(names: [String] = [], in store: Store) throws -> (payload: Payload, skipped: [(String, String)]) {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            let experiments: [Experiment]
            if names.isEmpty {
                experiments = try Experiment.loadAll(on: c).filter { $0.status == .running }
            } else {
                experiments = try names.map { try Experiment.load($0, on: c) }
            }
            let holdout = try HoldoutSettings.current(on: c)
            let changed = Set(try c.query("""
                SELECT w.experiment_id FROM arm_weights w JOIN experiments e ON e.id = w.experiment_id AND e.phase = w.phase
                GROUP BY w.experiment_id HAVING count(DISTINCT w.weights) > 1
                """).decode(Int64.self))
            var features: [String: Any] = [:]
            var included: [String] = []
            var skipped: [(String, String)] = []
            for e in experiments.sorted(by: { $0.name < $1.name }) {
                do {
                    features[e.name] = try feature(e, holdout: holdout, weightsChanged: changed.contains(e.id))
                    included.append(e.name)
                } catch let error as PlatformError where names.isEmpty {
                    skipped.append((e.name, error.description))
                }
            }
            let document: [String: Any] = ["status": 200, "features": features, "experiments": [Any](),
                                           "dateUpdated": ISO8601DateFormatter().string(from: Date())]
            let json = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
            return (Payload(json: json, experiments: included), skipped)
        }
    }

    /// One experiment as a feature with one experiment rule.
    static func feature(_ e: Experiment, holdout: Holdout?, weightsChanged: Bool) throws -> [String: Any] {
        switch e.design {
        case .switchback:
            throw PlatformError(.wrongState, "experiment \"\(e.name)\" is a switchback: GrowthBook's SDKs assign by unit, not by region and time window; assign its units with assign \(e.name) UNIT --at TIME --region R")
        case .user, .cluster:
            break
        }
        if weightsChanged {
            throw PlatformError(.wrongState, "experiment \"\(e.name)\" changed its weights in phase \(e.phase): units assigned before keep their arm here but an SDK would hash them under the new weights; start a new phase (experiment phase \(e.name)) to export it")
        }
        let split = try e.userSplit()
        var filters: [[String: Any]] = []
        if let holdout, holdout.percent > 0 {
            filters.append(["seed": "__holdout__" + holdout.seed, "hashVersion": 2, "attribute": "id",
                            "ranges": [[holdout.percent / 100, 1]]])
        }
        var rule: [String: Any] = [
            "id": "causeway-\(e.id)-\(e.phase)", "key": e.name, "name": e.name,
            "variations": e.arms.map(\.name), "weights": Arm.fractions(e.arms), "coverage": e.coverage,
            "ranges": split.ranges.ranges.map { [$0.lower, $0.upper] },
            "hashVersion": e.hashVersion.rawValue, "seed": e.seed, "phase": String(e.phase),
            "hashAttribute": e.design == .cluster ? (e.parameters.clusters ?? "cluster") : "id",
            "meta": e.arms.map { ["key": $0.name, "name": $0.name] },
        ]
        if let layer = e.layer {
            rule["namespace"] = [layer.id, layer.start, layer.end]
            filters.append(["seed": "__" + layer.id, "hashVersion": 1, "attribute": "id", "ranges": [[layer.start, layer.end]]])
        }
        if !filters.isEmpty { rule["filters"] = filters }
        return ["defaultValue": NSNull(), "rules": [rule]]
    }

    /// A short fingerprint of everything the payload and the keys depend on, for the server to poll
    /// (one cheap query a second) and rebuild its payload only when it changes.
    public static func fingerprint(in store: Store) throws -> String {
        try store.connection.query("""
            SELECT md5(coalesce((SELECT string_agg(concat_ws('|', id, name, status, phase, seed, hash_version, coverage, layer,
                                                           range_start, range_end, design, design_params::text), ',' ORDER BY id)
                                 FROM experiments), '')
                       || coalesce((SELECT string_agg(concat_ws('|', experiment_id, position, name, weight), ',' ORDER BY experiment_id, position)
                                    FROM arms), '')
                       || coalesce((SELECT string_agg(concat_ws('|', experiment_id, phase, valid_from, weights::text), ',' ORDER BY experiment_id, phase, valid_from)
                                    FROM arm_weights), '')
                       || coalesce((SELECT concat_ws('|', percent, seed) FROM holdout), '')
                       || coalesce((SELECT string_agg(concat_ws('|', id, revoked_at), ',' ORDER BY id) FROM serve_keys), ''))
            """).decodeOne(String.self)
    }
}
