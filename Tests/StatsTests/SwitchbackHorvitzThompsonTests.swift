import Foundation
import XCTest
import Stats

/// The Bojinov–Simchi-Levi–Zhao estimator under the optimal design, checked against the design itself:
/// exact enumeration of every assignment on a small schedule, and repeated draws on a larger one.
final class SwitchbackHorvitzThompsonTests: XCTestCase {
    /// The optimal design's blocks for T = n·m periods: points 1, 2m+1, 3m+1, …, (n−2)m+1.
    /// Returns each period's block ordinal (index 0 is period 1).
    private func blocks(periods: Int, carryover m: Int) -> [Int] {
        let points = [1] + stride(from: 2 * m + 1, through: (periods / m - 2) * m + 1, by: m).map { $0 }
        return (1...periods).map { t in points.lastIndex { $0 <= t }! }
    }

    /// Potential outcomes with carryover p: Y_t(w) = μ_t + Σ_{k=0…p} β_k·w_{t−k}, w ∈ {0, 1}.
    private struct Outcomes {
        let mu: [Double]
        let beta: [Double]
        var p: Int { beta.count - 1 }
        func value(_ t: Int, _ arms: [Int]) -> Double { // t is 0-based
            mu[t] + (0...p).reduce(0) { $0 + beta[$1] * Double(arms[t - $1]) }
        }
        /// The lag-p effect: mean over t > p of Y_t(1…1) − Y_t(0…0), which is Σβ for every t.
        var truth: Double { beta.reduce(0, +) }
    }

    private func regions(_ outcomes: [Outcomes], blockOf: [Int], draws: [[Int]]) -> [SwitchbackHorvitzThompson.Region] {
        zip(outcomes, draws).map { o, blockArms in
            let arms = blockOf.map { blockArms[$0] }
            let periods = (o.p..<blockOf.count).map { t in
                SwitchbackHorvitzThompson.Period(value: o.value(t, arms), blocks: blockOf[t - o.p]...blockOf[t])
            }
            return .init(blockArms: blockArms, periods: periods)
        }
    }

    func testUnbiasedAndConservativeByExactEnumeration() throws {
        // T = 12, m = 2: points 1, 5, 7, 9, so blocks {1–4}, {5–6}, {7–8}, {9–12}; 2 regions → 2^8 assignments.
        let blockOf = blocks(periods: 12, carryover: 2)
        XCTAssertEqual(blockOf, [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3])
        let outcomes = [
            Outcomes(mu: [3, 5, 4, 8, 6, 7, 2, 9, 5, 6, 4, 7], beta: [1.5, 0.7, -0.4]),
            Outcomes(mu: [10, 12, 9, 11, 14, 13, 8, 12, 10, 15, 11, 9], beta: [0.5, 1.2, 0.3]),
        ]
        // Each region's lag-2 effect is Σβ (1.8 and 2.0); every period counts once, so the estimand is their mean.
        let expected = (outcomes[0].truth + outcomes[1].truth) / 2
        var estimates: [Double] = [], variances: [Double] = []
        for code in 0..<(1 << 8) {
            let draws = [(0..<4).map { (code >> $0) & 1 }, (0..<4).map { (code >> (4 + $0)) & 1 }]
            let data = regions(outcomes, blockOf: blockOf, draws: draws)
            let effect = try XCTUnwrap(SwitchbackHorvitzThompson.estimate(data, treated: 1, control: 0, probabilities: [0.5, 0.5]))
            XCTAssertEqual(effect.estimate, rawEstimate(data), accuracy: 1e-12, "the HT sum as defined")
            estimates.append(effect.estimate)
            variances.append(effect.standardError * effect.standardError)
        }
        let mean = estimates.reduce(0, +) / Double(estimates.count)
        XCTAssertEqual(mean, expected, accuracy: 1e-12, "exactly unbiased over the design")
        let trueVariance = estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(estimates.count)
        let meanEstimate = variances.reduce(0, +) / Double(variances.count)
        XCTAssertGreaterThanOrEqual(meanEstimate, trueVariance, "conservative in expectation")
        XCTAssertLessThan(meanEstimate, 3 * trueVariance, "but not uselessly so on this example")
    }

    /// The HT sum written out directly from its definition, for the enumeration above.
    private func rawEstimate(_ regions: [SwitchbackHorvitzThompson.Region]) -> Double {
        var sum = 0.0, n = 0.0
        for r in regions {
            for p in r.periods {
                let arms = p.blocks.map { r.blockArms[$0] }
                let pi = pow(0.5, Double(p.blocks.count))
                if arms.allSatisfy({ $0 == 1 }) { sum += p.value / pi }
                if arms.allSatisfy({ $0 == 0 }) { sum -= p.value / pi }
                n += 1
            }
        }
        return sum / n
    }

    func testIntervalsCoverTheLagEffectUnderRepeatedDraws() {
        var g = SimulationTests.Generator(state: 909)
        let periods = 96, m = 2
        let blockOf = blocks(periods: periods, carryover: m)
        let blockCount = blockOf.last! + 1
        // Fixed potential outcomes (design-based inference): a daily pattern, region levels and noise drawn once.
        let outcomes = (0..<8).map { r in
            Outcomes(mu: (0..<periods).map { t in 20 + 2 * Double(r) + 3 * sin(Double(t) / 24 * 2 * .pi) + g.normal() },
                     beta: [1.0, 0.6, 0.3])
        }
        let truth = outcomes[0].truth
        XCTAssertEqual(truth, 1.9, accuracy: 1e-12)
        var covered = (raw: 0, centred: 0), estimates = (raw: [Double](), centred: [Double]()), widths = (raw: 0.0, centred: 0.0)
        for _ in 0..<400 {
            let draws = outcomes.map { _ in (0..<blockCount).map { _ in g.uniform() < 0.5 ? 1 : 0 } }
            let data = regions(outcomes, blockOf: blockOf, draws: draws)
            guard let raw = SwitchbackHorvitzThompson.estimate(data, treated: 1, control: 0, probabilities: [0.5, 0.5]),
                  let centred = SwitchbackHorvitzThompson.estimate(SwitchbackHorvitzThompson.centred(data), treated: 1, control: 0,
                                                                   probabilities: [0.5, 0.5]) else {
                XCTFail("estimate undefined"); return
            }
            estimates.raw.append(raw.estimate)
            estimates.centred.append(centred.estimate)
            widths.raw += raw.upper - raw.lower
            widths.centred += centred.upper - centred.lower
            if raw.lower <= truth && truth <= raw.upper { covered.raw += 1 }
            if centred.lower <= truth && truth <= centred.upper { covered.centred += 1 }
        }
        for (name, values, count) in [("raw", estimates.raw, covered.raw), ("centred", estimates.centred, covered.centred)] {
            let mean = values.reduce(0, +) / 400
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 399).squareRoot()
            XCTAssertLessThan(abs(mean - truth), 4 * sd / 20, "\(name) unbiased: mean \(mean), sd \(sd)")
            // Conservative: at least nominal coverage (binomial 4 SE below 95 % is 93 %).
            XCTAssertGreaterThanOrEqual(count, 372, "\(name) covered \(count)/400")
        }
        XCTAssertLessThan(widths.centred, widths.raw / 3, "centring removes the level from the variance")
    }

    func testUnequalArmWeightsAndUnseenPaths() {
        let blockOf = blocks(periods: 8, carryover: 2) // blocks {1–4}, {5–6}, {7–8}
        let outcomes = [Outcomes(mu: [1, 2, 3, 4, 5, 6, 7, 8], beta: [1, 0, 0])]
        // Three arms, treated arm 2 drawn with probability 0.2: weights enter through π.
        var sum = 0.0
        var total = 0.0
        for code in 0..<27 {
            let draw = [code % 3, (code / 3) % 3, code / 9]
            let weight = draw.reduce(1.0) { $0 * [0.5, 0.3, 0.2][$1] }
            let arms = blockOf.map { draw[$0] }
            let periods = (2..<8).map { t in
                SwitchbackHorvitzThompson.Period(value: outcomes[0].mu[t] + (arms[t] == 2 ? 1 : 0), blocks: blockOf[t - 2]...blockOf[t])
            }
            let region = SwitchbackHorvitzThompson.Region(blockArms: draw, periods: periods)
            let effect = SwitchbackHorvitzThompson.estimate([region], treated: 2, control: 0, probabilities: [0.5, 0.3, 0.2])
            // Undefined draws (a path never seen) have HT sum computed by hand with the same weights.
            var ht = 0.0
            for p in periods {
                let a = p.blocks.map { draw[$0] }
                if a.allSatisfy({ $0 == 2 }) { ht += p.value / pow(0.2, Double(p.blocks.count)) }
                if a.allSatisfy({ $0 == 0 }) { ht -= p.value / pow(0.5, Double(p.blocks.count)) }
            }
            if let effect { XCTAssertEqual(effect.estimate, ht / 6, accuracy: 1e-12) }
            sum += weight * ht / 6
            total += weight
        }
        XCTAssertEqual(total, 1, accuracy: 1e-12)
        XCTAssertEqual(sum, 1, accuracy: 1e-12, "unbiased for the effect of arm 2 held for p + 1 periods")
        XCTAssertNil(SwitchbackHorvitzThompson.estimate([], treated: 1, control: 0, probabilities: [0.5, 0.5]))
    }
}
