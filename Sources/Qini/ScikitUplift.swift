/// Uplift metrics as scikit-uplift 0.5.1 defines them (`sklift/metrics/metrics.py`): rows ranked by
/// score, descending; tied scores form one curve point; a term whose group is empty is zero; the AUC
/// scores are normalised between the random and the perfect curve. Curves and AUC scores also take
/// continuous outcomes where the definition allows (the perfect curves need a binary outcome).
public enum ScikitUplift {
    public enum Strategy: String, Sendable, CaseIterable {
        /// The top k of all units, then each group's mean among them.
        case overall
        /// The top k of each group separately.
        case byGroup = "by_group"
    }

    // MARK: Curves

    /// Qini and uplift curves in one pass over the ranking.
    public static func curves(_ s: UpliftSample) -> (qini: Curve, uplift: Curve) {
        if s.isBinary { return binaryCurves(s) }
        return curves(outcome: s.outcome, treated: s.treated, order: Ranking.descending(s.score), score: s.score)
    }

    /// Binary outcomes: (treated, outcome) rides along the sort as two bits, and the walk reads the
    /// sorted keys and bits in order (descending = the ascending sort read backwards, which puts
    /// tied rows in reverse input order, as scikit-uplift's ranking does).
    static func binaryCurves(_ s: UpliftSample) -> (qini: Curve, uplift: Curve) {
        let c = binaryCurvesWithAreas(s)
        return (c.qini, c.uplift)
    }

    /// The binary walk, also summing both curves' trapezoids as it goes (Neumaier-compensated, so
    /// at least as accurate as numpy's pairwise sum of the same terms).
    /// With `maximumPoints`, the curves keep only the points `Curve.thinned(to:)` would keep (the
    /// areas still sum every trapezoid), so ten million rows never hold ten million points.
    static func binaryCurvesWithAreas(_ s: UpliftSample, maximumPoints: Int? = nil, ranking: BinaryRanking? = nil) -> (qini: Curve, uplift: Curve, qiniArea: Double, upliftArea: Double) {
        let n = s.score.count
        let sorted = ranking ?? (try! BinaryRanking(s)) // binary: the callers checked
        let (keys, payload) = (sorted.keys, sorted.payload)
        // Which points to keep: all, or those thinned(to:) keeps of the origin and every group's end.
        var groups = n > 0 ? 1 : 0
        keys.withUnsafeBufferPointer { k in for i in 1..<max(n, 1) where k[i] != k[i - 1] { groups += 1 } }
        let total = groups + 1
        var kept: [Int]? = nil
        if let points = maximumPoints, total > points, points >= 2 {
            let step = Double(total - 1) / Double(points - 1)
            kept = (0..<points).map { Int((Double($0) * step).rounded()) }
        }
        let capacity = kept?.count ?? total
        var x = [Double](), qy = [Double](), uy = [Double]()
        x.reserveCapacity(capacity); qy.reserveCapacity(capacity); uy.reserveCapacity(capacity)
        x.append(0); qy.append(0); uy.append(0)
        var point = 0, nextKept = 1
        var nT = 0.0, yT = 0.0, yC = 0.0
        var qArea = CompensatedSum(), uArea = CompensatedSum()
        var lastX = 0.0, lastQ = 0.0, lastU = 0.0
        keys.withUnsafeBufferPointer { k in
            payload.withUnsafeBufferPointer { p in
                var position = n - 1
                var taken = 0.0
                while position >= 0 {
                    let b = p[position]
                    taken += 1
                    if b & 1 != 0 { nT += 1; if b & 2 != 0 { yT += 1 } } else if b & 2 != 0 { yC += 1 }
                    if position == 0 || k[position - 1] != k[position] {
                        let nC = taken - nT
                        let q = yT - yC * (nC != 0 ? nT / nC : 0)
                        let u = ((nT != 0 ? yT / nT : 0) - (nC != 0 ? yC / nC : 0)) * taken
                        point += 1
                        if let kept {
                            if nextKept < kept.count, kept[nextKept] == point { x.append(taken); qy.append(q); uy.append(u); nextKept += 1 }
                        } else {
                            x.append(taken); qy.append(q); uy.append(u)
                        }
                        qArea.add((taken - lastX) * (q + lastQ) / 2)
                        uArea.add((taken - lastX) * (u + lastU) / 2)
                        lastX = taken; lastQ = q; lastU = u
                    }
                    position -= 1
                }
            }
        }
        return (Curve(x: x, y: qy), Curve(x: x, y: uy), qArea.value, uArea.value)
    }

    /// Counts of the four (outcome, treatment) cells of a binary sample, optionally weighted.
    struct Cells {
        init(_ s: UpliftSample) {
            var counts = (0, 0, 0, 0)
            s.treated.withUnsafeBufferPointer { t in
                s.outcome.withUnsafeBufferPointer { y in
                    for i in 0..<t.count {
                        switch (t[i], y[i] == 1) {
                        case (true, true): counts.0 += 1
                        case (true, false): counts.1 += 1
                        case (false, true): counts.2 += 1
                        case (false, false): counts.3 += 1
                        }
                    }
                }
            }
            self.init()
            (treatedResponders, treatedNonResponders, controlResponders, controlNonResponders) =
                (Double(counts.0), Double(counts.1), Double(counts.2), Double(counts.3))
        }

        var treatedResponders = 0.0, treatedNonResponders = 0.0, controlResponders = 0.0, controlNonResponders = 0.0

        private init() {}

        init(_ s: UpliftSample, weights: [Double]?) {
            guard let weights else { self.init(s); return }
            self.init()
            for i in s.outcome.indices {
                let w = weights[i]
                switch (s.treated[i], s.outcome[i] == 1) {
                case (true, true): treatedResponders += w
                case (true, false): treatedNonResponders += w
                case (false, true): controlResponders += w
                case (false, false): controlNonResponders += w
                }
            }
        }

        /// A curve through groups of cells taken in order, one point after each non-empty group,
        /// by the same formulas as `curves`.
        func curve(_ groups: [[(treated: Bool, responder: Bool)]], qini: Bool) -> Curve {
            var out = Curve(x: [0], y: [0])
            var nT = 0.0, yT = 0.0, yC = 0.0, all = 0.0
            for group in groups {
                var size = 0.0
                for cell in group {
                    let count: Double
                    switch (cell.treated, cell.responder) {
                    case (true, true): count = treatedResponders; yT += count
                    case (true, false): count = treatedNonResponders
                    case (false, true): count = controlResponders; yC += count
                    case (false, false): count = controlNonResponders
                    }
                    if cell.treated { nT += count }
                    size += count
                }
                guard size > 0 else { continue }
                all += size
                let nC = all - nT
                out.x.append(all)
                out.y.append(qini ? yT - yC * (nC != 0 ? nT / nC : 0) : ((nT != 0 ? yT / nT : 0) - (nC != 0 ? yC / nC : 0)) * all)
            }
            return out
        }
    }

    /// Points at the end of each run of equal scores along `order`.
    /// With `weights` (bootstrap multiplicities), each row counts that many times.
    static func curves(outcome: [Double], treated: [Bool], order: [Int32], score: [Double],
                       weights: [Double]? = nil) -> (qini: Curve, uplift: Curve) {
        var qini = Curve(x: [0], y: [0]), uplift = Curve(x: [0], y: [0])
        var nT = 0.0, yT = 0.0, yC = 0.0, all = 0.0
        let n = order.count
        for position in 0..<n {
            let i = Int(order[position])
            let w = weights?[i] ?? 1
            all += w
            if treated[i] { nT += w; yT += w * outcome[i] } else { yC += w * outcome[i] }
            guard position == n - 1 || score[Int(order[position + 1])] != score[i] else { continue }
            if weights != nil, w == 0, qini.x.last == all { continue }
            let nC = all - nT
            qini.x.append(all)
            qini.y.append(yT - yC * (nC != 0 ? nT / nC : 0))
            uplift.x.append(all)
            uplift.y.append(((nT != 0 ? yT / nT : 0) - (nC != 0 ? yC / nC : 0)) * all)
        }
        return (qini, uplift)
    }

    public static func qiniCurve(_ s: UpliftSample) -> Curve { curves(s).qini }
    public static func upliftCurve(_ s: UpliftSample) -> Curve { curves(s).uplift }

    /// The best achievable Qini curve: `qini_curve(y, y·t − y·(1 − t), t)`; without negative effects,
    /// the straight rise to the overall incremental count and flat after it.
    public static func perfectQiniCurve(_ s: UpliftSample, negativeEffect: Bool = true) throws(QiniError) -> Curve {
        try s.requireBinary("the perfect Qini curve")
        return perfectQini(s, negativeEffect: negativeEffect, weights: nil)
    }

    static func perfectQini(_ s: UpliftSample, negativeEffect: Bool, weights: [Double]?) -> Curve {
        if negativeEffect {
            // Ranked by y·t − y·(1 − t): treated responders (1), then every non-responder (0), then control responders (−1).
            return Cells(s, weights: weights).curve([[(true, true)], [(true, false), (false, false)], [(false, true)]], qini: true)
        }
        var sumT = 0.0, nT = 0.0, sumC = 0.0, nC = 0.0
        for i in s.outcome.indices {
            let w = weights?[i] ?? 1
            if s.treated[i] { sumT += w * s.outcome[i]; nT += w } else { sumC += w * s.outcome[i]; nC += w }
        }
        let ratio = sumT - nT * sumC / nC
        return Curve(x: [0, ratio, nT + nC], y: [0, ratio, ratio])
    }

    /// The best achievable uplift curve: ranked by 2·(y = t) + (y or t, whichever group is larger).
    public static func perfectUpliftCurve(_ s: UpliftSample) throws(QiniError) -> Curve {
        try s.requireBinary("the perfect uplift curve")
        return perfectUplift(s, weights: nil)
    }

    static func perfectUplift(_ s: UpliftSample, weights: [Double]?) -> Curve {
        let cells = Cells(s, weights: weights)
        // Ranked by 2·(y = t) + (y if control responders outnumber treated non-responders, else t).
        let byOutcome = cells.controlResponders > cells.treatedNonResponders
        func value(_ treated: Bool, _ responder: Bool) -> Int { 2 * (responder == treated ? 1 : 0) + ((byOutcome ? responder : treated) ? 1 : 0) }
        let all: [(treated: Bool, responder: Bool)] = [(true, true), (true, false), (false, true), (false, false)]
        let groups = stride(from: 3, through: 0, by: -1).map { v in all.filter { value($0.treated, $0.responder) == v } }
        return cells.curve(groups, qini: false)
    }

    /// Both AUC scores with each row counted `weights[i]` times (a bootstrap resample), along the
    /// model's ranking computed once; the perfect curves come from the weighted cell counts.
    static func weightedAUCScores(_ s: UpliftSample, order: [Int32], weights: [Double]) -> (qini: Double, uplift: Double) {
        let c = curves(outcome: s.outcome, treated: s.treated, order: order, score: s.score, weights: weights)
        return (normalised(c.qini, perfect: perfectQini(s, negativeEffect: true, weights: weights)),
                normalised(c.uplift, perfect: perfectUplift(s, weights: weights)))
    }

    // MARK: Scores

    /// (AUC(model) − AUC(random)) / (AUC(perfect) − AUC(random)); random is the line from (0, 0) to the perfect curve's end.
    static func normalised(_ actual: Curve, perfect: Curve) -> Double {
        let baseline = Curve(x: [0, perfect.x.last ?? 0], y: [0, perfect.y.last ?? 0]).area
        return (actual.area - baseline) / (perfect.area - baseline)
    }

    public static func qiniAUCScore(_ s: UpliftSample, negativeEffect: Bool = true) throws(QiniError) -> Double {
        normalised(qiniCurve(s), perfect: try perfectQiniCurve(s, negativeEffect: negativeEffect))
    }

    public static func upliftAUCScore(_ s: UpliftSample) throws(QiniError) -> Double {
        normalised(upliftCurve(s), perfect: try perfectUpliftCurve(s))
    }

    /// Both AUC scores from one ranking: for large samples, the sort is the cost.
    public static func aucScores(_ s: UpliftSample, negativeEffect: Bool = true) throws(QiniError) -> (qini: Double, uplift: Double, curves: (qini: Curve, uplift: Curve)) {
        let e = try evaluation(s, negativeEffect: negativeEffect)
        return (e.qini, e.uplift, e.curves)
    }

    /// The AUC scores with the curves (thinned to `maximumPoints` when given) and the perfect
    /// curves they are normalised by, each computed once.
    public static func evaluation(_ s: UpliftSample, negativeEffect: Bool = true, maximumPoints: Int? = nil, ranking: BinaryRanking? = nil) throws(QiniError)
        -> (qini: Double, uplift: Double, curves: (qini: Curve, uplift: Curve), perfectQini: Curve, perfectUplift: Curve) {
        try s.requireBinary("the AUC scores")
        let c = binaryCurvesWithAreas(s, maximumPoints: maximumPoints, ranking: ranking)
        let perfectQ = perfectQini(s, negativeEffect: negativeEffect, weights: nil), perfectU = perfectUplift(s, weights: nil)
        func score(_ area: Double, _ perfect: Curve) -> Double {
            let baseline = Curve(x: [0, perfect.x.last ?? 0], y: [0, perfect.y.last ?? 0]).area
            return (area - baseline) / (perfect.area - baseline)
        }
        return (score(c.qiniArea, perfectQ), score(c.upliftArea, perfectU), (c.qini, c.uplift), perfectQ, perfectU)
    }

    /// How many of the top units `k` names: a fraction in (0, 1) of `n` (truncated, as Python's int()), or a count.
    public enum K: Sendable, Equatable {
        case fraction(Double)
        case count(Int)

        func size(of n: Int, what: String) throws(QiniError) -> Int {
            switch self {
            case .fraction(let k):
                guard k > 0, k < 1 else { throw QiniError(.invalidParameter, "k = \(k) must be in (0, 1)") }
                return Int(Double(n) * k)
            case .count(let k):
                guard k > 0, k < n else { throw QiniError(.invalidParameter, "k = \(k) must be positive and smaller than the number of \(what) (\(n))") }
                return k
            }
        }
    }

    /// Treated minus control response among the top k by score.
    /// `order` is the sample's ranking when the caller already has it (`Ranking.descending(s.score)`).
    public static func upliftAtK(_ s: UpliftSample, k: K, strategy: Strategy, order: [Int32]? = nil) throws(QiniError) -> Double {
        let order = order ?? Ranking.descending(s.score)
        func mean(_ rows: some Sequence<Int32>, treated: Bool) -> Double {
            var sum = 0.0, count = 0.0
            for r in rows where s.treated[Int(r)] == treated { sum += s.outcome[Int(r)]; count += 1 }
            return sum / count // NaN for an empty group, as numpy's mean
        }
        switch strategy {
        case .overall:
            let size = try k.size(of: s.outcome.count, what: "units")
            return mean(order.prefix(size), treated: true) - mean(order.prefix(size), treated: false)
        case .byGroup:
            let treatedCount = s.treated.lazy.filter { $0 }.count, controlCount = s.treated.count - treatedCount
            let nT: Int, nC: Int
            switch k {
            case .fraction:
                nT = try k.size(of: treatedCount, what: "treated units")
                nC = try k.size(of: controlCount, what: "control units")
            case .count(let c):
                guard c > 0, c < s.outcome.count else { throw QiniError(.invalidParameter, "k = \(c) must be positive and smaller than the number of units") }
                guard c <= controlCount else { throw QiniError(.invalidParameter, "k = \(c) is more than the \(controlCount) control units") }
                guard c <= treatedCount else { throw QiniError(.invalidParameter, "k = \(c) is more than the \(treatedCount) treated units") }
                (nT, nC) = (c, c)
            }
            return mean(order.lazy.filter { s.treated[Int($0)] }.prefix(nT), treated: true)
                - mean(order.lazy.filter { !s.treated[Int($0)] }.prefix(nC), treated: false)
        }
    }

    /// numpy.array_split: `bins` consecutive parts, the first n mod bins one longer.
    static func split(_ count: Int, bins: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = [], start = 0
        for b in 0..<bins {
            let size = count / bins + (b < count % bins ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }

    public struct Percentile: Sendable, Equatable {
        public var rate: Double
        public var variance: Double
        public var size: Int
    }

    /// The response rate of one group in each of `bins` slices of the ranking.
    public static func responseRateByPercentile(_ s: UpliftSample, treated: Bool, strategy: Strategy = .overall,
                                                bins: Int = 10) throws(QiniError) -> [Percentile] {
        try responseRates(s, order: Ranking.descending(s.score), treated: treated, strategy: strategy, bins: bins)
    }

    static func responseRates(_ s: UpliftSample, order: [Int32], treated: Bool, strategy: Strategy, bins: Int) throws(QiniError) -> [Percentile] {
        guard bins > 0 else { throw QiniError(.invalidParameter, "bins must be a positive integer") }
        guard bins < s.outcome.count else { throw QiniError(.invalidParameter, "bins = \(bins) must be smaller than the number of units (\(s.outcome.count))") }
        let rows: [Int32] = strategy == .overall ? order : order.filter { s.treated[Int($0)] == treated }
        return split(rows.count, bins: bins).map { range in
            var sum = 0.0, size = 0
            for r in rows[range] where s.treated[Int(r)] == treated { sum += s.outcome[Int(r)]; size += 1 }
            let rate = sum / Double(size)
            return Percentile(rate: rate, variance: rate * ((1 - rate) / Double(size)), size: size)
        }
    }

    /// Treated-minus-control response per percentile, averaged with the treated group's sizes as weights.
    public static func weightedAverageUplift(_ s: UpliftSample, strategy: Strategy = .overall, bins: Int = 10) throws(QiniError) -> Double {
        let order = Ranking.descending(s.score)
        let t = try responseRates(s, order: order, treated: true, strategy: strategy, bins: bins)
        let c = try responseRates(s, order: order, treated: false, strategy: strategy, bins: bins)
        let total = t.reduce(0) { $0 + $1.size }
        return zip(t, c).reduce(0.0) { $0 + Double($1.0.size) * ($1.0.rate - $1.1.rate) } / Double(total)
    }

    /// One row of `uplift_by_percentile`.
    public struct PercentileRow: Sendable, Equatable {
        public var label: String
        public var treated: Percentile
        public var control: Percentile
        public var uplift: Double { treated.rate - control.rate }
        public var upliftStandardError: Double { (treated.variance + control.variance).squareRoot() }
    }

    /// The percentile table: group sizes, response rates and uplift per slice of the ranking.
    public static func upliftByPercentile(_ s: UpliftSample, strategy: Strategy = .overall, bins: Int = 10,
                                          order: [Int32]? = nil) throws(QiniError) -> [PercentileRow] {
        let order = order ?? Ranking.descending(s.score)
        let t = try responseRates(s, order: order, treated: true, strategy: strategy, bins: bins)
        let c = try responseRates(s, order: order, treated: false, strategy: strategy, bins: bins)
        let edges = (0...bins).map { Int((Double($0) * 100 / Double(bins)).rounded(.toNearestOrEven)) }
        return (0..<bins).map { PercentileRow(label: "\(edges[$0])-\(edges[$0 + 1])", treated: t[$0], control: c[$0]) }
    }
}
