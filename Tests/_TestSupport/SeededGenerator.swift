import Stats

/// The seeded generator tests draw simulated data from: Stats' SplitMix64, the same stream on every
/// run and machine.
public typealias SeededGenerator = SplitMix64
