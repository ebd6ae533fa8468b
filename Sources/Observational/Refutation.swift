import Foundation
import Stats

/// DoWhy's refuters: re-run an estimator on altered data and say whether the estimate behaves as a
/// causal one should.
public struct Refutation: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The treatment permuted at random: the effect must vanish (its interval must hold 0).
        case placeboTreatment = "placebo treatment"
        /// An outcome the treatment cannot affect: the effect must vanish.
        case negativeControl = "negative-control outcome"
        /// An independent N(0, 1) covariate added: the estimate must stay inside the original interval.
        case randomCommonCause = "random common cause"
        /// A random 80% of the units: the estimate must stay inside the original interval.
        case randomSubset = "random subset"
    }

    public let kind: Kind
    public let original: Double
    public let refuted: Estimate
    public let passed: Bool

    /// Runs `kind` with `estimator`; `original` is the estimator's answer on the study itself.
    public static func run(_ kind: Kind, data: StudyData, original: Estimate, placeboOutcome: [Double]? = nil, seed: UInt64 = 7,
                           estimator: (StudyData) throws(ObservationalError) -> Estimate) throws(ObservationalError) -> Refutation {
        var rng = SplitMix64(seed: seed)
        let refuted: Estimate
        let passed: Bool
        switch kind {
        case .placeboTreatment:
            var permuted = data.treatment
            for i in stride(from: permuted.count - 1, to: 0, by: -1) { permuted.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            refuted = try estimator(data.replacing(treatment: permuted))
            passed = refuted.lower <= 0 && refuted.upper >= 0
        case .negativeControl:
            guard let placeboOutcome else { throw ObservationalError(.invalidOption, "a negative-control refutation needs --placebo-outcome") }
            guard placeboOutcome.count == data.count, placeboOutcome.allSatisfy(\.isFinite) else {
                throw ObservationalError(.invalidData, "the placebo outcome needs a finite value for every unit")
            }
            refuted = try estimator(data.replacing(outcome: placeboOutcome))
            passed = refuted.lower <= 0 && refuted.upper >= 0
        case .randomCommonCause:
            let extra = (0..<data.count).map { _ in rng.normal() }
            refuted = try estimator(data.replacing(addingCovariate: ("(random common cause)", extra)))
            passed = refuted.value >= original.lower && refuted.value <= original.upper
        case .randomSubset:
            let rows = (0..<data.count).filter { _ in rng.uniform() < 0.8 }
            refuted = try estimator(data.subset(rows))
            passed = refuted.value >= original.lower && refuted.value <= original.upper
        }
        return Refutation(kind: kind, original: original.value, refuted: refuted, passed: passed)
    }
}
