import Dispatch
import Stats

/// Which units' conditions can depend on each other: a unit's condition is a function of the
/// randomization units (the unit itself under a user split, clusters under a cluster design) of
/// itself and its neighbours; two units are dependent when those sets meet. Pairs that are not
/// dependent have π_ij = π_i·π_j exactly and add nothing to the variance.
public struct Dependence: Sendable {
    /// Per unit, the sorted other units it depends on (sorted for locality: the pair loops read
    /// the partners' probability bits in order).
    let offsets: [Int]
    let partners: [Int32]

    /// `randomizationUnit[i]`: the unit's cluster (or its own index under a user split); −1 for a
    /// unit outside the experiment, which randomizes nothing.
    public init(_ g: Graph, randomizationUnit: [Int32]) {
        let n = g.nodes
        let clusters = (randomizationUnit.max().map { Int($0) } ?? -1) + 1
        // Units whose condition each randomization unit touches.
        var touchCount = [Int](repeating: 0, count: clusters + 1)
        func sources(_ i: Int) -> [Int32] {
            var s = [randomizationUnit[i]]
            for j in g.neighbours(i) { s.append(randomizationUnit[Int(j)]) }
            return Array(Set(s.filter { $0 >= 0 }))
        }
        var sets: [[Int32]] = []
        sets.reserveCapacity(n)
        for i in 0..<n {
            let s = sources(i)
            sets.append(s)
            for c in s { touchCount[Int(c) + 1] += 1 }
        }
        for c in 0..<clusters { touchCount[c + 1] += touchCount[c] }
        var fill = touchCount, touched = [Int32](repeating: 0, count: touchCount[clusters])
        for i in 0..<n { for c in sets[i] { touched[fill[Int(c)]] = Int32(i); fill[Int(c)] += 1 } }
        var offsets = [Int](repeating: 0, count: n + 1), partners: [Int32] = []
        var mark = [Int32](repeating: -1, count: n)
        for i in 0..<n {
            var mine: [Int32] = []
            for c in sets[i] {
                for p in touchCount[Int(c)]..<touchCount[Int(c) + 1] {
                    let j = touched[p]
                    if Int(j) != i, mark[Int(j)] != Int32(i) { mark[Int(j)] = Int32(i); mine.append(j) }
                }
            }
            mine.sort()
            partners.append(contentsOf: mine)
            offsets[i + 1] = partners.count
        }
        self.offsets = offsets
        self.partners = partners
    }

    /// An upper bound on the dependent pairs `init` would list (each pair counted once per
    /// randomization unit the two share), cheap to compute: to refuse a graph too large to hold them.
    public static func pairBound(_ g: Graph, randomizationUnit: [Int32]) -> Int {
        let clusters = (randomizationUnit.max().map { Int($0) } ?? -1) + 1
        var touch = [Int](repeating: 0, count: max(clusters, 0))
        var seen = [Int](repeating: -1, count: max(clusters, 0))
        var bound = 0
        for pass in 0..<2 {
            for i in 0..<g.nodes {
                func visit(_ c: Int32) {
                    guard c >= 0, seen[Int(c)] != i else { return }
                    seen[Int(c)] = i
                    if pass == 0 { touch[Int(c)] += 1 } else { bound += touch[Int(c)] - 1 }
                }
                visit(randomizationUnit[i])
                for j in g.neighbours(i) { visit(randomizationUnit[Int(j)]) }
            }
            for k in seen.indices { seen[k] = -1 }
        }
        return bound
    }

    public func partners(of i: Int) -> ArraySlice<Int32> { partners[offsets[i]..<offsets[i + 1]] }
    public var pairs: Int { partners.count }
}

/// Horvitz–Thompson and Hájek estimates of mean outcomes per exposure condition and of the direct,
/// indirect (spillover) and total effects, with Aronow & Samii's (2017) variance estimators: the
/// conservative term for pairs that can never be observed together, and the Young's-inequality
/// bound for the covariance of two conditions. Units below the positivity floor for a condition
/// are left out of every contrast that needs it and counted.
public struct SpilloverEstimator: Sendable {
    public struct Mean: Sendable {
        public var condition: Condition
        /// Units observed in the condition (and above the floor).
        public var units: Int
        /// Units whose probability of the condition is at least the floor.
        public var population: Int
        public var belowFloor: Int
        public var minProbability: Double
        public var maxProbability: Double
        public var horvitzThompson: Double
        public var hajek: Double
        public var hajekStandardError: Double
    }

    public struct Effect: Sendable {
        public var name: String
        public var treated: Condition
        public var reference: Condition
        /// Units with both conditions' probabilities at least the floor.
        public var population: Int
        public var belowFloor: Int
        public var horvitzThompson: Double
        public var horvitzThompsonStandardError: Double
        public var hajek: Double
        public var hajekStandardError: Double
        public var lower: Double
        public var upper: Double
        /// The Hájek contrast's dependence-robust (network HAC) standard error: the linearised
        /// residuals' products summed over every dependent pair, which the Aronow–Samii bound
        /// replaces by a conservative term wherever two conditions never meet.
        public var robustStandardError: Double
        /// The interval from the robust standard error, at the same confidence.
        public var robustLower: Double
        public var robustUpper: Double
    }

    public var means: [Mean] = []
    public var effects: [Effect] = []
    /// Difference in means between treated and control units, ignoring the graph, with Welch's SE.
    public var naive: (estimate: Double, standardError: Double) = (.nan, .nan)

    /// - Parameters:
    ///   - observed: each unit's condition code under the actual assignment (−1: none).
    ///   - inExperiment: units of the experiment (the population).
    ///   - treatedArm: each unit's own arm (true: treated), for the naive contrast.
    public init(observed: [Int8], inExperiment: [Bool], treatedArm: [Bool], outcome: [Double], design: ExposureDesign, floor: Double, confidence: Double = 0.95) throws(ExposureError) {
        let n = observed.count, p = design.probabilities
        guard inExperiment.count == n, outcome.count == n, treatedArm.count == n, p.units == n else {
            throw ExposureError(.invalidData, "one condition, outcome and probability per unit")
        }
        guard floor > 0, floor < 1 else { throw ExposureError(.invalidParameter, "the positivity floor must be between 0 and 1") }
        if let i = outcome.indices.first(where: { inExperiment[$0] && !outcome[$0].isFinite }) {
            throw ExposureError(.invalidData, "the outcome of unit \(i + 1) is \(outcome[i]), not a finite number")
        }
        let z = Normal.quantile(0.5 + confidence / 2)
        let experimentUnits = inExperiment.lazy.filter { $0 }.count

        for c in Condition.allCases {
            let population = (0..<n).map { inExperiment[$0] && p.probability($0, c) >= floor }
            let est = Self.hajek(c, population: population, observed: observed, outcome: outcome, p: p)
            let probabilities = (0..<n).filter { population[$0] && observed[$0] == Int8(c.rawValue) }.map { p.probability($0, c) }
            let residual = outcome.map { $0 - est.hajek }
            let variance = Self.totalVariance(c, nil, ya: residual, yb: residual, population: population, observed: observed, design: design)
            let count = population.lazy.filter { $0 }.count
            means.append(Mean(condition: c, units: probabilities.count, population: count,
                              belowFloor: experimentUnits - count,
                              minProbability: probabilities.min() ?? .nan, maxProbability: probabilities.max() ?? .nan,
                              horvitzThompson: est.ht, hajek: est.hajek,
                              hajekStandardError: count > 0 ? max(0, variance).squareRoot() / Double(count) : .nan))
        }
        let contrasts: [(String, Condition, Condition)] = [
            ("direct", .treatedUnexposed, .controlUnexposed),
            ("indirect", .controlExposed, .controlUnexposed),
            ("total", .treatedExposed, .controlUnexposed),
        ]
        for (name, a, b) in contrasts {
            let population = (0..<n).map { inExperiment[$0] && p.probability($0, a) >= floor && p.probability($0, b) >= floor }
            let N = population.lazy.filter { $0 }.count
            let ea = Self.hajek(a, population: population, observed: observed, outcome: outcome, p: p)
            let eb = Self.hajek(b, population: population, observed: observed, outcome: outcome, p: p)
            let ht = Self.totalVariance(a, b, ya: outcome, yb: outcome, population: population, observed: observed, design: design)
            let hajek = Self.totalVariance(a, b, ya: outcome.map { $0 - ea.hajek }, yb: outcome.map { $0 - eb.hajek }, population: population,
                                           observed: observed, design: design)
            let se = N > 0 ? max(0, hajek).squareRoot() / Double(N) : .nan
            let estimate = ea.hajek - eb.hajek
            let robust = Self.robustVariance(a, b, ea.hajek, eb.hajek, outcome: outcome, population: population, observed: observed, design: design)
            let robustSE = N > 0 ? max(0, robust).squareRoot() / Double(N) : .nan
            effects.append(Effect(name: name, treated: a, reference: b, population: N, belowFloor: experimentUnits - N,
                                  horvitzThompson: ea.ht - eb.ht, horvitzThompsonStandardError: N > 0 ? max(0, ht).squareRoot() / Double(N) : .nan,
                                  hajek: estimate, hajekStandardError: se, lower: estimate - z * se, upper: estimate + z * se,
                                  robustStandardError: robustSE, robustLower: estimate - z * robustSE, robustUpper: estimate + z * robustSE))
        }
        var arms = [SampleSummary(count: 0, sum: 0, sumOfSquares: 0), SampleSummary(count: 0, sum: 0, sumOfSquares: 0)]
        for i in 0..<n where inExperiment[i] {
            let k = treatedArm[i] ? 1 : 0
            arms[k].count += 1; arms[k].sum += outcome[i]; arms[k].sumOfSquares += outcome[i] * outcome[i]
        }
        if arms[0].count > 1, arms[1].count > 1 {
            let welch = Welch.absolute(control: arms[0], treatment: arms[1], confidence: confidence)
            naive = (welch.estimate, welch.standardError)
        }
    }

    /// The HT mean (total over the population size) and the Hájek mean of condition c.
    static func hajek(_ c: Condition, population: [Bool], observed: [Int8], outcome: [Double], p: ExposureProbabilities) -> (ht: Double, hajek: Double) {
        var total = 0.0, weight = 0.0, N = 0.0
        for i in population.indices where population[i] {
            N += 1
            guard observed[i] == Int8(c.rawValue) else { continue }
            let pi = p.probability(i, c)
            total += outcome[i] / pi
            weight += 1 / pi
        }
        return (N > 0 ? total / N : .nan, weight > 0 ? total / weight : .nan)
    }

    /// Σ_i Σ_j u_i·u_j over each unit and its dependent partners, u_i the unit's linearised Hájek
    /// residual for the contrast of a against b: (1{a}/π_a)(y − μ_a) − (1{b}/π_b)(y − μ_b).
    static func robustVariance(_ a: Condition, _ b: Condition, _ ma: Double, _ mb: Double, outcome: [Double], population: [Bool],
                               observed: [Int8], design: ExposureDesign) -> Double {
        let p = design.probabilities, d = design.dependence
        var u = [Double](repeating: 0, count: outcome.count)
        for i in u.indices where population[i] {
            if observed[i] == Int8(a.rawValue) { u[i] = (outcome[i] - ma) / p.probability(i, a) }
            if observed[i] == Int8(b.rawValue) { u[i] = -(outcome[i] - mb) / p.probability(i, b) }
        }
        var v = 0.0
        for i in u.indices where u[i] != 0 {
            var s = u[i]
            for k in d.offsets[i]..<d.offsets[i + 1] { s += u[Int(d.partners[k])] }
            v += u[i] * s
        }
        return v
    }

    /// Aronow & Samii's variance estimate of T_a − T_b, the HT totals of values ya in condition a
    /// and yb in condition b over the population; with b nil, of T_a alone.
    static func totalVariance(_ a: Condition, _ b: Condition?, ya: [Double], yb: [Double], population: [Bool], observed: [Int8],
                              design: ExposureDesign) -> Double {
        let p = design.probabilities, d = design.dependence
        func variance(_ c: Condition, _ y: [Double]) -> Double {
            var v = 0.0
            let code = Int8(c.rawValue), never = UInt16(1) << UInt16(c.rawValue * 4 + c.rawValue)
            for i in population.indices where population[i] && observed[i] == code {
                let pi = p.probability(i, c), w = y[i] / pi
                v += (1 - pi) * w * w
                var zero = 0
                for k in d.offsets[i]..<d.offsets[i + 1] {
                    let j = Int(d.partners[k])
                    guard population[j] else { continue }
                    if design.zeroJoint[k] & never != 0 {
                        zero += 1
                    } else if observed[j] == code {
                        let pij = p.joint(i, c, j, c), pj = p.probability(j, c)
                        v += (pij - pi * pj) / pij * w * y[j] / pj
                    }
                }
                // Never observed together: Aronow & Samii's conservative term (both orders of each pair).
                v += Double(zero) * y[i] * y[i] / pi
            }
            return v
        }
        var total = variance(a, ya)
        guard let b else { return total }
        total += variance(b, yb)
        var covariance = 0.0
        let codeA = Int8(a.rawValue), codeB = Int8(b.rawValue)
        let neverAB = UInt16(1) << UInt16(a.rawValue * 4 + b.rawValue), neverBA = UInt16(1) << UInt16(b.rawValue * 4 + a.rawValue)
        for i in population.indices where population[i] {
            let inA = observed[i] == codeA, inB = observed[i] == codeB
            guard inA || inB else { continue }
            // The unit with itself: π_ii(a, b) = 0.
            var zeroA = 1, zeroB = 1
            for k in d.offsets[i]..<d.offsets[i + 1] {
                let j = Int(d.partners[k])
                guard population[j] else { continue }
                if inA {
                    if design.zeroJoint[k] & neverAB != 0 {
                        zeroA += 1
                    } else if observed[j] == codeB {
                        let pij = p.joint(i, a, j, b), pi = p.probability(i, a), pj = p.probability(j, b)
                        covariance += (pij - pi * pj) / pij * ya[i] * yb[j] / (pi * pj)
                    }
                }
                // Pairs (j, i) with π_ji(a, b) = 0, seen from i's side in condition b.
                if inB, design.zeroJoint[k] & neverBA != 0 { zeroB += 1 }
            }
            if inA { covariance -= Double(zeroA) * ya[i] * ya[i] / (2 * p.probability(i, a)) }
            if inB { covariance -= Double(zeroB) * yb[i] * yb[i] / (2 * p.probability(i, b)) }
        }
        return total - 2 * covariance
    }
}

/// The design's probabilities with its dependent pairs, and for each pair which joint conditions
/// never occur together (π_ij(a, b) = 0): computed once, reused for every outcome and contrast.
public struct ExposureDesign: Sendable {
    public let probabilities: ExposureProbabilities
    public let dependence: Dependence
    /// For the k-th dependent pair (i, partners[k]), bit a·4 + b is set when π_ij(a, b) = 0.
    let zeroJoint: [UInt16]

    public init(probabilities p: ExposureProbabilities, dependence d: Dependence, threads: Int = 2) throws(ExposureError) {
        guard d.offsets.count == p.units + 1 else { throw ExposureError(.invalidData, "the probabilities and the dependence cover different units") }
        var mask = [UInt16](repeating: 0, count: d.partners.count)
        let n = p.units, words = p.words
        // Per unit, which conditions it can be in at all (bit c): a condition it never reaches meets nothing.
        let reachable: [UInt8] = (0..<n).map { i in (0..<4).reduce(UInt8(0)) { p.marginal[i * 4 + $1] > 0 ? $0 | (1 << UInt8($1)) : $0 } }
        mask.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return } // nil only for an empty buffer: nothing to fill
            let shared = Shared(base)
            let chunks = max(1, min(threads * 8, n / 1024 + 1))
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                p.bits.withUnsafeBufferPointer { bits in
                    d.partners.withUnsafeBufferPointer { partners in
                        for i in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
                            for k in d.offsets[i]..<d.offsets[i + 1] {
                                let j = Int(partners[k])
                                var m: UInt16 = 0
                                let ri = reachable[i], rj = reachable[j]
                                for a in 0..<4 {
                                    let x = (i * 4 + a) * words
                                    for b in 0..<4 {
                                        guard ri & (1 << UInt8(a)) != 0, rj & (1 << UInt8(b)) != 0 else {
                                            m |= UInt16(1) << UInt16(a * 4 + b); continue
                                        }
                                        let y = (j * 4 + b) * words
                                        var any: UInt64 = 0
                                        for w in 0..<words { any |= bits[x + w] & bits[y + w] }
                                        if any == 0 { m |= UInt16(1) << UInt16(a * 4 + b) }
                                    }
                                }
                                shared.pointer[k] = m
                            }
                        }
                    }
                }
            }
        }
        probabilities = p
        dependence = d
        zeroJoint = mask
    }
}
