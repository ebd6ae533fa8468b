import Exposure
import Foundation
import Postgres
import Randomization

/// An experiment laid on a stored graph: each node's arm (1 treated, 0 control, −1 neither), and
/// the experiment's design ready to be re-run with fresh salts.
struct ExperimentOnGraph {
    let experiment: Experiment
    let loaded: GraphStore.Loaded
    let treatedArm: Int
    /// Per node: 1 treated, 0 control, −1 not in the contrast (held out, never assigned, another arm).
    let arm: [Int8]
    /// Per node: the key the design hashes (the unit, or its cluster's index into `clusterKeys`),
    /// −1 for a node the design never drew (held out or never assigned).
    let drawKey: [Int32]
    let clusterKeys: [String]?
    let heldOut: Int

    var graph: Graph { loaded.graph }

    static func load(_ e: Experiment, graph: String, arm armName: String?, on c: Connection) throws -> ExperimentOnGraph {
        let name = e.name
        guard e.design != .switchback else {
            throw PlatformError("experiment \"\(name)\" is a switchback: its units are region-time windows, not nodes of a graph")
        }
        guard e.status != .draft else { throw PlatformError("experiment \"\(name)\" is draft; start it and assign units first") }
        let info = try GraphStore.info(graph, on: c)
        guard info.unitType == e.unitType else {
            throw PlatformError("graph \"\(graph)\" links units of type \"\(info.unitType)\" but experiment \"\(name)\" randomizes \"\(e.unitType)\"")
        }
        let treated: Int
        if let armName {
            guard let k = e.arms.firstIndex(where: { $0.name == armName }) else {
                throw PlatformError("experiment \"\(name)\" has no arm \"\(armName)\" (arms: \(e.arms.map(\.name).joined(separator: ",")))")
            }
            guard k > 0 else { throw PlatformError("\(.arm) names the treated arm; \"\(armName)\" is the control arm") }
            treated = k
        } else {
            treated = 1
        }
        var assigned: [(String, String?)] = []
        try c.copyOutBinaryRows("""
            COPY (SELECT unit, arm FROM assignments WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase))) TO STDOUT (FORMAT binary)
            """) { row in
            var unit = "", arm: String?
            try row.forEachField { field in
                if field.index == 0 { unit = try field.string() } else if field.bytes != nil { arm = try field.string() }
            }
            assigned.append((unit, arm))
        }
        guard !assigned.isEmpty else { throw PlatformError("experiment \"\(name)\" has no assigned units") }
        let loaded = try GraphStore.load(graph, extraUnits: assigned.map(\.0), on: c)
        let n = loaded.graph.nodes
        var arm = [Int8](repeating: -1, count: n)
        var drawn = [Bool](repeating: false, count: n)
        let position = armIndex(e.arms.map(\.name))
        var heldOut = 0
        for (unit, a) in assigned {
            let i = loaded.index[unit]! // every assigned unit is a node: added above
            guard let a else { heldOut += 1; continue }
            drawn[i] = true
            arm[i] = code(position[a], treated: treated)
        }
        var drawKey = [Int32](repeating: -1, count: n)
        var clusterKeys: [String]?
        if e.design == .cluster {
            let mapping = e.parameters.clusters ?? "default"
            var keyIndex: [String: Int32] = [:], keys: [String] = []
            for (unit, cluster) in try c.query("SELECT unit, cluster FROM unit_clusters WHERE mapping = \(mapping)").decode((String, String).self) {
                guard let i = loaded.index[unit], drawn[i] else { continue }
                if keyIndex[cluster] == nil { keyIndex[cluster] = Int32(keys.count); keys.append(cluster) }
                drawKey[i] = keyIndex[cluster]! // never nil: set just above
            }
            if let i = drawn.indices.first(where: { drawn[$0] && drawKey[$0] < 0 }) {
                throw PlatformError("unit \"\(loaded.units[i])\" is assigned but has no cluster in mapping \"\(mapping)\"")
            }
            clusterKeys = keys
        } else {
            for i in 0..<n where drawn[i] { drawKey[i] = Int32(i) }
        }
        return ExperimentOnGraph(experiment: e, loaded: loaded, treatedArm: treated, arm: arm, drawKey: drawKey,
                                 clusterKeys: clusterKeys, heldOut: heldOut)
    }

    /// Draw r of the design with a fresh salt: the experiment's arms, weights, coverage and layer,
    /// hashed with seed "SEED|exposure-replicate-r"; clusters drawn once each.
    func draw() throws -> @Sendable (Int) -> [Int8] {
        let e = experiment, treated = treatedArm, drawKey = drawKey
        let keys = clusterKeys ?? loaded.units
        _ = try e.userSplit() // validates the arms once; the replicates use the same parameters
        return { r in
            // Never fails: the same arms, coverage and layer were validated above.
            let split = try! UserSplit(arms: e.arms, seed: "\(e.seed)|exposure-replicate-\(r)", hashVersion: e.hashVersion,
                                       coverage: e.coverage, layer: e.layer)
            let codes = keys.map { ExperimentOnGraph.code(split.assign($0), treated: treated) }
            return drawKey.map { $0 < 0 ? -1 : codes[Int($0)] }
        }
    }

    /// An arm index as the exposure code: 1 the treated arm, 0 control (arm 0), −1 any other or none.
    static func code(_ arm: Int?, treated: Int) -> Int8 { arm == treated ? 1 : arm == 0 ? 0 : -1 }
}
