import Foundation
import XCTest
import Stats

/// The sequential and Bayesian engines against gbstats 0.8.0, and planning against statsmodels'
/// `NormalIndPower`, on the same sufficient statistics (Fixtures/make-growthbook-cases.py).
final class GrowthBookEngineTests: XCTestCase {
    private func fixture(_ key: String) throws -> [[String: Any]] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/growthbook-cases", withExtension: "json"))
        let all = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(all[key] as? [[String: Any]])
    }

    private func summary(_ d: Any?) -> CovariateSummary {
        let d = d as! [String: NSNumber]
        return CovariateSummary(count: d["n"]!.doubleValue, sumY: d["sum_y"]!.doubleValue, sumY2: d["sum_y2"]!.doubleValue,
                                sumX: d["sum_x"]?.doubleValue ?? 0, sumX2: d["sum_x2"]?.doubleValue ?? 0, sumXY: d["sum_xy"]?.doubleValue ?? 0)
    }

    private func statistics(_ c: [String: Any]) -> (ArmStatistic, ArmStatistic) {
        let a = summary(c["control"]), b = summary(c["treatment"])
        switch c["kind"] as! String {
        case "proportion": return (.proportion(count: a.count, sum: a.sumY), .proportion(count: b.count, sum: b.sumY))
        case "ratio": return (.ratio(a), .ratio(b))
        case "cuped":
            let adjusted = ArmStatistic.regressionAdjusted(control: a, treatment: b, outcomeIsProportion: false, covariateIsProportion: false)
            return (adjusted.control, adjusted.treatment)
        default: return (.sampleMean(a.outcome), .sampleMean(b.outcome))
        }
    }

    private func close(_ actual: Double, _ expected: Double, _ tolerance: Double = 1e-6, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual, expected, accuracy: tolerance * max(abs(expected), 1e-300) + 1e-300, message, file: file, line: line)
    }

    func testSequentialIntervalsAndPValuesEqualGbstats() throws {
        let cases = try fixture("sequential")
        XCTAssertEqual(cases.count, 128)
        var decided = 0
        for (k, c) in cases.enumerated() {
            let (a, b) = statistics(c)
            let relative = c["relative"] as! Bool
            let d = ArmDifference(control: a, treatment: b, relative: relative)
            let e = SequentialTest.effect(d, alpha: (c["alpha"] as! NSNumber).doubleValue, tuning: (c["tuning"] as! NSNumber).doubleValue)
            let ci = (c["ci"] as! [NSNumber]).map(\.doubleValue)
            let name = "case \(k): \(c["kind"]!) relative \(relative)"
            close(e.estimate, (c["estimate"] as! NSNumber).doubleValue, 1e-9, name)
            // The bounds are estimate ± width: compare the width, which does not cancel near 0.
            close(e.upper - e.estimate, ci[1] - ci[0] == 0 ? 0 : (ci[1] - ci[0]) / 2, 1e-9, name)
            close(e.lower, ci[0], 1e-6, name)
            close(e.upper, ci[1], 1e-6, name)
            close(e.pValue, (c["p_value"] as! NSNumber).doubleValue, 1e-9, name)
            if e.pValue < 1 { decided += 1 }
        }
        XCTAssertGreaterThan(decided, 20, "the fixture must hold p-values below 1, not only the cap")
    }

    func testBayesianPosteriorChanceToWinAndRiskEqualGbstats() throws {
        let cases = try fixture("bayesian")
        XCTAssertEqual(cases.count, 192)
        for (k, c) in cases.enumerated() {
            let (a, b) = statistics(c)
            let relative = c["relative"] as! Bool
            let d = ArmDifference(control: a, treatment: b, relative: relative)
            var prior: GaussianPrior?
            if let mean = c["prior_mean"] as? NSNumber, let sd = c["prior_sd"] as? NSNumber {
                let p = GaussianPrior(mean: mean.doubleValue, standardDeviation: sd.doubleValue)
                prior = relative ? p : p.scaled(by: abs(a.unadjustedMean))
            }
            let r = BayesianEffect(d, prior: prior, lowerIsBetter: c["inverse"] as! Bool)
            let name = "case \(k): \(c["kind"]!) relative \(relative) prior \(String(describing: prior)) inverse \(c["inverse"]!)"
            let ci = (c["ci"] as! [NSNumber]).map(\.doubleValue), risk = (c["risk"] as! [NSNumber]).map(\.doubleValue)
            close(r.mean, (c["mean"] as! NSNumber).doubleValue, 1e-9, name)
            close(r.standardDeviation, (c["sd"] as! NSNumber).doubleValue, 1e-9, name)
            close(r.chanceToWin, (c["chance_to_win"] as! NSNumber).doubleValue, 1e-9, name)
            close(r.riskControl, risk[0], 1e-6, name)
            close(r.riskTreatment, risk[1], 1e-6, name)
            close(r.lower, ci[0], 1e-6, name)
            close(r.upper, ci[1], 1e-6, name)
        }
    }

    func testSampleSizesAndEffectsEqualStatsmodels() throws {
        for c in try fixture("planning") {
            let es = (c["effect_size"] as! NSNumber).doubleValue, ratio = (c["ratio"] as! NSNumber).doubleValue
            let alpha = (c["alpha"] as! NSNumber).doubleValue, target = (c["power"] as! NSNumber).doubleValue
            // nobs2 = ratio · nobs1, so the control holds 1/(1 + ratio) of the total.
            let plan = PowerAnalysis(standardDeviation: 2.5, alpha: alpha)
            let total = plan.totalUnits(effect: es * 2.5, power: target, control: 1 / (1 + ratio), treatment: ratio / (1 + ratio))
            close(total / (1 + ratio), (c["nobs1"] as! NSNumber).doubleValue, 1e-8, "\(c)")
        }
        for c in try fixture("mde") {
            let n1 = (c["nobs1"] as! NSNumber).doubleValue, ratio = (c["ratio"] as! NSNumber).doubleValue
            let plan = PowerAnalysis(standardDeviation: 1, alpha: (c["alpha"] as! NSNumber).doubleValue)
            let mde = plan.minimumEffect(totalUnits: n1 * (1 + ratio), power: (c["power"] as! NSNumber).doubleValue,
                                         control: 1 / (1 + ratio), treatment: ratio / (1 + ratio))
            close(mde, (c["effect_size"] as! NSNumber).doubleValue, 1e-9, "\(c)")
            close(mde, (c["solve_power"] as! NSNumber).doubleValue, 2e-4, "statsmodels' own solve_power: \(c)")
        }
    }

    /// The textbook closed form (z_{1−α/2} + z_{1−β})² · 2σ²/δ² per arm, which ignores the far tail, is
    /// within a unit of the exact solution for a realistic plan; sequential plans need more units.
    func testClosedFormAndSequentialPlans() {
        let plan = PowerAnalysis(standardDeviation: 10, alpha: 0.05)
        let perArm = plan.totalUnits(effect: 0.5, power: 0.8, control: 0.5, treatment: 0.5) / 2
        let z = Normal.quantile(0.975) + Normal.quantile(0.8)
        XCTAssertEqual(perArm, z * z * 2 * 100 / 0.25, accuracy: 1)
        let sequential = PowerAnalysis(standardDeviation: 10, alpha: 0.05, sequentialTuning: 5000)
        let sequentialPerArm = sequential.totalUnits(effect: 0.5, power: 0.8, control: 0.5, treatment: 0.5) / 2
        XCTAssertGreaterThan(sequentialPerArm, 1.3 * perArm)
        XCTAssertEqual(sequential.power(effect: 0.5, control: sequentialPerArm, treatment: sequentialPerArm), 0.8, accuracy: 1e-9)
    }

    /// Far in the tail, risk is tiny but still relative-accurate (G(z) ~ φ(z)/z² against an
    /// integration of the normal density).
    func testRiskStaysAccurateFarInTheTail() {
        for z in [0.0, 1.0, 2.9, 3.1, 5.0, 8.0, 20.0] {
            // ∫_z^∞ (t − z) φ(t) dt by Simpson's rule on [z, z + 40] with a fine step.
            let steps = 400_000, h = 40.0 / Double(steps)
            var s = 0.0
            for i in 0...steps {
                let t = z + Double(i) * h
                let w: Double = i == 0 || i == steps ? 1 : (i % 2 == 1 ? 4 : 2)
                s += w * (t - z) * exp(-t * t / 2) / (2 * Double.pi).squareRoot()
            }
            let integral = s * h / 3
            let d = ArmDifference(control: ArmStatistic(count: 1, mean: 0, variance: 0.5),
                                  treatment: ArmStatistic(count: 1, mean: z, variance: 0.5), relative: false)
            XCTAssertEqual(BayesianEffect(d).riskTreatment, integral, accuracy: 1e-7 * integral, "z = \(z)")
        }
    }

    /// A/A tests looked at daily for 30 days (200 units per arm per day, 1,000 replications): peeking
    /// at fixed-horizon p-values rejects far more often than 5%, the sequential p-value stays below it.
    /// (`tools/bench sequential` runs 10,000 replications for docs/benchmarks.md.)
    func testSequentialLooksKeepTheFalsePositiveRateWhilePeekingInflatesIt() {
        var g = SplitMix64(seed: 20261206)
        let replications = 1000
        var peeking = 0, sequential = 0, final = 0
        for _ in 0..<replications {
            var a = SampleSummary(count: 0, sum: 0, sumOfSquares: 0), b = a
            var peeked = false, stopped = false
            for _ in 1...30 {
                for _ in 0..<200 {
                    let y = g.normal(), z = g.normal()
                    a.count += 1; a.sum += y; a.sumOfSquares += y * y
                    b.count += 1; b.sum += z; b.sumOfSquares += z * z
                }
                let d = ArmDifference(control: .sampleMean(a), treatment: .sampleMean(b), relative: false)
                if Welch.absolute(control: a, treatment: b).pValue < 0.05 { peeked = true }
                if SequentialTest.effect(d).pValue < 0.05 { stopped = true }
            }
            if Welch.absolute(control: a, treatment: b).pValue < 0.05 { final += 1 }
            if peeked { peeking += 1 }
            if stopped { sequential += 1 }
        }
        let rate = { (k: Int) in Double(k) / Double(replications) }
        XCTAssertLessThanOrEqual(rate(sequential), 0.05, "sequential false-positive rate \(rate(sequential))")
        XCTAssertGreaterThan(rate(peeking), 0.15, "peeking at fixed-horizon p-values: \(rate(peeking))")
        XCTAssertEqual(rate(final), 0.05, accuracy: 0.025, "one look at the end")
    }

    /// Under the flat prior the 95% credible interval is a 95% frequentist interval: it covers the
    /// true relative lift in about 95% of 2,000 simulated experiments (binomial SE 0.5%).
    func testFlatPriorCredibleIntervalsCoverTheTrueLift() {
        var g = SplitMix64(seed: 7)
        let replications = 2000, n = 2000, truth = 0.04
        var covered = 0, wins = 0
        for _ in 0..<replications {
            var a = SampleSummary(count: 0, sum: 0, sumOfSquares: 0), b = a
            for _ in 0..<n {
                let y = 10 + 3 * g.normal(), z = 10 * (1 + truth) + 3 * g.normal()
                a.count += 1; a.sum += y; a.sumOfSquares += y * y
                b.count += 1; b.sum += z; b.sumOfSquares += z * z
            }
            let r = BayesianEffect(ArmDifference(control: .sampleMean(a), treatment: .sampleMean(b), relative: true))
            if r.lower <= truth && truth <= r.upper { covered += 1 }
            if r.chanceToWin > 0.5 { wins += 1 }
        }
        XCTAssertEqual(Double(covered) / Double(replications), 0.95, accuracy: 0.015)
        XCTAssertGreaterThan(Double(wins) / Double(replications), 0.99, "a 4% lift at 2,000 units a side nearly always leads")
    }
}
