import Stats

/// Percentile bootstrap intervals for the AUC scores: units resampled with replacement, seeded.
public enum Bootstrap {
    public struct Interval: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
    }

    /// Intervals for scikit-uplift's `qini_auc_score` and `uplift_auc_score` from `replicates`
    /// resamples; a resample without a treated or a control unit is drawn again. `kept` is called
    /// after each resample kept (a progress hook).
    public static func aucIntervals(_ s: UpliftSample, replicates: Int, seed: UInt64, confidence: Double = 0.95,
                                    kept: (() -> Void)? = nil) throws(QiniError) -> (qini: Interval, uplift: Interval) {
        guard replicates >= 10 else { throw QiniError(.invalidParameter, "a bootstrap needs at least 10 replicates") }
        try s.requireBinary("the AUC scores")
        var g = SplitMix64(seed: seed)
        let n = s.outcome.count
        // A resample is a multiplicity per unit; the ranking is computed once and walked with weights.
        let order = Ranking.descending(s.score)
        var qini: [Double] = [], uplift: [Double] = []
        var weights = [Double](repeating: 0, count: n)
        var attempts = 0
        while qini.count < replicates {
            attempts += 1
            guard attempts <= 10 * replicates else { throw QiniError(.insufficientData, "too few treated or control units to bootstrap") }
            for i in 0..<n { weights[i] = 0 }
            var treatedDrawn = 0.0
            for _ in 0..<n {
                let j = Int(g.next() % UInt64(n))
                weights[j] += 1
                if s.treated[j] { treatedDrawn += 1 }
            }
            guard treatedDrawn > 0, treatedDrawn < Double(n) else { continue }
            let scores = ScikitUplift.weightedAUCScores(s, order: order, weights: weights)
            guard scores.qini.isFinite, scores.uplift.isFinite else { continue }
            qini.append(scores.qini)
            uplift.append(scores.uplift)
            kept?()
        }
        return (interval(qini, confidence), interval(uplift, confidence))
    }

    /// The (1 − c)/2 and (1 + c)/2 quantiles, linearly interpolated (numpy's default).
    static func interval(_ values: [Double], _ confidence: Double) -> Interval {
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let h = q * Double(sorted.count - 1), lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
            return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
        }
        return Interval(lower: quantile((1 - confidence) / 2), upper: quantile((1 + confidence) / 2))
    }
}
