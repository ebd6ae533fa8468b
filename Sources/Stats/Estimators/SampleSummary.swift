/// Sufficient statistics of one sample: n, Σy, Σy² (and for a covariate x: Σx, Σx², Σxy).
///
/// PostgreSQL computes these per arm; Swift never sees the rows.
public struct SampleSummary: Sendable, Equatable {
    public var count: Double
    public var sum: Double
    public var sumOfSquares: Double

    public init(count: Double, sum: Double, sumOfSquares: Double) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    /// Summarizes values (for tests and small samples).
    public init(_ values: [Double]) {
        count = Double(values.count)
        sum = values.reduce(0, +)
        sumOfSquares = values.reduce(0) { $0 + $1 * $1 }
    }

    public var mean: Double { sum / count }

    /// The unbiased sample variance, Σ(y − ȳ)² / (n − 1).
    public var variance: Double {
        guard count > 1 else { return .nan }
        return max(0, (sumOfSquares - sum * sum / count) / (count - 1))
    }
}
