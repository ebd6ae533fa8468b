/// A graph in compressed sparse row form over nodes 0..<n, adjacency lists sorted.
///
/// `out` holds each node's neighbours: for an undirected graph both directions of every edge, for
/// a directed graph the targets of the node's edges (an edge `source → target` means the source
/// sees the target: the target's treatment can reach the source). `linked` is the undirected
/// version, used to ask whether two alters are linked (closed triads) and for clustering; for an
/// undirected graph it is `out` itself.
public struct Graph: Sendable {
    public let nodes: Int
    public let directed: Bool
    public let offsets: [Int]
    public let targets: [Int32]
    let linkedOffsets: [Int]
    let linkedTargets: [Int32]

    /// What building the graph dropped.
    public struct Dropped: Sendable, Equatable {
        public var selfLoops = 0
        public var duplicates = 0
    }

    /// Builds the graph; self-loops and duplicate edges are dropped and counted (for an undirected
    /// graph, `a,b` after `b,a` is a duplicate).
    public static func build(nodes n: Int, sources: [Int32], targets: [Int32], directed: Bool = false) throws(ExposureError) -> (Graph, Dropped) {
        guard sources.count == targets.count else { throw ExposureError(.invalidData, "sources and targets differ in length") }
        guard n >= 0, n < Int(Int32.max) else { throw ExposureError(.invalidData, "too many nodes") }
        if let bad = zip(sources, targets).first(where: { $0.0 < 0 || $0.1 < 0 || Int($0.0) >= n || Int($0.1) >= n }) {
            throw ExposureError(.invalidData, "edge \(bad.0)–\(bad.1) names a node outside 0..<\(n)")
        }
        var dropped = Dropped()
        let (outOffsets, outTargets, outDuplicates, loops) = csr(n, sources, targets, symmetric: !directed)
        dropped.selfLoops = loops
        // Undirected: each kept edge is stored twice, and a duplicate in either direction shows as two.
        dropped.duplicates = directed ? outDuplicates : (sources.count - loops) - outTargets.count / 2
        if directed {
            let (lo, lt, _, _) = csr(n, sources, targets, symmetric: true)
            return (Graph(nodes: n, directed: true, offsets: outOffsets, targets: outTargets, linkedOffsets: lo, linkedTargets: lt), dropped)
        }
        return (Graph(nodes: n, directed: false, offsets: outOffsets, targets: outTargets, linkedOffsets: outOffsets, linkedTargets: outTargets), dropped)
    }

    /// Counting sort by source, then each list sorted and deduplicated in place.
    static func csr(_ n: Int, _ sources: [Int32], _ targets: [Int32], symmetric: Bool) -> ([Int], [Int32], Int, Int) {
        var count = [Int](repeating: 0, count: n + 1)
        var loops = 0
        for (a, b) in zip(sources, targets) {
            if a == b { loops += 1; continue }
            count[Int(a) + 1] += 1
            if symmetric { count[Int(b) + 1] += 1 }
        }
        for i in 0..<n { count[i + 1] += count[i] }
        var fill = count
        var list = [Int32](repeating: 0, count: count[n])
        for (a, b) in zip(sources, targets) where a != b {
            list[fill[Int(a)]] = b; fill[Int(a)] += 1
            if symmetric { list[fill[Int(b)]] = a; fill[Int(b)] += 1 }
        }
        // Sort and deduplicate each list, compacting as we go.
        var offsets = [Int](repeating: 0, count: n + 1)
        var write = 0, duplicates = 0
        list.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<n {
                let start = count[i], end = count[i + 1]
                offsets[i] = write
                guard end > start else { continue }
                var slice = UnsafeMutableBufferPointer(rebasing: buffer[start..<end])
                slice.sort()
                var last: Int32 = -1
                for v in slice where v != last {
                    buffer[write] = v; write += 1; last = v
                }
                duplicates += (end - start) - (write - offsets[i])
            }
        }
        offsets[n] = write
        list.removeLast(list.count - write)
        return (offsets, list, duplicates, loops)
    }

    /// Edges: for an undirected graph each once.
    public var edges: Int { directed ? targets.count : targets.count / 2 }

    @inline(__always) public func degree(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }

    /// The node's neighbours (sorted).
    public func neighbours(_ i: Int) -> ArraySlice<Int32> { targets[offsets[i]..<offsets[i + 1]] }

    /// The share of the node's neighbours that are treated (`arm > 0`); 0 for an isolated node.
    public func treatedShare(_ i: Int, arm: [Int8]) -> Double {
        guard degree(i) > 0 else { return 0 }
        var t = 0
        for j in neighbours(i) where arm[Int(j)] > 0 { t += 1 }
        return Double(t) / Double(degree(i))
    }

    /// The node's neighbours in the undirected version of the graph (sorted).
    public func linked(_ i: Int) -> ArraySlice<Int32> { linkedTargets[linkedOffsets[i]..<linkedOffsets[i + 1]] }

    /// Whether a and b are linked in either direction.
    public func areLinked(_ a: Int, _ b: Int) -> Bool {
        var lo = linkedOffsets[a], hi = linkedOffsets[a + 1]
        let key = Int32(b)
        while lo < hi {
            let mid = (lo + hi) / 2
            if linkedTargets[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < linkedOffsets[a + 1] && linkedTargets[lo] == key
    }

    /// The undirected version's CSR arrays.
    public var undirected: (offsets: [Int], targets: [Int32]) { (linkedOffsets, linkedTargets) }
}
