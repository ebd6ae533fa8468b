/// Isotonic (non-decreasing) regression by pool-adjacent-violators, predicted by linear
/// interpolation between fitted points and clipped outside them, as scikit-learn's
/// `IsotonicRegression(out_of_bounds="clip")` does.
public struct Isotonic: Sendable, Equatable, Codable {
    /// Fitted points, x strictly increasing; interior points of constant runs are dropped.
    public private(set) var x: [Double]
    public private(set) var y: [Double]

    public init(x: [Double], y: [Double]) {
        self.x = x
        self.y = y
    }

    /// Fits y against x with unit weights.
    public static func fit(x: [Double], y: [Double]) -> Isotonic {
        precondition(x.count == y.count)
        guard !x.isEmpty else { return Isotonic(x: [], y: []) }
        let order = x.indices.sorted { x[$0] < x[$1] }
        // Tied x values are pooled first (their mean y, weight = count), as scikit-learn does.
        var xs: [Double] = [], sums: [Double] = [], weights: [Double] = []
        for i in order {
            if let last = xs.last, last == x[i] { sums[sums.count - 1] += y[i]; weights[weights.count - 1] += 1 }
            else { xs.append(x[i]); sums.append(y[i]); weights.append(1) }
        }
        // Pool adjacent violators over blocks (value, weight, first index, last index).
        var value: [Double] = [], weight: [Double] = [], first: [Int] = [], last: [Int] = []
        for i in xs.indices {
            value.append(sums[i] / weights[i]); weight.append(weights[i]); first.append(i); last.append(i)
            while value.count > 1, value[value.count - 2] > value[value.count - 1] {
                let w = weight[weight.count - 2] + weight[weight.count - 1]
                let v = (value[value.count - 2] * weight[weight.count - 2] + value[value.count - 1] * weight[weight.count - 1]) / w
                value.removeLast(); weight.removeLast(); first.removeLast()
                let end = last.removeLast()
                value[value.count - 1] = v; weight[weight.count - 1] = w; last[last.count - 1] = end
            }
        }
        var px: [Double] = [], py: [Double] = []
        for b in value.indices {
            px.append(xs[first[b]]); py.append(value[b])
            if last[b] != first[b] { px.append(xs[last[b]]); py.append(value[b]) }
        }
        return Isotonic(x: px, y: py)
    }

    public func callAsFunction(_ v: Double) -> Double {
        guard let lo = x.first, let hi = x.last else { return v }
        if v <= lo { return y[0] }
        if v >= hi { return y[y.count - 1] }
        var a = 0, b = x.count - 1
        while b - a > 1 { let m = (a + b) / 2; if x[m] <= v { a = m } else { b = m } }
        let t = (v - x[a]) / (x[b] - x[a])
        return y[a] + t * (y[b] - y[a])
    }
}
