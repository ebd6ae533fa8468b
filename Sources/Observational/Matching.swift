import Foundation
import Stats

/// Nearest-neighbour matching with replacement on covariates, as Abadie & Imbens (2006) define it and
/// R's `Matching::Match` implements it (Sekhon 2011): covariates standardised by their standard
/// deviation (n − 1), then an inverse-variance (diagonal) or Mahalanobis metric; every unit of the
/// target arm gets its `matches` nearest units of the other arm, ties within `tolerance` of the
/// last one all kept and weighted equally; no bias adjustment. The standard error is Abadie–Imbens':
/// the conditional variance homoskedastic (`varianceMatches` 0, Match's `Var.calc = 0`) or from the
/// `varianceMatches` nearest units of a unit's own arm; for the sample or the population
/// estimand (Match's `sample`, default false).
public struct NearestNeighbourMatching: Sendable {
    public enum Distance: String, Sendable, CaseIterable {
        /// Match's `Weight = 1`: squared differences of the standardised covariates.
        case inverseVariance = "inverse-variance"
        /// Match's `Weight = 2`: the inverse of the standardised covariates' second-moment matrix.
        case mahalanobis
    }

    public let estimand: Estimand
    public let matches: Int
    public let distance: Distance
    /// In standard deviations of each covariate: a match farther than this on any covariate is dropped.
    public let caliper: Double?
    public let varianceMatches: Int
    public let sample: Bool
    public let tolerance: Double

    public init(estimand: Estimand = .ate, matches: Int = 1, distance: Distance = .inverseVariance, caliper: Double? = nil,
                varianceMatches: Int = 0, sample: Bool = false, tolerance: Double = 1e-5) {
        self.estimand = estimand
        self.matches = matches
        self.distance = distance
        self.caliper = caliper
        self.varianceMatches = varianceMatches
        self.sample = sample
        self.tolerance = tolerance
    }

    /// The estimate, and each unit's weight in the matched sample (the target units 1 each, matched
    /// units the number of times they were used, split among ties): the weights balance is read with.
    public struct Result: Sendable {
        public let estimate: Estimate
        public let weights: [Double]
        /// Target units with no match inside the caliper.
        public let dropped: Int
        /// Matched pairs (with ties, each pair once).
        public let pairs: Int
    }

    public func estimate(_ data: StudyData, method: String = "match") throws(ObservationalError) -> Result {
        try data.requireBinary(for: method)
        guard matches >= 1 else { throw ObservationalError(.invalidOption, "--matches must be at least 1") }
        if let caliper, !(caliper > 0) { throw ObservationalError(.invalidOption, "--caliper must be positive") }
        let n = data.count, k = data.covariates.columns
        guard k > 0 else { throw ObservationalError(.invalidOption, "matching needs at least one covariate") }
        // ATC is ATT with the arms swapped and the sign turned.
        let tr = estimand == .atc ? data.treatment.map { 1 - $0 } : data.treatment
        let all = estimand == .ate
        let y = data.outcome

        // Standardise (mean 0, sd with n − 1), keeping the sds for the caliper.
        var sds = [Double](repeating: 0, count: k)
        var z = [Double](repeating: 0, count: n * k) // row-major: each unit's covariates contiguous
        for j in 0..<k {
            let column = data.covariates.column(j)
            let mean = column.reduce(0, +) / Double(n)
            var ss = 0.0
            for v in column { ss += (v - mean) * (v - mean) }
            var sd = (ss / Double(n - 1)).squareRoot()
            if sd < 1e-7 { sd = 1e-7 }
            sds[j] = sd
            var i = 0
            for v in column { z[i * k + j] = (v - mean) / sd; i += 1 }
        }
        // Mahalanobis: transform by the Cholesky factor of the inverse second-moment matrix, so the
        // metric becomes squared Euclidean distance.
        if distance == .mahalanobis {
            var s = [Double](repeating: 0, count: k * k)
            for i in 0..<n { for a in 0..<k { for b in 0..<k { s[b * k + a] += z[i * k + a] * z[i * k + b] } } }
            s = s.map { $0 / Double(n) }
            if let w = symmetricInverse(s, size: k), let u = upperCholesky(w, size: k) {
                var t = [Double](repeating: 0, count: k)
                for i in 0..<n {
                    for a in 0..<k {
                        var acc = 0.0
                        for b in a..<k { acc += u[a * k + b] * z[i * k + b] }
                        t[a] = acc
                    }
                    for a in 0..<k { z[i * k + a] = t[a] }
                }
            }
        }
        let caliperLimits = caliper.map { c in sds.map { $0 * c } }

        let targets = (0..<n).filter { all || tr[$0] == 1 }
        let matchesFound = findMatches(targets: targets, tr: tr, z: z, k: k)

        var kcount = [Double](repeating: 0, count: n), kkcount = [Double](repeating: 0, count: n)
        var ycaus = [Double](repeating: 0, count: n)
        var tauPairs: [(tau: Double, weight: Double)] = []
        var kept = [Bool](repeating: false, count: n)
        var dropped = 0, pairs = 0
        for (target, found) in zip(targets, matchesFound) {
            var chosen = found
            if let limits = caliperLimits {
                chosen = found.filter { j in
                    (0..<k).allSatisfy { c in abs(data.covariates[target, c] - data.covariates[j, c]) <= limits[c] }
                }
            }
            guard !chosen.isEmpty else { dropped += 1; continue }
            kept[target] = true
            let m = Double(chosen.count)
            var ymean = 0.0
            for j in chosen {
                kcount[j] += 1 / m
                kkcount[j] += 1 / (m * m)
                ymean += y[j]
            }
            ymean /= m
            let treatedTarget = tr[target] == 1
            ycaus[target] = treatedTarget ? y[target] - ymean : ymean - y[target]
            for j in chosen {
                tauPairs.append((treatedTarget ? y[target] - y[j] : y[j] - y[target], 1 / m))
            }
            pairs += chosen.count
        }
        guard pairs > 0 else {
            throw ObservationalError(.noOverlap, "the caliper of \(caliper ?? 0) standard deviations leaves no matches")
        }
        let weightSum = tauPairs.reduce(0) { $0 + $1.weight }
        let est = tauPairs.reduce(0) { $0 + $1.tau * $1.weight } / weightSum

        // Conditional variances σ²(X_i).
        var sigma2 = [Double](repeating: 0, count: n)
        if varianceMatches == 0 {
            let s = 0.5 * tauPairs.reduce(0) { $0 + ($1.tau - est) * ($1.tau - est) * $1.weight } / weightSum
            for i in 0..<n { sigma2[i] = s }
        } else {
            sigma2 = withinArmVariances(tr: tr, y: y, z: z, k: k)
        }
        // iot.t: the units averaged over; iot.c: the units that can serve as matches.
        var sn = 0.0, varSample = 0.0, varPop = 0.0
        for i in 0..<n {
            let iotT: Double = kept[i] ? 1 : 0
            let iotC: Double = all ? 1 : 1 - tr[i]
            sn += iotT
            let a = iotT + iotC * kcount[i]
            varSample += sigma2[i] * a * a
            if all {
                varPop += sigma2[i] * (iotC * kcount[i] * kcount[i] + 2 * iotC * kcount[i] - iotC * kkcount[i])
            } else {
                varPop += sigma2[i] * (iotC * kcount[i] * kcount[i] - iotC * kkcount[i])
            }
            varPop += iotT * (ycaus[i] - est) * (ycaus[i] - est)
        }
        varSample /= sn * sn
        varPop /= sn * sn
        let se = (sample ? varSample : varPop).squareRoot()

        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n { weights[i] = (kept[i] ? 1 : 0) + (all ? kcount[i] : (1 - tr[i]) * kcount[i]) }
        var notes = ["\(distance.rawValue) distance, \(matches) match\(matches == 1 ? "" : "es") with replacement, ties kept",
                     "Abadie–Imbens SE (\(varianceMatches == 0 ? "homoskedastic" : "\(varianceMatches) within-arm matches"), \(sample ? "sample" : "population") estimand)"]
        if dropped > 0 { notes.append("\(dropped) unit\(dropped == 1 ? "" : "s") without a match inside the caliper dropped") }
        let value = estimand == .atc ? -est : est
        return Result(estimate: Estimate(method: method, estimand: estimand, value: value, standardError: se, units: weights.filter { $0 > 0 }.count, notes: notes),
                      weights: weights, dropped: dropped, pairs: pairs)
    }

    /// For each target, the units of the other arm at most `tolerance` farther than its
    /// `matches`-th nearest. Brute force over the other arm, split across two threads.
    private func findMatches(targets: [Int], tr: [Double], z: [Double], k: Int) -> [[Int]] {
        let treatedIdx = tr.indices.filter { tr[$0] == 1 }, controlIdx = tr.indices.filter { tr[$0] == 0 }
        // Pack each arm's covariates contiguously.
        func pack(_ idx: [Int]) -> [Double] {
            var out = [Double](); out.reserveCapacity(idx.count * k)
            for i in idx { out += z[(i * k)..<(i * k + k)] }
            return out
        }
        let packed = [pack(controlIdx), pack(treatedIdx)]
        let members = [controlIdx, treatedIdx]
        let m = matches, tol = tolerance
        var results = [[Int]](repeating: [], count: targets.count)
        guard !targets.isEmpty else { return results }
        let threads = min(2, max(1, targets.count / 64))
        // Each thread writes its own targets' slots (every `threads`-th), never another's.
        results.withUnsafeMutableBufferPointer { buffer in
            let shared = Shared(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                var dist = [Double]()
                var i = part
                while i < targets.count {
                    let target = targets[i]
                    let other = tr[target] == 1 ? 0 : 1
                    let pool = members[other]
                    dist.removeAll(keepingCapacity: true)
                    packed[other].withUnsafeBufferPointer { p in
                        z.withUnsafeBufferPointer { zz in
                            let q = target * k
                            for c in 0..<pool.count {
                                var s = 0.0
                                let base = c * k
                                for d in 0..<k { let diff = p[base + d] - zz[q + d]; s += diff * diff }
                                dist.append(s)
                            }
                        }
                    }
                    let cutoff = kthSmallest(dist, min(m, pool.count)) + tol
                    var chosen = [Int]()
                    for c in 0..<pool.count where dist[c] <= cutoff { chosen.append(pool[c]) }
                    (shared.pointer + i).pointee = chosen
                    i += threads
                }
            }
        }
        return results
    }

    /// σ²(X_i) from unit i and its `varianceMatches` nearest units of its own arm (ties kept).
    private func withinArmVariances(tr: [Double], y: [Double], z: [Double], k: Int) -> [Double] {
        let n = tr.count
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var dist: [(Double, Int)] = []
            for j in 0..<n where j != i && tr[j] == tr[i] {
                var s = 0.0
                for d in 0..<k { let diff = z[j * k + d] - z[i * k + d]; s += diff * diff }
                dist.append((s, j))
            }
            guard !dist.isEmpty else { continue }
            let cutoff = kthSmallest(dist.map(\.0), min(varianceMatches, dist.count)) + 1e-7
            var values = [y[i]]
            for (d, j) in dist where d <= cutoff { values.append(y[j]) }
            let mean = values.reduce(0, +) / Double(values.count)
            out[i] = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        }
        return out
    }
}

/// The m-th smallest value (1-based) of `values`.
func kthSmallest(_ values: [Double], _ m: Int) -> Double {
    if m == 1 { return values.min() ?? .infinity }
    var best = [Double]() // the m smallest so far, sorted
    best.reserveCapacity(m + 1)
    for v in values {
        if best.count < m {
            let at = best.firstIndex { $0 > v } ?? best.count
            best.insert(v, at: at)
        } else if v < best[m - 1] {
            best.removeLast()
            let at = best.firstIndex { $0 > v } ?? best.count
            best.insert(v, at: at)
        }
    }
    return best[m - 1]
}


