/// The switchback estimator for designs without the optimal schedule: OLS of window-level means on
/// a treatment indicator with region and time-of-day fixed effects, with cluster-robust (CR1)
/// standard errors clustered by region-day, and a t interval with G − 1 degrees of freedom.
public enum SwitchbackRegression {
    /// One window of one region, burn-in already removed.
    public struct Window: Sendable, Equatable {
        public let value: Double
        public let treated: Bool
        public let region: Int
        /// Time-of-day slot (window index within the day).
        public let slot: Int
        /// The cluster (region-day) it belongs to.
        public let cluster: Int

        public init(value: Double, treated: Bool, region: Int, slot: Int, cluster: Int) {
            self.value = value
            self.treated = treated
            self.region = region
            self.slot = slot
            self.cluster = cluster
        }
    }

    /// The treatment coefficient with its CR1 interval; nil when the design cannot identify it
    /// (no treated or no control windows, or too few clusters).
    public static func estimate(_ windows: [Window], confidence: Double = 0.95) -> Effect? {
        let regions = Array(Set(windows.map(\.region))).sorted()
        let slots = Array(Set(windows.map(\.slot))).sorted()
        let regionIndex = Dictionary(uniqueKeysWithValues: regions.enumerated().map { ($0.element, $0.offset) })
        let slotIndex = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($0.element, $0.offset) })
        // Columns: treatment, one per region, one per slot but the first (absorbed by the region effects).
        let p = 1 + regions.count + max(0, slots.count - 1)
        let n = windows.count
        let clusters = Set(windows.map(\.cluster))
        guard n > p, clusters.count > 1, windows.contains(where: \.treated), windows.contains(where: { !$0.treated }) else { return nil }
        func row(_ w: Window) -> [(Int, Double)] {
            var entries: [(Int, Double)] = [(0, w.treated ? 1 : 0), (1 + regionIndex[w.region]!, 1)] // never nil: from the same windows
            let s = slotIndex[w.slot]! // never nil: from the same windows
            if s > 0 { entries.append((regions.count + s, 1)) }
            return entries
        }
        var xtx = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        var xty = [Double](repeating: 0, count: p)
        let rows = windows.map(row)
        for (w, entries) in zip(windows, rows) {
            for (i, a) in entries {
                xty[i] += a * w.value
                for (j, b) in entries { xtx[i][j] += a * b }
            }
        }
        guard let inverse = invert(xtx) else { return nil }
        let beta = (0..<p).map { i in (0..<p).reduce(0) { $0 + inverse[i][$1] * xty[$1] } }
        // CR1 for the treatment coefficient: V00 = c · Σ_g (Σ_{i∈g} (a·x_i) e_i)², a = first row of (X'X)⁻¹.
        var score: [Int: Double] = [:]
        for (w, entries) in zip(windows, rows) {
            let fitted = entries.reduce(0) { $0 + beta[$1.0] * $1.1 }
            let residual = w.value - fitted
            let ax = entries.reduce(0) { $0 + inverse[0][$1.0] * $1.1 }
            score[w.cluster, default: 0] += ax * residual
        }
        let g = Double(clusters.count)
        let correction = g / (g - 1) * Double(n - 1) / Double(n - p)
        let variance = correction * score.values.reduce(0) { $0 + $1 * $1 }
        let se = variance.squareRoot()
        guard se > 0, se.isFinite else { return nil }
        let t = StudentT(degreesOfFreedom: g - 1)
        let q = t.quantile(1 - (1 - confidence) / 2)
        return Effect(estimate: beta[0], standardError: se, lower: beta[0] - q * se, upper: beta[0] + q * se,
                      pValue: t.twoSidedP(beta[0] / se), degreesOfFreedom: g - 1)
    }

    /// Gauss–Jordan inversion with partial pivoting; nil when singular. O(p³).
    static func invert(_ matrix: [[Double]]) -> [[Double]]? {
        let n = matrix.count
        var a = matrix
        var inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        let scale = matrix.flatMap { $0 }.map(abs).max() ?? 1
        for col in 0..<n {
            var pivot = col
            for r in col..<n where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
            guard abs(a[pivot][col]) > 1e-12 * scale else { return nil }
            a.swapAt(col, pivot)
            inv.swapAt(col, pivot)
            let d = a[col][col]
            for k in 0..<n { a[col][k] /= d; inv[col][k] /= d }
            for r in 0..<n where r != col {
                let f = a[r][col]
                guard f != 0 else { continue }
                for k in 0..<n { a[r][k] -= f * a[col][k]; inv[r][k] -= f * inv[col][k] }
            }
        }
        return inv
    }
}
