/// GrowthBook's bucket ranges: one `[start, end)` per arm inside [0, 1).
///
/// Range starts are the cumulative weights and do not depend on coverage, so lowering coverage
/// only shortens each range: units drop out of the experiment instead of moving between arms.
public struct BucketRanges: Sendable, Equatable {
    /// One range per arm.
    public let ranges: [ClosedOpenRange]

    /// A half-open interval `[lower, upper)`.
    public struct ClosedOpenRange: Sendable, Equatable {
        public let lower: Double
        public let upper: Double
        public init(_ lower: Double, _ upper: Double) { self.lower = lower; self.upper = upper }
    }

    /// GrowthBook's `getBucketRanges`: coverage clamped to [0, 1]; weights of the wrong count, or
    /// not summing to 1 within 0.01, fall back to equal weights.
    public init(count: Int, coverage: Double = 1, weights: [Double]? = nil) {
        let coverage = min(max(coverage, 0), 1)
        let equal = Self.equalWeights(count)
        var chosen = weights ?? equal
        if chosen.count != count { chosen = equal }
        let total = chosen.reduce(0, +)
        if total < 0.99 || total > 1.01 { chosen = equal }
        var cumulative = 0.0
        ranges = chosen.map { weight in
            let start = cumulative
            cumulative += weight
            return ClosedOpenRange(start, start + coverage * weight)
        }
    }

    /// Ranges given as they are (GrowthBook's `chooseVariation` takes any list).
    public init(ranges: [ClosedOpenRange]) { self.ranges = ranges }

    /// GrowthBook's `getEqualWeights`: n copies of 1/n, or none for n ≤ 0.
    public static func equalWeights(_ count: Int) -> [Double] {
        count <= 0 ? [] : Array(repeating: 1 / Double(count), count: count)
    }

    /// GrowthBook's `chooseVariation`: the first range holding `n`, or nil. O(arms).
    @inlinable
    public func choose(_ n: Double) -> Int? {
        for (index, range) in ranges.enumerated() where n >= range.lower && n < range.upper { return index }
        return nil
    }
}

/// A GrowthBook namespace: experiments sharing `id` with disjoint `[start, end)` ranges never
/// share a unit. Causeway's layers are namespaces.
public struct Namespace: Sendable, Equatable {
    public let id: String
    public let start: Double
    public let end: Double

    public init(id: String, start: Double, end: Double) {
        self.id = id
        self.start = start
        self.end = end
    }

    /// GrowthBook's `inNamespace`: `hash("__" + id, unit, 1)` falls in `[start, end)`.
    public func contains(_ unit: String) -> Bool {
        // never nil: version 1 is known
        let n = GrowthBookHash.hash(seed: "__" + id, value: unit, version: 1)!
        return n >= start && n < end
    }

    /// True when the two ranges of the same namespace share any point.
    public func overlaps(_ other: Namespace) -> Bool {
        id == other.id && start < other.end && other.start < end
    }
}
