import Dispatch
import Foundation
import Stats

/// A heterogeneous-spillover tree over network motifs (Yuan, Altenburger & Kooti, WWW 2021): a
/// regression tree of the outcome on each unit's own arm and normalised motif vector, whose leaves
/// are data-driven exposure conditions.
///
/// - Honest: one half of the units (a seeded split) chooses the splits, the other half estimates
///   the leaves' means, so a leaf's mean is not inflated by the search that made it.
/// - Positivity gate: a split is kept only when, for at least 95% of the units that fall in each
///   child, the design puts them there in at least `floor` of its draws (the design re-run with
///   fresh salts, as for exposure probabilities); units below the floor are counted, not estimated.
/// - Leaf means are Hájek means, weighted by each unit's probability of the leaf's condition.
public struct SpilloverTree: Sendable {
    /// The features: the unit's own arm (1 treated), then the normalised motif vector.
    public static let features = MotifCensus.exposureNames

    /// One constraint of a region: feature ≥ threshold (or < threshold).
    public struct Constraint: Sendable, Equatable {
        public let feature: Int
        public let threshold: Double
        public let atLeast: Bool

        @inline(__always) func holds(_ value: Float) -> Bool { atLeast ? Double(value) >= threshold : Double(value) < threshold }

        public var description: String {
            if feature == 0 { return atLeast ? "treated" : "control" }
            return "\(SpilloverTree.features[feature]) \(atLeast ? "≥" : "<") \(String(format: "%.3g", threshold))"
        }
    }

    public struct Node: Sendable {
        /// The path from the root.
        public let constraints: [Constraint]
        /// Children's indices into `nodes`, nil for a leaf.
        public var children: (Int, Int)?
        public let trainingUnits: Int
        public let trainingMean: Double
        /// Leaves only: the estimation half's Hájek mean and its standard error (linearised; over
        /// the design's dependent pairs when the tree was given them, else units taken as independent),
        /// units in the leaf, those below the floor, and the probability range.
        public var units = 0
        public var belowFloor = 0
        public var hajek = Double.nan
        public var standardError = Double.nan
        public var minProbability = Double.nan
        public var maxProbability = Double.nan

        public var rule: String { constraints.isEmpty ? "all units" : constraints.map(\.description).joined(separator: ", ") }
    }

    public var nodes: [Node]
    public let replicates: Int
    public let trainingUnits: Int
    public let estimationUnits: Int

    public var leaves: [Node] { nodes.filter { $0.children == nil } }

    /// Grows the tree.
    /// - Parameters:
    ///   - arm: each unit's arm under the actual assignment (1, 0, −1 outside the contrast).
    ///   - draw: the design re-run with fresh salts (as for `ExposureProbabilities`).
    public static func grow(_ g: Graph, arm: [Int8], outcome y: [Double], inExperiment: [Bool], replicates R: Int, floor: Double,
                            seed: UInt64, maxDepth: Int = 3, threads: Int = 2, dependence: Dependence? = nil,
                            draw: @Sendable (Int) -> [Int8]) throws(ExposureError) -> SpilloverTree {
        let n = g.nodes, F = features.count
        guard R >= 1 else { throw ExposureError(.invalidData, "the tree needs at least one replicate") }
        guard arm.count == n, y.count == n, inExperiment.count == n else { throw ExposureError(.invalidData, "one arm, outcome and flag per unit") }
        @Sendable func featureRows(_ a: [Int8]) -> [Float] {
            let census = MotifCensus.census(g, treated: a.map { $0 > 0 }, threads: 1)
            var rows = [Float](repeating: 0, count: n * F)
            for i in 0..<n {
                for (k, v) in census.exposureVector(i, ownArmTreated: a[i] > 0).enumerated() { rows[i * F + k] = Float(v) }
            }
            return rows
        }
        let observed = featureRows(arm)
        // The design's draws: every unit's features in each (−1 arms marked by NaN: no condition).
        var draws = [[Float]](repeating: [], count: R)
        draws.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return } // nil only for an empty buffer: nothing to fill
            let shared = Shared(base)
            // Each thread fills its own draws.
            DispatchQueue.concurrentPerform(iterations: max(1, threads)) { t in
                for r in stride(from: t, to: R, by: max(1, threads)) {
                    let a = draw(r)
                    var rows = featureRows(a)
                    for i in 0..<n where a[i] < 0 { rows[i * F] = .nan }
                    shared.pointer[r] = rows
                }
            }
        }
        // Honest halves.
        var rng = SplitMix64(seed: seed)
        var training: [Int] = [], estimation: [Int] = []
        for i in 0..<n where inExperiment[i] && arm[i] >= 0 {
            if rng.uniform() < 0.5 { training.append(i) } else { estimation.append(i) }
        }
        let minLeaf = max(30, training.count / 50)

        func inRegion(_ row: UnsafeBufferPointer<Float>, _ i: Int, _ constraints: [Constraint]) -> Bool {
            if row[i * F].isNaN { return false }
            for c in constraints where !c.holds(row[i * F + c.feature]) { return false }
            return true
        }
        /// Per unit, the share of draws that put it in the region.
        func probability(_ i: Int, _ constraints: [Constraint]) -> Double {
            var hits = 0
            for r in 0..<R where draws[r].withUnsafeBufferPointer({ inRegion($0, i, constraints) }) { hits += 1 }
            return Double(hits) / Double(R)
        }
        func passesGate(_ units: [Int], _ constraints: [Constraint]) -> Bool {
            let allowed = units.count / 20
            var below = 0
            for i in units where probability(i, constraints) < floor {
                below += 1
                if below > allowed { return false }
            }
            return true
        }
        func mean(_ units: [Int]) -> Double { units.isEmpty ? .nan : units.reduce(0) { $0 + y[$1] } / Double(units.count) }
        func sse(_ units: [Int]) -> Double { let m = mean(units); return units.reduce(0) { $0 + (y[$1] - m) * (y[$1] - m) } }

        var nodes: [Node] = [Node(constraints: [], children: nil, trainingUnits: training.count, trainingMean: mean(training))]
        var members: [[Int]] = [training]
        var frontier = [0]
        let rootSSE = sse(training)
        while let index = frontier.popLast() {
            let units = members[index], constraints = nodes[index].constraints
            guard constraints.count < maxDepth, units.count >= 2 * minLeaf else { continue }
            let parentSSE = sse(units)
            var candidates: [(gain: Double, split: Constraint, left: [Int], right: [Int])] = []
            for f in 0..<F {
                let values = units.map { Double(observed[$0 * F + f]) }.sorted()
                var thresholds = Set<Double>()
                if f == 0 { thresholds = [0.5] } else {
                    for q in 1..<10 { thresholds.insert(values[values.count * q / 10]) }
                }
                for t in thresholds.sorted() {
                    let c = Constraint(feature: f, threshold: t, atLeast: true)
                    var hi: [Int] = [], lo: [Int] = []
                    for i in units { if c.holds(observed[i * F + f]) { hi.append(i) } else { lo.append(i) } }
                    guard hi.count >= minLeaf, lo.count >= minLeaf else { continue }
                    let gain = parentSSE - sse(hi) - sse(lo)
                    if gain > 0.005 * rootSSE { candidates.append((gain, c, lo, hi)) }
                }
            }
            candidates.sort { $0.gain > $1.gain }
            for candidate in candidates.prefix(12) {
                let below = Constraint(feature: candidate.split.feature, threshold: candidate.split.threshold, atLeast: false)
                let leftPath = constraints + [below], rightPath = constraints + [candidate.split]
                guard passesGate(candidate.left, leftPath), passesGate(candidate.right, rightPath) else { continue }
                let l = nodes.count, r = nodes.count + 1
                nodes.append(Node(constraints: leftPath, children: nil, trainingUnits: candidate.left.count, trainingMean: mean(candidate.left)))
                nodes.append(Node(constraints: rightPath, children: nil, trainingUnits: candidate.right.count, trainingMean: mean(candidate.right)))
                members.append(candidate.left); members.append(candidate.right)
                nodes[index].children = (l, r)
                frontier.append(r); frontier.append(l)
                break
            }
        }
        // Honest leaf estimates from the estimation half.
        for k in nodes.indices where nodes[k].children == nil {
            let path = nodes[k].constraints
            var total = 0.0, weight = 0.0, belowFloor = 0
            var lo = Double.infinity, hi = -Double.infinity
            var kept: [(unit: Int, pi: Double)] = []
            for i in estimation where observed.withUnsafeBufferPointer({ inRegion($0, i, path) }) {
                let pi = probability(i, path)
                guard pi >= floor else { belowFloor += 1; continue }
                total += y[i] / pi; weight += 1 / pi
                lo = min(lo, pi); hi = max(hi, pi)
                kept.append((i, pi))
            }
            nodes[k].units = kept.count
            nodes[k].belowFloor = belowFloor
            if weight > 0 {
                let m = total / weight
                nodes[k].hajek = m
                // Linearised residuals; with the design's dependence, summed over dependent pairs too.
                var u: [Int: Double] = [:]
                for (i, pi) in kept { u[i] = (y[i] - m) / pi }
                var v = 0.0
                for (i, _) in kept {
                    let ui = u[i]! // never nil: filled above
                    var s = ui
                    if let dependence { for j in dependence.partners(of: i) { s += u[Int(j)] ?? 0 } }
                    v += ui * s
                }
                nodes[k].standardError = max(0, v).squareRoot() / weight
                nodes[k].minProbability = lo; nodes[k].maxProbability = hi
            }
        }
        return SpilloverTree(nodes: nodes, replicates: R, trainingUnits: training.count, estimationUnits: estimation.count)
    }
}
