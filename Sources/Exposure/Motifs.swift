import Dispatch
import Stats

/// Each ego's network motifs under an assignment (Yuan, Altenburger & Kooti, "Causal Network
/// Motifs", WWW 2021): its treated and control neighbours, and the triads it centres — pairs of
/// its neighbours, closed when the two alters are linked, open otherwise — by how many of the two
/// alters are treated. Normalised per shape: x(shape, t) = count(shape, t treated) / count(shape).
public struct MotifCensus: Sendable {
    public var degree: [Int32]
    public var treatedNeighbours: [Int32]
    /// closed[t][ego], open[t][ego]: triads with t ∈ {0, 1, 2} treated alters.
    public var closed: [[Int64]]
    public var open: [[Int64]]

    public var nodes: Int { degree.count }

    /// The fraction of the ego's neighbours that are treated (0 for an isolated node).
    public func treatedFraction(_ i: Int) -> Double { degree[i] > 0 ? Double(treatedNeighbours[i]) / Double(degree[i]) : 0 }

    /// The normalised motif vector: treated fraction of neighbours, then closed and open triads'
    /// shares with 0, 1 and 2 treated alters (0 where the ego has no triad of that shape).
    public func vector(_ i: Int) -> [Double] {
        let c = closed.map { Double($0[i]) }, o = open.map { Double($0[i]) }
        let cs = c.reduce(0, +), os = o.reduce(0, +)
        return [treatedFraction(i)] + c.map { cs > 0 ? $0 / cs : 0 } + o.map { os > 0 ? $0 / os : 0 }
    }

    public static let vectorNames = ["treated_fraction", "closed_0", "closed_1", "closed_2", "open_0", "open_1", "open_2"]

    /// The ego's exposure as Yuan et al. describe it: its own arm (1 treated) as one more dimension
    /// before the normalised motif vector.
    public func exposureVector(_ i: Int, ownArmTreated: Bool) -> [Double] { [ownArmTreated ? 1 : 0] + vector(i) }

    public static let exposureNames = ["own_arm"] + vectorNames

    /// The census of every node. Closed triads: for each neighbour j of the ego, the neighbours it
    /// shares with the ego (a merge of two sorted lists), each pair seen twice; open triads are the
    /// remaining pairs, C(t,2), t·c and C(c,2) by treated count. Runs on `threads` threads.
    public static func census(_ g: Graph, treated: [Bool], threads: Int = 2) -> MotifCensus {
        let n = g.nodes
        let z: [UInt8] = treated.map { $0 ? 1 : 0 }
        let chunks = max(1, min(threads * 8, n / 1024 + 1))
        // Per node: degree, treated neighbours, closed 0/1/2, open 0/1/2.
        var stats = [Int64](repeating: 0, count: n * 8)
        let outOffsets = g.offsets, out = g.targets, linkedOffsets = g.linkedOffsets, linked = g.linkedTargets
        stats.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return } // nil only for an empty buffer: nothing to fill
            let result = Shared(base)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                out.withUnsafeBufferPointer { out in
                    linked.withUnsafeBufferPointer { linked in
                        z.withUnsafeBufferPointer { z in
                            for i in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
                                let a = outOffsets[i], b = outOffsets[i + 1]
                                var t = 0
                                for p in a..<b { t += Int(z[Int(out[p])]) }
                                var shared0 = 0, shared1 = 0, shared2 = 0
                                for p in a..<b {
                                    let j = Int(out[p]), zj = Int(z[j])
                                    // Merge N(i) with the alters j is linked to.
                                    var x = a, y = linkedOffsets[j]
                                    let yEnd = linkedOffsets[j + 1]
                                    while x < b && y < yEnd {
                                        let u = out[x], v = linked[y]
                                        if u < v { x += 1 } else if u > v { y += 1 } else {
                                            switch zj + Int(z[Int(u)]) {
                                            case 0: shared0 += 1
                                            case 1: shared1 += 1
                                            default: shared2 += 1
                                            }
                                            x += 1; y += 1
                                        }
                                    }
                                }
                                let d = b - a, c = d - t
                                // Each closed pair {j, k} was seen from j and from k.
                                let k0 = shared0 / 2, k1 = shared1 / 2, k2 = shared2 / 2
                                let row = result.pointer + i * 8
                                row[0] = Int64(d); row[1] = Int64(t)
                                row[2] = Int64(k0); row[3] = Int64(k1); row[4] = Int64(k2)
                                row[5] = Int64(c * (c - 1) / 2 - k0)
                                row[6] = Int64(t * c - k1)
                                row[7] = Int64(t * (t - 1) / 2 - k2)
                            }
                        }
                    }
                }
            }
        }
        func column(_ k: Int) -> [Int64] { (0..<n).map { stats[$0 * 8 + k] } }
        return MotifCensus(degree: (0..<n).map { Int32(stats[$0 * 8]) }, treatedNeighbours: (0..<n).map { Int32(stats[$0 * 8 + 1]) },
                           closed: [column(2), column(3), column(4)], open: [column(5), column(6), column(7)])
    }
}
