/// A switchback design: units are (region, time window); each region's windows are drawn
/// independently; after each switch a burn-in is left out of the analysis.
///
/// Windows have a fixed length that divides 24 hours and are aligned to UTC midnight (30-minute
/// windows start at :00 and :30). With a carryover order m, the Bojinov–Simchi-Levi–Zhao optimal
/// design re-randomizes only at periods 1, 2m+1, 3m+1, …, (n−2)m+1 of an experiment of T = n·m
/// periods (without T, every m periods from 2m+1 on); the arm holds between those points.
public struct SwitchbackDesign: Sendable, Equatable {
    public let arms: [Arm]
    public let seed: String
    public let hashVersion: HashVersion
    /// Window length in seconds.
    public let windowSeconds: Int64
    /// Seconds excluded from analysis at the start of a window whose arm differs from the previous one's.
    public let burnInSeconds: Int64
    /// Carryover order m for the optimal design, or nil for a draw every window.
    public let carryover: Int?
    /// T, the number of periods, when known.
    public let periods: Int?
    /// The first period's window start (Unix seconds, a window boundary).
    public let start: Int64

    public init(arms: [Arm], seed: String, hashVersion: HashVersion = .v2, windowSeconds: Int64, burnInSeconds: Int64 = 0,
                carryover: Int? = nil, periods: Int? = nil, start: Int64) throws(RandomizationError) {
        try Arm.validate(arms)
        guard windowSeconds > 0, 86_400 % windowSeconds == 0 else {
            throw RandomizationError(.invalidSchedule, "a switchback window must divide 24 hours (such as 15m, 30m, 1h, 2h); got \(windowSeconds)s")
        }
        guard burnInSeconds >= 0, burnInSeconds < windowSeconds else {
            throw RandomizationError(.invalidSchedule, "the burn-in must be shorter than the window")
        }
        if let carryover { guard carryover >= 1 else { throw RandomizationError(.invalidSchedule, "the carryover order must be at least 1") } }
        if let periods {
            guard periods >= 1 else { throw RandomizationError(.invalidSchedule, "the number of periods must be at least 1") }
            if let m = carryover, periods % m != 0 || periods / m < 2 {
                throw RandomizationError(.invalidSchedule, "with carryover \(m) the number of periods must be a multiple of \(m), at least \(2 * m)")
            }
        }
        self.arms = arms
        self.seed = seed
        self.hashVersion = hashVersion
        self.windowSeconds = windowSeconds
        self.burnInSeconds = burnInSeconds
        self.carryover = carryover
        self.periods = periods
        self.start = Self.floorDiv(start, windowSeconds) * windowSeconds
    }

    /// The window holding a time: its 1-based period and its bounds.
    public struct Window: Sendable, Equatable {
        public let period: Int
        public let start: Int64
        public let end: Int64
    }

    /// The window at Unix time `t`, or nil before the first period or after the last.
    public func window(at t: Int64) -> Window? {
        let index = Self.floorDiv(t - start, windowSeconds)
        guard index >= 0 else { return nil }
        let period = Int(index) + 1
        if let periods, period > periods { return nil }
        let windowStart = start + index * windowSeconds
        return Window(period: period, start: windowStart, end: windowStart + windowSeconds)
    }

    /// The period whose draw is in force at `period`: itself without carryover, else the last
    /// randomization point of the optimal design at or before it.
    public func randomizationPeriod(for period: Int) -> Int {
        guard let m = carryover else { return period }
        if period < 2 * m + 1 { return 1 }
        var point = ((period - 1) / m) * m + 1
        if let periods { point = min(point, (periods / m - 2) * m + 1) }
        return point
    }

    /// The randomization points up to `count` periods (1-based).
    public func randomizationPoints(upTo count: Int) -> [Int] {
        Array(Set((1...max(count, 1)).map(randomizationPeriod(for:)))).sorted()
    }

    /// The arm index in force in `region` during `period`.
    public func armIndex(region: String, period: Int) -> Int {
        let point = randomizationPeriod(for: period)
        let pointStart = start + Int64(point - 1) * windowSeconds
        let ranges = BucketRanges(count: arms.count, coverage: 1, weights: Arm.fractions(arms))
        let n = GrowthBookHash.hash(seed: seed, value: "\(region)|\(pointStart)", version: hashVersion.rawValue) ?? 0
        // Full coverage and weights summing to 1: only a weight of exactly 0 at the top can miss.
        return ranges.choose(n) ?? arms.lastIndex { $0.weight > 0 } ?? 0
    }

    /// What is in force in a region at a time.
    public struct Assignment: Sendable, Equatable {
        public let arm: Int
        public let window: Window
        /// True when the arm switched at this window and `t` lies in its burn-in.
        public let inBurnIn: Bool
        /// True when this window's arm differs from the previous window's (the first window counts as a switch).
        public let switched: Bool
    }

    /// The arm in force in `region` at Unix time `t`, or nil outside the experiment's periods.
    public func assign(region: String, at t: Int64) -> Assignment? {
        guard let window = window(at: t) else { return nil }
        let arm = armIndex(region: region, period: window.period)
        let switched = window.period == 1 || armIndex(region: region, period: window.period - 1) != arm
        return Assignment(arm: arm, window: window, inBurnIn: switched && t - window.start < burnInSeconds, switched: switched)
    }

    /// Floor division (toward −∞).
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
