/// A user-level split: GrowthBook's namespace check, then hash, then bucket ranges.
public struct UserSplit: Sendable {
    public let arms: [Arm]
    public let hasher: UnitHasher
    public let ranges: BucketRanges
    /// The layer this experiment occupies a range of, if any.
    public let layer: Namespace?
    /// The arm of each hash bucket (−1: outside coverage): `ranges.choose(k / buckets)` for every k,
    /// precomputed so an assignment is one hash and one load, bit-for-bit GrowthBook's answer.
    @usableFromInline let armOfBucket: [Int8]

    /// - Parameters:
    ///   - arms: names and weights in percent (validated: at least two, summing to 100).
    ///   - seed: the hashing seed (the experiment's name unless set; a new phase may change it).
    ///   - coverage: the fraction of eligible units that enter, in [0, 1].
    public init(arms: [Arm], seed: String, hashVersion: HashVersion = .v2, coverage: Double = 1,
                layer: Namespace? = nil) throws(RandomizationError) {
        try Arm.validate(arms)
        guard arms.count <= Int(Int8.max) else { throw RandomizationError(.invalidArms, "an experiment has at most \(Int8.max) arms") }
        guard coverage.isFinite, (0...1).contains(coverage) else {
            throw RandomizationError(.outOfRange, "coverage \(coverage) is outside [0, 1]")
        }
        self.arms = arms
        self.hasher = UnitHasher(seed: seed, version: hashVersion)
        self.ranges = BucketRanges(count: arms.count, coverage: coverage, weights: Arm.fractions(arms))
        self.layer = layer
        let buckets = hasher.buckets
        let ranges = self.ranges
        self.armOfBucket = (0..<buckets).map { k in Int8(ranges.choose(Double(k) / Double(buckets)) ?? -1) }
    }

    /// The arm index for a unit, or nil when it is outside the layer's range or the coverage.
    /// A pure function of (design, unit): the same on every machine, forever.
    @inlinable
    public func assign(_ unit: String) -> Int? {
        if let layer, !layer.contains(unit) { return nil }
        let arm = armOfBucket.withUnsafeBufferPointer { $0[hasher.bucket(unit)] }
        return arm < 0 ? nil : Int(arm)
    }
}

/// The universal holdout: a sticky share of units that never receives any treatment or campaign,
/// and an equal-size measurement group drawn beside it for the holdout report.
public struct Holdout: Sendable, Equatable {
    /// The share held out, in percent (0 to 50, so the measurement group fits).
    public let percent: Double
    public let seed: String

    /// Where a unit stands.
    public enum Group: String, Sendable, Equatable {
        /// Excluded from every experiment and allocation.
        case heldOut = "held_out"
        /// As large as the holdout and treated as usual: the comparison group of `report holdout`.
        case measurement
        /// Everyone else.
        case general
    }

    public init(percent: Double, seed: String = "holdout") throws(RandomizationError) {
        guard percent.isFinite, (0...50).contains(percent) else {
            throw RandomizationError(.outOfRange, "holdout percent \(percent) is outside 0 to 50")
        }
        self.percent = percent
        self.seed = seed
    }

    /// The unit's group: `hash("__holdout__" + seed, unit, 2)` below P% is held out, the next P% is
    /// the measurement group. Raising P keeps every held-out unit held out.
    public func group(of unit: String) -> Group {
        // never nil: version 2 is known
        let n = GrowthBookHash.hash(seed: "__holdout__" + seed, value: unit, version: 2)!
        let share = percent / 100
        if n < share { return .heldOut }
        if n < 2 * share { return .measurement }
        return .general
    }
}

/// A cluster design: one draw per cluster; every unit of a cluster gets its cluster's arm.
public struct ClusterSplit: Sendable {
    public let split: UserSplit

    public init(arms: [Arm], seed: String, hashVersion: HashVersion = .v2) throws(RandomizationError) {
        split = try UserSplit(arms: arms, seed: seed, hashVersion: hashVersion)
    }

    /// The arm of a cluster; all its units share it.
    public func assign(cluster: String) -> Int? { split.assign(cluster) }
}
