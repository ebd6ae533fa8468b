/// CausalML 0.18.0's curves and scores (`causalml/metrics/visualize.py`) as named variants.
///
/// Every row is its own point (no grouping of tied scores); the curve has N + 1 points, index 0
/// being 0. Where a ratio is undefined at the head of the ranking (no treated or no control unit
/// yet), CausalML gets NaN and fills it by linear interpolation from the 0 at index 0 to the next
/// defined value (trailing gaps take the last value), and so does this.
///
/// Ties: CausalML ranks with pandas' `sort_values(ascending=False)`, whose default quicksort is not
/// stable; with numpy 2 the order of tied rows depends on its SIMD sort and so on the machine. This
/// variant keeps tied rows in input order (a stable sort). Its values equal CausalML's whenever the
/// scores have no ties, and on tied scores whenever the rows come in the order CausalML's sort
/// produced (the test fixtures record that order).
public enum CausalML {
    /// Cumulative treated-minus-control difference in means × the number of units: `get_cumgain`.
    public static func cumulativeGain(_ s: UpliftSample, normalize: Bool = false) -> [Double] {
        var lift = walk(s) { nT, nC, yT, yC in yT / nT - yC / nC }
        interpolate(&lift)
        var gain = lift.enumerated().map { Double($0.offset) * $0.element }
        if normalize, let last = gain.last { gain = gain.map { $0 / abs(last) } }
        return gain
    }

    /// The Qini curve: Σy treated − Σy control × n treated / n control: `get_qini`.
    public static func qini(_ s: UpliftSample, normalize: Bool = false) -> [Double] {
        var curve = walk(s) { nT, nC, yT, yC in yT - yC * nT / nC }
        interpolate(&curve)
        if normalize, let last = curve.last { curve = curve.map { $0 / abs(last) } }
        return curve
    }

    /// `qini_score`: the mean over the N + 1 points of the Qini curve minus the straight line from
    /// its first to its last point. With several models, CausalML draws that line from the first
    /// model's curve for all of them; `scores` reproduces that, `qiniScore(_:)` is the one-model case.
    public static func qiniScores(_ samples: [UpliftSample], normalize: Bool = true) -> [Double] {
        let curves = samples.map { qini($0, normalize: normalize) }
        guard let first = curves.first, let a = first.first, let b = first.last else { return [] }
        let count = first.count
        // numpy.linspace: i·step + a, the last point exactly b.
        let step = count > 1 ? (b - a) / Double(count - 1) : 0
        var line = (0..<count).map { Double($0) * step + a }
        line[count - 1] = b
        let random = Summation.pairwise(line)
        return curves.map { (Summation.pairwise($0) - random) / Double($0.count) }
    }

    public static func qiniScore(_ s: UpliftSample, normalize: Bool = true) -> Double { qiniScores([s], normalize: normalize)[0] }

    /// `auuc_score`: the mean of the (normalised) cumulative gain over its N + 1 points.
    public static func auucScore(_ s: UpliftSample, normalize: Bool = true) -> Double {
        let gain = cumulativeGain(s, normalize: normalize)
        return Summation.pairwise(gain) / Double(gain.count)
    }

    /// `qini_score` and `auuc_score` (normalised) from one ranking: for large samples, the sort is
    /// the cost.
    public static func scores(_ s: UpliftSample) -> (qini: Double, auuc: Double) {
        let order = Ranking.descending(s.score, ties: .inputOrder)
        var curve = walk(s, order: order) { nT, nC, yT, yC in yT - yC * nT / nC }
        return finish(qiniCurve: &curve) { gain in walk(s, order: order, into: &gain) { nT, nC, yT, yC in yT / nT - yC / nC } }
    }

    /// Both scores from the raw Qini walk; `gainWalk` fills the reused buffer with the lift walk.
    static func finish(qiniCurve curve: inout [Double], gainWalk: (inout [Double]) -> Void) -> (qini: Double, auuc: Double) {
        interpolate(&curve)
        if let last = curve.last { let scale = abs(last); for i in curve.indices { curve[i] /= scale } }
        let count = curve.count, a = curve[0], b = curve[count - 1]
        let step = count > 1 ? (b - a) / Double(count - 1) : 0
        // numpy.linspace summed pairwise, value by value (the line is never stored).
        let line = Summation.pairwise(0..<count) { $0 == count - 1 ? b : Double($0) * step + a }
        let qini = (Summation.pairwise(curve) - line) / Double(count)
        // The gain reuses the curve's memory.
        var gain = curve
        curve = []
        gainWalk(&gain)
        interpolate(&gain)
        for i in gain.indices { gain[i] *= Double(i) }
        if let last = gain.last { let scale = abs(last); for i in gain.indices { gain[i] /= scale } }
        return (qini, Summation.pairwise(gain) / Double(gain.count))
    }

    /// Index 0 is 0; index i applies `value` to the first i rows' counts. A division by an empty
    /// group's count gives NaN (0/0) exactly where pandas gets it.
    static func walk(_ s: UpliftSample, order: [Int32]? = nil, _ value: (Double, Double, Double, Double) -> Double) -> [Double] {
        let order = order ?? Ranking.descending(s.score, ties: .inputOrder)
        var out = [Double](repeating: 0, count: order.count + 1)
        walk(s, order: order, into: &out, value)
        return out
    }

    /// The walk into `out` (order.count + 1 values; out[0] is set to 0).
    static func walk(_ s: UpliftSample, order: [Int32], into out: inout [Double], _ value: (Double, Double, Double, Double) -> Double) {
        precondition(out.count == order.count + 1)
        out[0] = 0
        var nT = 0.0, yT = 0.0, yC = 0.0
        for (position, r) in order.enumerated() {
            let i = Int(r)
            if s.treated[i] { nT += 1; yT += s.outcome[i] } else { yC += s.outcome[i] }
            let nC = Double(position + 1) - nT
            out[position + 1] = value(nT, nC, yT, yC)
        }
    }

    /// pandas' `interpolate()` (linear, forward): interior gaps on the straight line between their
    /// neighbours, trailing gaps the last value.
    static func interpolate(_ v: inout [Double]) {
        var last = 0 // v[0] is defined
        var i = 1
        while i < v.count {
            if !v[i].isNaN { last = i; i += 1; continue }
            var next = i
            while next < v.count, v[next].isNaN { next += 1 }
            if next == v.count {
                for j in i..<v.count { v[j] = v[last] }
            } else {
                for j in i..<next { v[j] = v[last] + (v[next] - v[last]) * Double(j - last) / Double(next - last) }
            }
            i = next
        }
    }
}
