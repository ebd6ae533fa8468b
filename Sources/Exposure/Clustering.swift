import Stats

/// Graph clusterings for graph cluster randomization (Ugander et al. 2013): treating whole
/// clusters together makes full-neighbourhood exposure likely for units whose neighbours sit in
/// their own cluster.
public enum Clustering {
    /// A 3-net clustering: nodes in a seeded random order; each node not yet within distance 2 of
    /// a centre becomes one (so centres are pairwise at least 3 apart, a maximal distance-3
    /// independent set); then every node joins its nearest centre (multi-source BFS, ties to the
    /// first centre to reach it). Clusters have radius at most 2. Works on the undirected graph.
    public static func threeNet(_ g: Graph, seed: UInt64) -> [Int32] { threeNetWithCentres(g, seed: seed).cluster }

    /// The 3-net clustering and its centres (cluster c is centred on `centres[c]`).
    static func threeNetWithCentres(_ g: Graph, seed: UInt64) -> (cluster: [Int32], centres: [Int]) {
        let n = g.nodes
        let (offsets, targets) = g.undirected
        var order = Array(0..<n)
        var rng = SplitMix64(seed: seed)
        order.shuffle(using: &rng)
        var covered = [Bool](repeating: false, count: n)
        var centres: [Int] = []
        for v in order where !covered[v] {
            centres.append(v)
            covered[v] = true
            for p in offsets[v]..<offsets[v + 1] {
                let u = Int(targets[p])
                covered[u] = true
                for q in offsets[u]..<offsets[u + 1] { covered[Int(targets[q])] = true }
            }
        }
        var cluster = [Int32](repeating: -1, count: n)
        var queue: [Int] = []
        queue.reserveCapacity(n)
        for (c, v) in centres.enumerated() { cluster[v] = Int32(c); queue.append(v) }
        var head = 0
        while head < queue.count {
            let v = queue[head]; head += 1
            for p in offsets[v]..<offsets[v + 1] where cluster[Int(targets[p])] < 0 {
                cluster[Int(targets[p])] = cluster[v]
                queue.append(Int(targets[p]))
            }
        }
        return (cluster, centres)
    }

    /// Louvain modularity clustering (Blondel et al. 2008) of the undirected graph: local moves of
    /// single nodes to the neighbouring community with the best modularity gain, in a seeded
    /// random order, until no move helps; then communities become nodes and it repeats, until a
    /// level changes nothing.
    public static func louvain(_ g: Graph, seed: UInt64, resolution: Double = 1) -> [Int32] {
        let n = g.nodes
        let (offsets, targets) = g.undirected
        // The working graph: weighted adjacency per node (self-loops carry internal weight).
        var adjacency: [[(Int, Double)]] = (0..<n).map { v in (offsets[v]..<offsets[v + 1]).map { (Int(targets[$0]), 1.0) } }
        var membership = Array(0..<n) // original node → current super-node
        var rng = SplitMix64(seed: seed)
        while true {
            let m = adjacency.count
            let strength = adjacency.map { $0.reduce(0) { $0 + $1.1 } }
            let twoM = strength.reduce(0, +)
            guard twoM > 0 else { break }
            var community = Array(0..<m)
            var total = strength // Σ of strengths in each community
            var moved = true, anyMove = false
            var order = Array(0..<m)
            var weightTo = [Double](repeating: 0, count: m)
            var touched: [Int] = []
            var rounds = 0
            while moved, rounds < 100 {
                moved = false; rounds += 1
                order.shuffle(using: &rng)
                for v in order {
                    let own = community[v], k = strength[v]
                    // A self-loop (a community's internal weight) moves with the node: no part of the gain.
                    for (u, w) in adjacency[v] {
                        if u == v { continue }
                        let c = community[u]
                        if weightTo[c] == 0 { touched.append(c) }
                        weightTo[c] += w
                    }
                    total[own] -= k
                    // Gain of joining c: w(v, c) − γ·k·Σ_c / 2m (constant terms dropped).
                    var best = own, bestGain = weightTo[own] - resolution * k * total[own] / twoM
                    for c in touched where c != own {
                        let gain = weightTo[c] - resolution * k * total[c] / twoM
                        if gain > bestGain + 1e-12 { best = c; bestGain = gain }
                    }
                    total[best] += k
                    if best != own { community[v] = best; moved = true; anyMove = true }
                    for c in touched { weightTo[c] = 0 }
                    weightTo[own] = 0
                    touched.removeAll(keepingCapacity: true)
                }
            }
            guard anyMove else { break }
            // Renumber communities and aggregate.
            var index = [Int](repeating: -1, count: m), count = 0
            for v in 0..<m where index[community[v]] < 0 { index[community[v]] = count; count += 1 }
            var merged = [[Int: Double]](repeating: [:], count: count)
            for v in 0..<m {
                let cv = index[community[v]]
                for (u, w) in adjacency[v] { merged[cv][index[community[u]], default: 0] += w }
            }
            adjacency = merged.map { $0.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 } }
            membership = membership.map { index[community[$0]] }
            if count == m { break }
        }
        return membership.map(Int32.init)
    }

    /// Modularity of a partition of the undirected graph: the share of edges inside clusters less
    /// its expectation, Σ over clusters of (the cluster's degree sum / 2m)².
    public static func modularity(_ g: Graph, _ cluster: [Int32]) -> Double {
        let (offsets, targets) = g.undirected
        let twoM = Double(targets.count)
        guard twoM > 0 else { return 0 }
        var degreeSum: [Int32: Double] = [:]
        for v in 0..<g.nodes { degreeSum[cluster[v], default: 0] += Double(offsets[v + 1] - offsets[v]) }
        return insideShare(g, cluster) - degreeSum.values.reduce(0) { $0 + ($1 / twoM) * ($1 / twoM) }
    }

    /// The share of (undirected) edges with both ends in one cluster.
    public static func insideShare(_ g: Graph, _ cluster: [Int32]) -> Double {
        let (offsets, targets) = g.undirected
        guard !targets.isEmpty else { return 0 }
        var inside = 0
        for v in 0..<g.nodes { for p in offsets[v]..<offsets[v + 1] where cluster[Int(targets[p])] == cluster[v] { inside += 1 } }
        return Double(inside) / Double(targets.count)
    }
}

/// Graphs with known structure, for tests, benchmarks and the demo.
public enum SyntheticGraph {
    /// Watts–Strogatz: a ring where each node links to its k/2 nearest on each side, each edge's far
    /// end rewired with probability p to a uniform other node. A rewired edge can repeat an
    /// existing one (about p·k²/2n per node); the graph import drops and counts such duplicates.
    public static func wattsStrogatz(nodes n: Int, k: Int, rewire p: Double, seed: UInt64) -> (sources: [Int32], targets: [Int32]) {
        var rng = SplitMix64(seed: seed)
        let half = max(1, k / 2)
        var sources: [Int32] = [], targets: [Int32] = []
        sources.reserveCapacity(n * half); targets.reserveCapacity(n * half)
        for i in 0..<n {
            for j in 1...half {
                var t = (i + j) % n
                if n > 2, rng.uniform() < p {
                    repeat { t = Int(rng.next() % UInt64(n)) } while t == i
                }
                sources.append(Int32(i)); targets.append(Int32(t))
            }
        }
        return (sources, targets)
    }
}
