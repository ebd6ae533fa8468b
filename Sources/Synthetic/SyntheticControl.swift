import Dispatch
import Stats

/// The synthetic control of Abadie & Gardeazabal (2003) and Abadie, Diamond & Hainmueller (2010):
/// donor weights that make a weighted average of untreated units resemble the treated one before
/// the treatment, on chosen predictors, with the predictors' own weights V either the identity or
/// chosen by nested optimisation of the pre-period outcome fit.
public enum SyntheticControl {
    /// A predictor: a series averaged over the periods of a window that have a value (sparse series
    /// such as schooling every five years are averaged over the years present, as Synth does).
    public struct Predictor: Sendable, Equatable {
        public let name: String
        /// The series by unit and period.
        public let series: [String: [Int: Double]]
        public let periods: [Int]

        public init(name: String, series: [String: [Int: Double]], periods: [Int]) {
            self.name = name
            self.series = series
            self.periods = periods
        }

        /// The unit's mean over the window's periods that have a value; nil when none has.
        public func value(for unit: String) -> Double? {
            let present = periods.compactMap { series[unit]?[$0] }.filter(\.isFinite)
            return present.isEmpty ? nil : present.reduce(0, +) / Double(present.count)
        }
    }

    /// One row per predictor, one column per unit, each row divided by its standard deviation across
    /// the units (n − 1; as Synth and pysyncon), so that no predictor weighs by its scale.
    static func scaledRows(_ predictors: [Predictor], units: [String]) throws(Failure) -> [[Double]] {
        var rows: [[Double]] = []
        for p in predictors {
            var row: [Double] = []
            for u in units {
                guard let x = p.value(for: u) else { throw .invalidInput("unit \"\(u)\" has no value of predictor \(p.name) in its window") }
                row.append(x)
            }
            let mean = row.reduce(0, +) / Double(row.count)
            let sd = (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count - 1)).squareRoot()
            rows.append(sd > 0 ? row.map { $0 / sd } : row)
        }
        return rows
    }

    public enum PredictorWeights: Sendable, Equatable {
        /// Every predictor weighs the same (after scaling by its standard deviation across units).
        case identity
        /// V minimising the pre-period outcome MSPE of the resulting synthetic control, by Nelder–Mead
        /// from equal weights (Synth's and pysyncon's search).
        case nested
        /// Given weights, one per predictor (normalised to sum to 1): Synth's `custom.v`, as Abadie,
        /// Diamond & Hainmueller (2015) pass the V cross-validated on a training period.
        case custom([Double])
    }

    public struct Fit: Sendable {
        public let donors: [String]
        public let weights: [Double]
        /// The predictor weights used, normalised to sum to 1.
        public let v: [Double]
        /// Mean squared pre-period outcome error of the synthetic control (the nested search's loss).
        public let outcomeLoss: Double
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidInput(String)

        public var description: String {
            switch self { case .invalidInput(let m): m }
        }
    }

    /// Fits the weights of the donors for the treated unit.
    /// - Parameters:
    ///   - outcome: the outcome by unit and period (complete over `fitPeriods`).
    ///   - fitPeriods: the pre-treatment periods whose outcome fit the nested search minimises.
    ///   - predictors: the predictors; empty means the outcome in each of `fitPeriods`.
    public static func fit(treated: String, donors: [String], outcome: [String: [Int: Double]], fitPeriods: [Int],
                           predictors: [Predictor] = [], v: PredictorWeights = .identity) throws(Failure) -> Fit {
        guard donors.count >= 2 else { throw .invalidInput("a synthetic control needs at least 2 donors; got \(donors.count)") }
        guard !fitPeriods.isEmpty else { throw .invalidInput("no pre-treatment periods to fit") }
        let units = [treated] + donors
        let predictors = predictors.isEmpty
            ? fitPeriods.map { p in Predictor(name: "outcome \(p)", series: outcome, periods: [p]) }
            : predictors
        // (A pre-treatment period shorter than the number of predictors makes the nested search
        // ill-posed; the use case, which knows the start, refuses it. The fit window may be shorter:
        // Abadie & Gardeazabal fit 1960–1969 with 14 predictors.)
        // X: one row per predictor, one column per unit; rows scaled by their standard deviation.
        let rows = try scaledRows(predictors, units: units)
        let x1 = rows.map { $0[0] }
        let x0 = donors.indices.map { j in rows.map { $0[j + 1] } }
        var z0: [[Double]] = [], z1: [Double] = []
        for p in fitPeriods {
            guard let t = outcome[treated]?[p], t.isFinite else { throw .invalidInput("unit \"\(treated)\" has no outcome in period \(p)") }
            z1.append(t)
        }
        for d in donors {
            var column: [Double] = []
            for p in fitPeriods {
                guard let y = outcome[d]?[p], y.isFinite else { throw .invalidInput("unit \"\(d)\" has no outcome in period \(p)") }
                column.append(y)
            }
            z0.append(column)
        }
        func outcomeLoss(_ w: [Double]) -> Double {
            var s = 0.0
            for t in z1.indices {
                var fit = 0.0
                for j in w.indices where w[j] != 0 { fit += w[j] * z0[j][t] }
                s += (z1[t] - fit) * (z1[t] - fit)
            }
            return s / Double(z1.count)
        }
        func weights(_ v: [Double]) throws(Failure) -> [Double] {
            do { return try SimplexWeights.solve(treated: x1, donors: x0, v: v).weights } catch {
                throw .invalidInput("the donor weights could not be computed: \(error)")
            }
        }
        let k = predictors.count
        switch v {
        case .identity:
            let equal = [Double](repeating: 1 / Double(k), count: k)
            let w = try weights(equal)
            return Fit(donors: donors, weights: w, v: equal, outcomeLoss: outcomeLoss(w))
        case .custom(let given):
            guard given.count == k, given.allSatisfy({ $0.isFinite && $0 >= 0 }), given.contains(where: { $0 > 0 }) else {
                throw .invalidInput("a custom V needs one weight ≥ 0 per predictor (\(k)), not all zero")
            }
            let total = given.reduce(0, +)
            let chosen = given.map { $0 / total }
            let w = try weights(chosen)
            return Fit(donors: donors, weights: w, v: chosen, outcomeLoss: outcomeLoss(w))
        case .nested:
            func normalised(_ x: [Double]) -> [Double] {
                let total = x.reduce(0) { $0 + abs($1) }
                return total > 0 ? x.map { abs($0) / total } : [Double](repeating: 1 / Double(k), count: k)
            }
            // Nelder–Mead from equal weights, restarted from its own result until a restart no longer
            // improves the fit (a restart rebuilds the simplex around the point, as Synth's repeated
            // optimisers do): the search is not convex, and one run often stalls on a ridge.
            let objective: ([Double]) -> Double = { x in (try? weights(normalised(x))).map(outcomeLoss) ?? .infinity }
            var search = NelderMead.minimize(objective, from: [Double](repeating: 1 / Double(k), count: k))
            for _ in 0..<50 {
                let again = NelderMead.minimize(objective, from: normalised(search.x))
                guard again.value < search.value * (1 - 1e-9) else { break }
                search = again
            }
            let chosen = normalised(search.x)
            let w = try weights(chosen)
            return Fit(donors: donors, weights: w, v: chosen, outcomeLoss: outcomeLoss(w))
        }
    }
}

extension SyntheticControl {
    /// A fit read against the whole series: the synthetic path, the gap in every period, the effect
    /// after the start, and the fit before it.
    public struct Estimate: Sendable {
        public let fit: Fit
        /// Periods in order, and per period the treated value, the synthetic value and their gap.
        public let periods: [Int]
        public let treated: [Double]
        public let synthetic: [Double]
        public let gaps: [Double]
        /// The mean gap over the post-treatment periods (the ATT for one treated unit).
        public let att: Double
        public let preRMSPE: Double
        public let postRMSPE: Double
        /// postRMSPE / preRMSPE, the statistic of the in-space placebo test.
        public var ratio: Double { preRMSPE > 0 ? postRMSPE / preRMSPE : .infinity }
    }

    /// Fits on the periods before `start` and reads the gaps over all `periods`.
    /// `fitPeriods` are the pre-periods the nested search fits (nil: all before the start).
    public static func estimate(treated: String, donors: [String], outcome: [String: [Int: Double]], periods: [Int], start: Int,
                                fitPeriods: [Int]? = nil, predictors: [Predictor] = [], v: PredictorWeights = .identity) throws(Failure) -> Estimate {
        let pre = periods.filter { $0 < start }, post = periods.filter { $0 >= start }
        guard !pre.isEmpty else { throw .invalidInput("the start \(start) leaves no period before it") }
        guard !post.isEmpty else { throw .invalidInput("the start \(start) is after the last period (\(periods.last ?? 0))") }
        let fit = try fit(treated: treated, donors: donors, outcome: outcome, fitPeriods: fitPeriods ?? pre, predictors: predictors, v: v)
        return try read(fit, treated: treated, outcome: outcome, periods: periods, start: start)
    }

    /// The synthetic path, gaps, ATT and RMSPEs of a fit over the whole series.
    static func read(_ fit: Fit, treated: String, outcome: [String: [Int: Double]], periods: [Int], start: Int) throws(Failure) -> Estimate {
        var y: [Double] = [], s: [Double] = []
        for p in periods {
            guard let t = outcome[treated]?[p] else { throw .invalidInput("unit \"\(treated)\" has no outcome in period \(p)") }
            var synthetic = 0.0
            for (j, d) in fit.donors.enumerated() where fit.weights[j] != 0 {
                guard let x = outcome[d]?[p] else { throw .invalidInput("unit \"\(d)\" has no outcome in period \(p)") }
                synthetic += fit.weights[j] * x
            }
            y.append(t)
            s.append(synthetic)
        }
        let gaps = zip(y, s).map { $0 - $1 }
        func rmspe(_ range: [Int]) -> Double {
            (range.reduce(0) { $0 + gaps[$1] * gaps[$1] } / Double(range.count)).squareRoot()
        }
        let preIndices = periods.indices.filter { periods[$0] < start }, postIndices = periods.indices.filter { periods[$0] >= start }
        return Estimate(fit: fit, periods: periods, treated: y, synthetic: s, gaps: gaps,
                        att: postIndices.reduce(0) { $0 + gaps[$1] } / Double(postIndices.count),
                        preRMSPE: rmspe(preIndices), postRMSPE: rmspe(postIndices))
    }

    /// In-space placebos (Abadie, Diamond & Hainmueller 2010): each donor in turn as if treated, with
    /// the other donors as its pool, under the same predictors and V choice. The permutation p-value
    /// is the share of all units (the treated one included) whose post/pre RMSPE ratio is at least the
    /// treated unit's.
    public static func placebos(treated: Estimate, donors: [String], outcome: [String: [Int: Double]], start: Int,
                                fitPeriods: [Int]? = nil, predictors: [Predictor] = [], v: PredictorWeights = .identity)
        -> (estimates: [(unit: String, estimate: Estimate?)], pValue: Double) {
        var results: [(String, Estimate?)] = []
        if v == .identity, let shared = try? sharedGramPlacebos(donors: donors, outcome: outcome, periods: treated.periods, start: start,
                                                               fitPeriods: fitPeriods, predictors: predictors) {
            results = shared
        } else {
            for d in donors {
                let pool = donors.filter { $0 != d }
                results.append((d, try? estimate(treated: d, donors: pool, outcome: outcome, periods: treated.periods, start: start,
                                                 fitPeriods: fitPeriods, predictors: predictors, v: v)))
            }
        }
        let ratios = results.compactMap { $0.1?.ratio }
        let atLeast = ratios.filter { $0 >= treated.ratio }.count
        return (results, Double(atLeast + 1) / Double(ratios.count + 1))
    }

    /// Placebos with the identity V share everything but the treated column: every placebo's units are
    /// the same donors, so the predictors' scaling and the Gram matrix XᵀX are computed once and each
    /// placebo solves its block (the other donors) against its own column, on both cores. The same
    /// weights as fitting each placebo afresh, at a fraction of the cost (1,000 donors: one Gram matrix
    /// instead of 1,000).
    static func sharedGramPlacebos(donors: [String], outcome: [String: [Int: Double]], periods: [Int], start: Int,
                                   fitPeriods: [Int]?, predictors: [Predictor]) throws(Failure) -> [(String, Estimate?)] {
        let pre = fitPeriods ?? periods.filter { $0 < start }
        let list = predictors.isEmpty ? pre.map { p in Predictor(name: "outcome \(p)", series: outcome, periods: [p]) } : predictors
        let n = donors.count, k = list.count
        guard n >= 3 else { throw .invalidInput("too few donors to share") }
        let x = Array(try scaledRows(list, units: donors).joined())   // row r: predictor r over the donors
        let weight = 1 / Double(k)
        // The Gram matrix G = XᵀVX over every donor, rows split between the cores.
        var gram = [Double](repeating: 0, count: n * n)
        let xp = x
        gram.withUnsafeMutableBufferPointer { g in
            let out = Shared(g.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: n) { i in
                for j in i..<n {
                    var s = 0.0
                    for r in 0..<k { s += xp[r * n + i] * xp[r * n + j] }
                    out.pointer[i * n + j] = s * weight
                    out.pointer[j * n + i] = s * weight
                }
            }
        }
        let g = gram
        var weights = [[Double]](repeating: [], count: n)
        weights.withUnsafeMutableBufferPointer { w in
            let out = Shared(w.baseAddress!)
            do {
                DispatchQueue.concurrentPerform(iterations: n) { d in
                    let others = (0..<n).filter { $0 != d }
                    let m = others.count
                    var p = [Double](repeating: 0, count: m * m), q = [Double](repeating: 0, count: m)
                    for (a, i) in others.enumerated() {
                        q[a] = g[i * n + d]
                        for (b, j) in others.enumerated() { p[a * m + b] = g[i * n + j] }
                    }
                    out.pointer[d] = SimplexWeights.minimize(p: p, q: q, n: m).weights
                }
            }
        }
        var results: [(String, Estimate?)] = []
        for (d, name) in donors.enumerated() {
            let pool = donors.enumerated().filter { $0.offset != d }.map(\.element)
            var loss = 0.0
            for t in pre {
                var fit = 0.0
                for (a, u) in pool.enumerated() where weights[d][a] != 0 { fit += weights[d][a] * (outcome[u]?[t] ?? .nan) }
                loss += ((outcome[name]?[t] ?? .nan) - fit) * ((outcome[name]?[t] ?? .nan) - fit)
            }
            let fit = Fit(donors: pool, weights: weights[d], v: [Double](repeating: weight, count: k), outcomeLoss: loss / Double(pre.count))
            results.append((name, try? read(fit, treated: name, outcome: outcome, periods: periods, start: start)))
        }
        return results
    }

    /// Leave-one-out (Abadie, Diamond & Hainmueller 2015; Spotify's sensitivity check): the fit again
    /// without each donor that had positive weight, so a reader sees whether one donor drives the result.
    public static func leaveOneOut(_ base: Estimate, treated: String, outcome: [String: [Int: Double]], start: Int,
                                   fitPeriods: [Int]? = nil, predictors: [Predictor] = [], v: PredictorWeights = .identity)
        -> [(left: String, estimate: Estimate?)] {
        let donors = base.fit.donors
        return zip(donors, base.fit.weights).filter { $0.1 > 1e-6 }.map { left, _ in
            let pool = donors.filter { $0 != left }
            return (left, try? estimate(treated: treated, donors: pool, outcome: outcome, periods: base.periods, start: start,
                                        fitPeriods: fitPeriods.map { $0.filter { $0 < start } }, predictors: predictors, v: v))
        }
    }

    /// An in-time placebo: the same fit with a pretended start inside the pre-period, on the periods
    /// before the real start only. A gap that opens at the pretended start would question the design.
    public static func inTimePlacebo(treated: String, donors: [String], outcome: [String: [Int: Double]], periods: [Int], start: Int,
                                     placeboStart: Int, predictors: [Predictor] = [], v: PredictorWeights = .identity) throws(Failure) -> Estimate {
        guard placeboStart < start else { throw .invalidInput("the placebo start must come before the start") }
        let before = periods.filter { $0 < start }
        // Predictors keep only the periods before the pretended start.
        let shifted = predictors.map { Predictor(name: $0.name, series: $0.series, periods: $0.periods.filter { $0 < placeboStart }) }
        return try estimate(treated: treated, donors: donors, outcome: outcome, periods: before, start: placeboStart,
                            predictors: shifted.contains { $0.periods.isEmpty } ? [] : shifted, v: v)
    }
}
