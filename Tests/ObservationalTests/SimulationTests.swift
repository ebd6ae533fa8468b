import XCTest
import Observational
import Uplift

/// Known effects: a confounded design with nonlinear nuisances (`ConfoundedDesign`, τ = 1).
/// The 200-replication coverage study is `tools/bench observational` (docs/benchmarks.md).
final class SimulationTests: XCTestCase {
    let design = ConfoundedDesign(effect: 1)
    let boosted = NuisanceModel.xgboost(XGBoostParameters(rounds: 100, maxDepth: 3, learningRate: 0.1, threads: 2, seed: 0))

    /// Naive difference and OLS are biased; AIPW and DML with XGBoost nuisances are not.
    func testDoublyRobustEstimatorsRecoverThePlantedEffect() throws {
        let (data, _) = design.sample(6000, seed: 11)
        let t = data.treatment, y = data.outcome
        let treated = t.indices.filter { t[$0] == 1 }, control = t.indices.filter { t[$0] == 0 }
        let naive = treated.reduce(0) { $0 + y[$1] } / Double(treated.count) - control.reduce(0) { $0 + y[$1] } / Double(control.count)
        let ols = try RegressionAdjustment().estimate(data).estimate
        let aipw = try AugmentedIPW(propensityModel: boosted, outcomeModel: boosted).estimate(data)
        let dml = try DoubleML(outcomeModel: boosted, treatmentModel: boosted).estimate(data)
        XCTAssertGreaterThan(abs(naive - 1), 0.5, "naive \(naive)")
        XCTAssertGreaterThan(abs(ols.value - 1), 4 * ols.standardError, "ols \(ols.value) ± \(ols.standardError)")
        XCTAssertLessThan(abs(aipw.value - 1), 3 * aipw.standardError, "aipw \(aipw.value) ± \(aipw.standardError)")
        XCTAssertLessThan(abs(dml.value - 1), 3 * dml.standardError, "dml \(dml.value) ± \(dml.standardError)")
        XCTAssertLessThan(aipw.standardError, 0.1)
    }

    /// IPW with the true propensity is unbiased: over 200 replications its mean is within three
    /// Monte Carlo standard errors of τ, and its sandwich SE (weights known) matches the spread.
    func testIPWWithTrueScoresIsUnbiased() throws {
        var estimates: [Double] = [], ses: [Double] = []
        for r in 0..<200 {
            let (data, e) = design.sample(2000, seed: 1000 + UInt64(r))
            let result = try InverseProbabilityWeighting().estimate(data, propensity: Propensity(scores: e))
            estimates.append(result.estimate.value)
            ses.append(result.estimate.standardError)
        }
        let mean = estimates.reduce(0, +) / 200
        let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 199).squareRoot()
        XCTAssertLessThan(abs(mean - 1), 3 * sd / 200.0.squareRoot(), "mean \(mean), sd \(sd)")
        let meanSE = ses.reduce(0, +) / 200
        XCTAssertEqual(meanSE / sd, 1, accuracy: 0.2, "mean SE \(meanSE) against the spread \(sd)")
    }

    /// The logistic sandwich SE of IPW (propensity estimated) tracks the spread of its estimates
    /// in a design where the logistic model is right.
    func testIPWSandwichMatchesTheSpread() throws {
        var estimates: [Double] = [], ses: [Double] = []
        for r in 0..<200 {
            var rng = SplitMix64(seed: 5000 + UInt64(r))
            let n = 1500
            let x1 = (0..<n).map { _ in rng.normal() }, x2 = (0..<n).map { _ in rng.normal() }
            let t = (0..<n).map { i in rng.uniform() < 1 / (1 + exp(-(0.5 * x1[i] - 0.7 * x2[i]))) ? 1.0 : 0 }
            let y = (0..<n).map { i in 2 * t[i] + 1.5 * x1[i] - x2[i] + rng.normal() }
            let data = try StudyData(covariates: ColumnMatrix(rows: n, columns: [x1, x2]), names: ["x1", "x2"], treatment: t, outcome: y)
            let result = try InverseProbabilityWeighting().estimate(data, propensity: Propensity(data))
            estimates.append(result.estimate.value)
            ses.append(result.estimate.standardError)
        }
        let mean = estimates.reduce(0, +) / 200
        let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 199).squareRoot()
        XCTAssertLessThan(abs(mean - 2), 3 * sd / 200.0.squareRoot())
        XCTAssertEqual(ses.reduce(0, +) / 200 / sd, 1, accuracy: 0.15)
    }

    func testRefutersOnTheDesign() throws {
        let (data, _) = design.sample(3000, seed: 21)
        let estimator: (StudyData) throws(ObservationalError) -> Estimate = { d throws(ObservationalError) in
            try AugmentedIPW().estimate(d)
        }
        let original = try estimator(data)
        let placebo = try Refutation.run(.placeboTreatment, data: data, original: original, estimator: estimator)
        XCTAssertTrue(placebo.passed, "placebo \(placebo.refuted.value)")
        let common = try Refutation.run(.randomCommonCause, data: data, original: original, estimator: estimator)
        XCTAssertTrue(common.passed)
        let subset = try Refutation.run(.randomSubset, data: data, original: original, estimator: estimator)
        XCTAssertTrue(subset.passed)
        // A negative control the treatment cannot move: x5 shifted by noise.
        let control = try Refutation.run(.negativeControl, data: data, original: original,
                                          placeboOutcome: Array(data.covariates.column(4)).map { $0 * 0.5 }, estimator: estimator)
        XCTAssertEqual(control.kind, .negativeControl)
        // And an outcome that *is* the treatment fails it.
        let fails = try Refutation.run(.negativeControl, data: data, original: original, placeboOutcome: data.treatment, estimator: estimator)
        XCTAssertFalse(fails.passed)
    }

    func testBalanceImprovesAfterWeighting() throws {
        let (data, _) = design.sample(4000, seed: 31)
        let x2sq = data.covariates.column(1).map { $0 * $0 }
        let augmented = data.replacing(addingCovariate: ("x2^2", x2sq))
        let propensity = try Propensity(augmented)
        let weights = try InverseProbabilityWeighting().estimate(augmented, propensity: propensity).weights
        let balance = Balance(augmented, weights: weights, estimand: .ate)
        let row = try XCTUnwrap(balance.rows.first { $0.covariate == "x2^2" })
        XCTAssertGreaterThan(abs(row.smdBefore), 0.2)
        XCTAssertLessThan(abs(row.smdAfter), 0.05)
        XCTAssertLessThan(balance.effectiveTreated, Double(augmented.treatedCount))
        XCTAssertFalse(row.flagged)
    }

    /// Balance by hand on four units: treated x = 1, 3 (mean 2, s² = 2); control x = 0, 4
    /// (mean 2, s² = 8). Weights 1, 1, 3, 1 move the control mean to 1 (s² weighted = 12·(4/3)/… )
    func testBalanceByHand() throws {
        let data = try StudyData(covariates: ColumnMatrix(rows: 4, columns: [[1, 3, 0, 4]]), names: ["x"], treatment: [1, 1, 0, 0], outcome: [0, 0, 0, 0])
        let balance = Balance(data, weights: [1, 1, 3, 1], estimand: .att)
        let row = balance.rows[0]
        XCTAssertEqual(row.smdBefore, 0, accuracy: 1e-15)
        // ATT divides by the treated SD √2: (2 − 1)/√2.
        XCTAssertEqual(row.smdAfter, 1 / 2.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(row.varianceRatioBefore, 2.0 / 8.0, accuracy: 1e-15)
        // ESS of the controls: (3 + 1)²/(9 + 1) = 1.6.
        XCTAssertEqual(balance.effectiveControl, 1.6, accuracy: 1e-15)
        XCTAssertEqual(balance.effectiveTreated, 2, accuracy: 1e-15)
    }
}

import Stats
