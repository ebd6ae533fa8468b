/// Held-out units: outcome, whether treated, and a model's score.
public struct UpliftSample: Sendable {
    public let outcome: [Double]
    public let treated: [Bool]
    public let score: [Double]

    /// Checks lengths, finite values and that both groups are present.
    public init(outcome: [Double], treated: [Bool], score: [Double]) throws(QiniError) {
        guard outcome.count == treated.count, treated.count == score.count else {
            throw QiniError(.invalidData, "outcome, treatment and score differ in length (\(outcome.count), \(treated.count), \(score.count))")
        }
        guard !outcome.isEmpty else { throw QiniError(.insufficientData, "no units to evaluate") }
        if let i = score.firstIndex(where: { !$0.isFinite }) { throw QiniError(.invalidData, "score of row \(i + 1) is \(score[i]), not a finite number") }
        if let i = outcome.firstIndex(where: { !$0.isFinite }) { throw QiniError(.invalidData, "outcome of row \(i + 1) is \(outcome[i]), not a finite number") }
        guard treated.contains(true) else { throw QiniError(.insufficientData, "no treated units") }
        guard treated.contains(false) else { throw QiniError(.insufficientData, "no control units") }
        self.outcome = outcome
        self.treated = treated
        self.score = score
    }

    /// True when every outcome is 0 or 1.
    public var isBinary: Bool { outcome.allSatisfy { $0 == 0 || $0 == 1 } }

    func requireBinary(_ what: String) throws(QiniError) {
        if let i = outcome.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw QiniError(.invalidData, "\(what) needs a binary outcome; row \(i + 1) has \(outcome[i])")
        }
    }
}

/// Points of a curve: x is the number of units targeted.
public struct Curve: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]

    public init(x: [Double], y: [Double]) {
        self.x = x
        self.y = y
    }

    /// At most `points` of the curve's points, evenly spaced along it, the first and last kept:
    /// enough to draw it, without holding one point per row of a large sample.
    public func thinned(to points: Int) -> Curve {
        guard x.count > points, points >= 2 else { return self }
        let step = Double(x.count - 1) / Double(points - 1)
        let kept = (0..<points).map { Int((Double($0) * step).rounded()) }
        return Curve(x: kept.map { x[$0] }, y: kept.map { y[$0] })
    }

    /// The area under the curve by trapezoids, as `sklearn.metrics.auc` (pairwise summation, like
    /// numpy's reduction; x must not change direction).
    public var area: Double {
        guard x.count > 1 else { return 0 }
        var terms = [Double](repeating: 0, count: x.count - 1)
        for i in 0..<(x.count - 1) { terms[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2 }
        let direction: Double = zip(x, x.dropFirst()).allSatisfy { $0 <= $1 } ? 1 : (zip(x, x.dropFirst()).allSatisfy { $0 >= $1 } ? -1 : 1)
        return direction * Summation.pairwise(terms)
    }
}

/// Neumaier's compensated sum.
struct CompensatedSum {
    private var sum = 0.0, compensation = 0.0
    mutating func add(_ x: Double) {
        let t = sum + x
        compensation += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
        sum = t
    }
    var value: Double { sum + compensation }
}

enum Summation {
    /// numpy's pairwise summation: blocks of up to 128 summed with 8 accumulators, halves recursively.
    static func pairwise(_ v: [Double]) -> Double { v.withUnsafeBufferPointer { pairwise($0[...]) } }

    static func pairwise(_ v: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = v.count
        if n < 8 {
            var s = 0.0
            for x in v { s += x }
            return s
        }
        if n <= 128 {
            let b = v.startIndex
            var r = (v[b], v[b + 1], v[b + 2], v[b + 3], v[b + 4], v[b + 5], v[b + 6], v[b + 7])
            var i = 8
            while i < n - n % 8 {
                r.0 += v[b + i]; r.1 += v[b + i + 1]; r.2 += v[b + i + 2]; r.3 += v[b + i + 3]
                r.4 += v[b + i + 4]; r.5 += v[b + i + 5]; r.6 += v[b + i + 6]; r.7 += v[b + i + 7]
                i += 8
            }
            var s = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
            while i < n { s += v[b + i]; i += 1 }
            return s
        }
        var half = n / 2
        half -= half % 8
        return pairwise(v[v.startIndex..<(v.startIndex + half)]) + pairwise(v[(v.startIndex + half)..<v.endIndex])
    }

    /// The same summation, bit for bit, over values made on demand (a line that need not be stored).
    static func pairwise(_ range: Range<Int>, _ element: (Int) -> Double) -> Double {
        let n = range.count
        if n < 8 {
            var s = 0.0
            for i in range { s += element(i) }
            return s
        }
        if n <= 128 {
            let b = range.lowerBound
            var r = (element(b), element(b + 1), element(b + 2), element(b + 3), element(b + 4), element(b + 5), element(b + 6), element(b + 7))
            var i = 8
            while i < n - n % 8 {
                r.0 += element(b + i); r.1 += element(b + i + 1); r.2 += element(b + i + 2); r.3 += element(b + i + 3)
                r.4 += element(b + i + 4); r.5 += element(b + i + 5); r.6 += element(b + i + 6); r.7 += element(b + i + 7)
                i += 8
            }
            var s = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
            while i < n { s += element(b + i); i += 1 }
            return s
        }
        var half = n / 2
        half -= half % 8
        return pairwise(range.lowerBound..<(range.lowerBound + half), element) + pairwise((range.lowerBound + half)..<range.upperBound, element)
    }
}
