/// One sort of a binary sample for every metric that reads it in score order: the scores ascending
/// (stable) with each row's (treated, responder) bits riding along. Reading it backwards is
/// scikit-uplift's ranking (ties in reverse input order); reading the tie groups backwards but each
/// group forwards is CausalML's (ties in input order). Ten million rows are sorted once, not three
/// times, and walks read memory in order.
public struct BinaryRanking: Sendable {
    /// Sort keys, ascending (order-preserving encodings of the scores).
    public let keys: [UInt64]
    /// Bit 0: treated; bit 1: responder (outcome 1).
    public let payload: [UInt8]

    public init(_ s: UpliftSample) throws(QiniError) {
        try s.requireBinary("a binary ranking")
        let n = s.score.count
        var bits = [UInt8](repeating: 0, count: n)
        s.treated.withUnsafeBufferPointer { t in
            s.outcome.withUnsafeBufferPointer { y in
                for i in 0..<n { bits[i] = (t[i] ? 1 : 0) | (y[i] == 1 ? 2 : 0) }
            }
        }
        (keys, payload) = Ranking.ascendingWithPayload(s.score, payload: bits)
    }

    public var count: Int { payload.count }

    /// The rows' bits in scikit-uplift's order (descending, ties reversed), `limit` of them at most.
    func forEachDescending(limit: Int? = nil, _ body: (UInt8) -> Void) {
        payload.withUnsafeBufferPointer { p in
            let stop = max(0, p.count - (limit ?? p.count))
            var position = p.count - 1
            while position >= stop { body(p[position]); position -= 1 }
        }
    }

    /// The rows' bits in CausalML's order (descending, ties in input order).
    func forEachDescendingInputOrder(_ body: (UInt8) -> Void) {
        keys.withUnsafeBufferPointer { k in
            payload.withUnsafeBufferPointer { p in
                var end = p.count // the group is [start, end)
                while end > 0 {
                    var start = end - 1
                    while start > 0, k[start - 1] == k[end - 1] { start -= 1 }
                    for position in start..<end { body(p[position]) }
                    end = start
                }
            }
        }
    }
}

extension ScikitUplift {
    /// `upliftAtK(_:k:strategy: .overall)` from a binary ranking: the same counts in the same order.
    public static func upliftAtK(_ r: BinaryRanking, k: K) throws(QiniError) -> Double {
        let size = try k.size(of: r.count, what: "units")
        var nT = 0.0, yT = 0.0, nC = 0.0, yC = 0.0
        r.forEachDescending(limit: size) { b in
            if b & 1 != 0 { nT += 1; if b & 2 != 0 { yT += 1 } } else { nC += 1; if b & 2 != 0 { yC += 1 } }
        }
        return yT / nT - yC / nC
    }

    /// `upliftByPercentile(_:strategy: .overall, bins:)` from a binary ranking.
    public static func upliftByPercentile(_ r: BinaryRanking, bins: Int = 10) throws(QiniError) -> [PercentileRow] {
        guard bins > 0 else { throw QiniError(.invalidParameter, "bins must be a positive integer") }
        guard bins < r.count else { throw QiniError(.invalidParameter, "bins = \(bins) must be smaller than the number of units (\(r.count))") }
        let ranges = split(r.count, bins: bins)
        var counts = [(nT: Int, yT: Double, nC: Int, yC: Double)](repeating: (0, 0, 0, 0), count: bins)
        var position = 0, bin = 0
        r.forEachDescending { b in
            while position >= ranges[bin].upperBound { bin += 1 }
            if b & 1 != 0 { counts[bin].nT += 1; if b & 2 != 0 { counts[bin].yT += 1 } } else { counts[bin].nC += 1; if b & 2 != 0 { counts[bin].yC += 1 } }
            position += 1
        }
        func percentile(_ sum: Double, _ size: Int) -> Percentile {
            let rate = sum / Double(size)
            return Percentile(rate: rate, variance: rate * ((1 - rate) / Double(size)), size: size)
        }
        let edges = (0...bins).map { Int((Double($0) * 100 / Double(bins)).rounded(.toNearestOrEven)) }
        return (0..<bins).map { b in
            PercentileRow(label: "\(edges[b])-\(edges[b + 1])", treated: percentile(counts[b].yT, counts[b].nT), control: percentile(counts[b].yC, counts[b].nC))
        }
    }
}

extension CausalML {
    /// `scores(_:)` from a binary ranking (CausalML's ties in input order), without a second sort.
    public static func scores(_ r: BinaryRanking) -> (qini: Double, auuc: Double) {
        let n = r.count
        var curve = [Double](repeating: 0, count: n + 1)
        func walk(into out: inout [Double], _ value: (Double, Double, Double, Double) -> Double) {
            out[0] = 0
            var nT = 0.0, yT = 0.0, yC = 0.0, position = 0
            out.withUnsafeMutableBufferPointer { o in
                r.forEachDescendingInputOrder { b in
                    if b & 1 != 0 { nT += 1; if b & 2 != 0 { yT += 1 } } else if b & 2 != 0 { yC += 1 }
                    position += 1
                    o[position] = value(nT, Double(position) - nT, yT, yC)
                }
            }
        }
        walk(into: &curve) { nT, nC, yT, yC in yT - yC * nT / nC }
        return finish(qiniCurve: &curve) { gain in walk(into: &gain) { nT, nC, yT, yC in yT / nT - yC / nC } }
    }
}
