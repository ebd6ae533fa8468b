import Dispatch
import Foundation
import Stats

/// Geo test design by simulation, in the manner of GeoLift: for a candidate set of treated markets,
/// pretend the test ran in several historical windows of `duration` periods, multiply the treated
/// markets' outcome by (1 + effect) inside the window, estimate by synthetic control (the treated
/// markets' mean against every other market, identity V on the pre-window outcomes), and count a
/// detection when the in-space placebo p-value (the post/pre RMSPE ratio ranked among every donor
/// treated in turn) is at most α. Power is the share of windows detected; the minimum detectable
/// effect is the smallest effect with power at least `power`.
public enum GeoPlan {
    public struct Options: Sendable {
        public var duration: Int
        public var effects: [Double]
        public var alpha = 0.1
        public var power = 0.8
        /// Historical windows per set (the latest ones that leave `minimumPre` periods before them).
        public var windows = 10
        public var minimumPre = 10
        public init(duration: Int, effects: [Double]) {
            self.duration = duration
            self.effects = effects
        }
    }

    public struct SetResult: Sendable {
        public let units: [String]
        /// Power per effect, in the order of `Options.effects`.
        public let power: [Double]
        /// The smallest effect with power ≥ the target; nil when none reaches it.
        public let minimumDetectableEffect: Double?
        /// Mean pre-window RMSPE of the synthetic control, relative to the treated mean (fit quality).
        public let relativeFitError: Double
        /// Mean estimated relative lift across windows per effect (bias check).
        public let meanEstimate: [Double]
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidInput(String)
        public var description: String { switch self { case .invalidInput(let t): t } }
    }

    /// Candidate sets of `count` markets: each market with its `count − 1` most correlated others
    /// (pre-period levels), distinct sets only, at most `limit`.
    public static func candidates(_ panel: [String: [Double]], count: Int, limit: Int = 20) -> [[String]] {
        let units = panel.keys.sorted()
        guard count >= 1, count < units.count else { return [] }
        func correlation(_ a: [Double], _ b: [Double]) -> Double {
            let n = Double(a.count)
            let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
            return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
        }
        var seen = Set<[String]>(), sets: [[String]] = []
        for u in units {
            let others = units.filter { $0 != u }.sorted { correlation(panel[u]!, panel[$0]!) > correlation(panel[u]!, panel[$1]!) }
            let set = ([u] + others.prefix(count - 1)).sorted()
            if seen.insert(set).inserted { sets.append(set) }
        }
        return Array(sets.prefix(limit))
    }

    public static func evaluate(_ panel: [String: [Double]], sets: [[String]], options o: Options) throws(Failure) -> [SetResult] {
        let units = panel.keys.sorted()
        guard let t = panel.values.first?.count, panel.values.allSatisfy({ $0.count == t }) else { throw .invalidInput("the panel needs every unit in every period") }
        guard panel.values.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw .invalidInput("a value is not a finite number") }
        guard o.duration >= 1 else { throw .invalidInput("the duration must be at least 1 period") }
        guard !o.effects.isEmpty, o.effects.allSatisfy({ $0.isFinite && $0 > -1 }) else { throw .invalidInput("effects must be numbers above −1 (0.02 is +2%)") }
        guard o.alpha > 0, o.alpha < 1 else { throw .invalidInput("alpha must be in (0, 1)") }
        let lastStart = t - o.duration
        guard lastStart >= o.minimumPre else {
            throw .invalidInput("the panel has \(t) periods: too few for a \(o.duration)-period test after at least \(o.minimumPre) periods of history")
        }
        let starts = Array(stride(from: lastStart, through: o.minimumPre, by: -max(1, o.duration / 2)).prefix(o.windows))
        for set in sets {
            for u in set where panel[u] == nil { throw .invalidInput("market \"\(u)\" is not in the panel") }
            let donors = units.count - set.count
            guard donors >= 2 else { throw .invalidInput("treating \(set.count) markets leaves \(donors) donors; a synthetic control needs at least 2") }
            guard 1 / Double(donors + 1) <= o.alpha else {
                throw .invalidInput("with \(donors) donors the smallest placebo p-value is 1/\(donors + 1), above alpha \(o.alpha): add markets or raise alpha")
            }
        }
        guard !sets.isEmpty else { return [] }
        var results = [SetResult?](repeating: nil, count: sets.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let shared = Shared(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: sets.count) { k in
                (shared.pointer + k).pointee = evaluateSet(sets[k], panel: panel, units: units, starts: starts, options: o)
            }
        }
        return results.map { $0! }
    }

    static func evaluateSet(_ set: [String], panel: [String: [Double]], units: [String], starts: [Int], options o: Options) -> SetResult {
        let donors = units.filter { !set.contains($0) }
        let t = panel[donors[0]]!.count
        let treated = (0..<t).map { s in set.reduce(0) { $0 + panel[$1]![s] } / Double(set.count) }
        var detections = [Int](repeating: 0, count: o.effects.count)
        var estimates = [Double](repeating: 0, count: o.effects.count)
        var fitError = 0.0
        for start in starts {
            let end = start + o.duration
            let pre = Array(0..<start), post = Array(start..<end)
            // Every donor as a placebo, against the other donors.
            var ratios: [Double] = []
            for (j, d) in donors.enumerated() {
                let pool = donors.enumerated().filter { $0.offset != j }.map { panel[$0.element]! }
                ratios.append(ratio(panel[d]!, pool, pre: pre, post: post).ratio)
            }
            let pool = donors.map { panel[$0]! }
            // An effect changes only the window, so the treated markets' weights (fitted before it)
            // and their pre-window fit are the same for every effect.
            let w = weights(treated, pool, pre: pre)
            let level = post.reduce(0) { $0 + treated[$1] } / Double(post.count)
            for (e, effect) in o.effects.enumerated() {
                var series = treated
                for s in post { series[s] *= 1 + effect }
                let fit = readout(series, pool, weights: w, pre: pre, post: post)
                let p = Double(ratios.filter { $0 >= fit.ratio }.count + 1) / Double(ratios.count + 1)
                if p <= o.alpha + 1e-12 && (fit.att > 0) == (effect > 0) { detections[e] += 1 }
                estimates[e] += fit.att / level / Double(starts.count)
                if e == 0 { fitError += fit.preRMSPE / max(abs(pre.reduce(0) { $0 + treated[$1] } / Double(pre.count)), 1e-12) / Double(starts.count) }
            }
        }
        let power = detections.map { Double($0) / Double(starts.count) }
        let mde = zip(o.effects, power).filter { $0.1 >= o.power }.map(\.0).min { abs($0) < abs($1) }
        return SetResult(units: set, power: power, minimumDetectableEffect: mde, relativeFitError: fitError, meanEstimate: estimates)
    }

    /// Synthetic control of `target` from `pool` on the pre-periods (identity V, raw outcomes):
    /// post/pre RMSPE ratio, the ATT over the post-periods and the pre-period RMSPE.
    static func ratio(_ target: [Double], _ pool: [[Double]], pre: [Int], post: [Int]) -> (ratio: Double, att: Double, preRMSPE: Double) {
        readout(target, pool, weights: weights(target, pool, pre: pre), pre: pre, post: post)
    }

    /// The synthetic control's weights for `target` on the pre-periods (equal weights if the
    /// program cannot be solved).
    static func weights(_ target: [Double], _ pool: [[Double]], pre: [Int]) -> [Double] {
        (try? SimplexWeights.solve(treated: pre.map { target[$0] }, donors: pool.map { d in pre.map { d[$0] } }).weights)
            ?? [Double](repeating: 1 / Double(pool.count), count: pool.count)
    }

    /// Post/pre RMSPE ratio, ATT and pre-period RMSPE of `target` against `pool` with weights `w`.
    static func readout(_ target: [Double], _ pool: [[Double]], weights w: [Double], pre: [Int], post: [Int]) -> (ratio: Double, att: Double, preRMSPE: Double) {
        func gap(_ s: Int) -> Double { target[s] - (0..<pool.count).reduce(0) { $0 + w[$1] * pool[$1][s] } }
        let preMSE = pre.reduce(0) { $0 + gap($1) * gap($1) } / Double(pre.count)
        let postGaps = post.map(gap)
        let postMSE = postGaps.reduce(0) { $0 + $1 * $1 } / Double(post.count)
        let preRMSPE = preMSE.squareRoot()
        return (preRMSPE > 0 ? postMSE.squareRoot() / preRMSPE : .infinity, postGaps.reduce(0, +) / Double(post.count), preRMSPE)
    }

    /// The recommended set: the smallest minimum detectable effect, then the best pre-window fit.
    public static func recommend(_ results: [SetResult]) -> SetResult? { results.min(by: better) }

    /// The sets from the recommended one down.
    public static func ranked(_ results: [SetResult]) -> [SetResult] { results.sorted(by: better) }

    /// Whether `a` is a better set to treat than `b`: a smaller minimum detectable effect (any
    /// before none), then a better pre-window fit.
    static func better(_ a: SetResult, _ b: SetResult) -> Bool {
        switch (a.minimumDetectableEffect, b.minimumDetectableEffect) {
        case let (x?, y?) where abs(x) != abs(y): abs(x) < abs(y)
        case (_?, nil): true
        case (nil, _?): false
        default: a.relativeFitError < b.relativeFitError
        }
    }
}
