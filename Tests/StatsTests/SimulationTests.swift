import Foundation
import XCTest
import Stats

/// Estimators on simulated experiments with known effects, 400 seeded replications each.
final class SimulationTests: XCTestCase {
    /// SplitMix64 with Box–Muller: the same stream on every platform.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
        mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    }

    /// y = 10 + τ·treated + ρ·x + √(1−ρ²)·ε with x, ε standard normal: corr(x, y) = ρ within an arm.
    private func simulate(seed: UInt64, n: Int, effect: Double, rho: Double) -> (CovariateSummary, CovariateSummary) {
        var g = Generator(state: seed)
        func arm(_ shift: Double) -> CovariateSummary {
            var x = [Double](), y = [Double]()
            for _ in 0..<n {
                let xi = g.normal()
                x.append(xi)
                y.append(10 + shift + rho * xi + (1 - rho * rho).squareRoot() * g.normal())
            }
            return CovariateSummary(y: y, x: x)
        }
        return (arm(0), arm(effect))
    }

    func testWelchAndCUPEDIntervalsCoverTheTruth() {
        let truth = 0.1
        var welchCovered = 0, cupedCovered = 0
        var reductions: [Double] = []
        for rep in 0..<400 {
            let (control, treatment) = simulate(seed: 1000 + UInt64(rep), n: 1000, effect: truth, rho: 0.7)
            let welch = Welch.absolute(control: control.outcome, treatment: treatment.outcome)
            if welch.lower <= truth && truth <= welch.upper { welchCovered += 1 }
            let cuped = CUPED(arms: [control, treatment])
            let adjusted = cuped.absoluteEffect(control: control, treatment: treatment)
            if adjusted.lower <= truth && truth <= adjusted.upper { cupedCovered += 1 }
            reductions.append(cuped.varianceReduction(control: control, treatment: treatment))
        }
        XCTAssertTrue((372...388).contains(welchCovered), "Welch covered \(welchCovered)/400")
        XCTAssertTrue((372...388).contains(cupedCovered), "CUPED covered \(cupedCovered)/400")
        let meanReduction = reductions.reduce(0, +) / Double(reductions.count)
        // Var(adjusted) / Var(raw) = 1 − ρ²: the variance left is 0.51, the reduction ρ² = 0.49.
        XCTAssertEqual(1 - meanReduction, 1 - 0.7 * 0.7, accuracy: 0.01, "CUPED leaves 1 − ρ² of the variance")
    }

    func testAAPValuesAreUniform() {
        var pValues: [Double] = []
        for rep in 0..<1000 {
            let (control, treatment) = simulate(seed: 50_000 + UInt64(rep), n: 200, effect: 0, rho: 0)
            pValues.append(Welch.absolute(control: control.outcome, treatment: treatment.outcome).pValue)
        }
        let ks = KolmogorovSmirnov.uniform(pValues)
        XCTAssertGreaterThan(ks.pValue, 0.01, "A/A p-values are not uniform: D = \(ks.statistic)")
        // And the test can tell: p-values under a real effect are far from uniform.
        var shifted: [Double] = []
        for rep in 0..<200 {
            let (control, treatment) = simulate(seed: 90_000 + UInt64(rep), n: 200, effect: 0.3, rho: 0)
            shifted.append(Welch.absolute(control: control.outcome, treatment: treatment.outcome).pValue)
        }
        XCTAssertLessThan(KolmogorovSmirnov.uniform(shifted).pValue, 1e-6)
    }

    func testKolmogorovSmirnovAgainstScipy() {
        // scipy 1.17.1, stats.kstest([0.1, 0.4, 0.35, 0.8, 0.9, 0.65, 0.2, 0.55], 'uniform', method='asymp'):
        // statistic 0.1, pvalue 0.99999822 (the plain asymptotic series; Stephens' small-n correction
        // used here moves it a little).
        let ks = KolmogorovSmirnov.uniform([0.1, 0.4, 0.35, 0.8, 0.9, 0.65, 0.2, 0.55])
        XCTAssertEqual(ks.statistic, 0.1, accuracy: 1e-12)
        XCTAssertGreaterThan(ks.pValue, 0.99)
    }

    func testCUPEDOnAWorkedExample() {
        // Two arms where y = 2x exactly: θ = 2 and the adjusted variance is zero.
        let control = CovariateSummary(y: [2, 4, 6, 8], x: [1, 2, 3, 4])
        let treatment = CovariateSummary(y: [4, 6, 8, 10], x: [1, 2, 3, 4])
        let cuped = CUPED(arms: [control, treatment])
        XCTAssertEqual(cuped.theta, 2, accuracy: 1e-12)
        XCTAssertEqual(cuped.adjusted(control).variance, 0, accuracy: 1e-12)
        XCTAssertEqual(cuped.adjusted(treatment).mean - cuped.adjusted(control).mean, 2, accuracy: 1e-12)
        XCTAssertEqual(cuped.varianceReduction(control: control, treatment: treatment), 1, accuracy: 1e-12)
    }
}

/// Cluster-randomized experiments: CR1 intervals cover; unit-level Welch does not.
final class ClusterSimulationTests: XCTestCase {
    func testCR1CoversWhereUnitLevelWelchFails() {
        var g = SimulationTests.Generator(state: 77)
        let truth = 0.2
        var robust = 0, naive = 0
        for _ in 0..<400 {
            var control: [ClusterSummary] = [], treatment: [ClusterSummary] = []
            var controlValues: [Double] = [], treatmentValues: [Double] = []
            for cluster in 0..<60 {
                let treated = cluster % 2 == 1
                let clusterEffect = 0.6 * g.normal() // ICC ≈ 0.26
                var sum = 0.0
                let size = 10 + Int(g.uniform() * 30)
                for _ in 0..<size {
                    let y = 1 + (treated ? truth : 0) + clusterEffect + g.normal()
                    sum += y
                    if treated { treatmentValues.append(y) } else { controlValues.append(y) }
                }
                let summary = ClusterSummary(count: Double(size), sumY: sum)
                if treated { treatment.append(summary) } else { control.append(summary) }
            }
            let effect = ClusterRobust.difference(control: control, treatment: treatment)!.absolute
            if effect.lower <= truth && truth <= effect.upper { robust += 1 }
            let welch = Welch.absolute(control: SampleSummary(controlValues), treatment: SampleSummary(treatmentValues))
            if welch.lower <= truth && truth <= welch.upper { naive += 1 }
        }
        XCTAssertTrue((372...392).contains(robust), "CR1 covered \(robust)/400")
        XCTAssertLessThan(naive, 300, "unit-level Welch ignores clustering and under-covers (\(naive)/400)")
    }

    func testRatioAtClusterLevelOnAWorkedExample() {
        // Control: clusters (y, x) = (2, 1), (4, 2) → R = 2, residuals 0 → variance 0.
        // Treatment: (3, 1), (9, 3) → R = 3, residuals 0.
        let r = ClusterRobust.difference(control: [.init(count: 1, sumY: 2, sumX: 1), .init(count: 2, sumY: 4, sumX: 2)],
                                         treatment: [.init(count: 1, sumY: 3, sumX: 1), .init(count: 3, sumY: 9, sumX: 3)],
                                         ratio: true)!
        XCTAssertEqual(r.absolute.estimate, 1, accuracy: 1e-12)
        XCTAssertEqual(r.absolute.standardError, 0, accuracy: 1e-12)
    }
}

/// Switchbacks: regions × hourly windows with daily patterns and region-day shocks.
final class SwitchbackSimulationTests: XCTestCase {
    func testRegressionWithFixedEffectsCoversTheTruth() {
        var g = SimulationTests.Generator(state: 4242)
        let truth = 0.8
        var covered = 0
        var estimates: [Double] = []
        for _ in 0..<400 {
            var windows: [SwitchbackRegression.Window] = []
            for region in 0..<6 {
                let base = 10 + 3 * Double(region)
                for day in 0..<10 {
                    let shock = 0.7 * g.normal() // shared by a region's windows that day
                    for hour in 0..<24 {
                        let treated = g.uniform() < 0.5
                        let pattern = 4 * sin(Double(hour) / 24 * 2 * .pi)
                        let value = base + pattern + shock + (treated ? truth : 0) + g.normal()
                        windows.append(.init(value: value, treated: treated, region: region, slot: hour, cluster: region * 100 + day))
                    }
                }
            }
            let effect = SwitchbackRegression.estimate(windows)!
            estimates.append(effect.estimate)
            if effect.lower <= truth && truth <= effect.upper { covered += 1 }
        }
        XCTAssertTrue((372...388).contains(covered), "covered \(covered)/400")
        XCTAssertEqual(estimates.reduce(0, +) / 400, truth, accuracy: 0.02, "unbiased")
    }

    func testRecoversAnExactEffectWithoutNoise() {
        var windows: [SwitchbackRegression.Window] = []
        for region in 0..<3 {
            for day in 0..<4 {
                for slot in 0..<6 {
                    let treated = (region + day + slot) % 2 == 0
                    windows.append(.init(value: Double(region) * 5 + Double(slot) + (treated ? 2 : 0) + Double(day % 2) * 0.001,
                                         treated: treated, region: region, slot: slot, cluster: region * 10 + day))
                }
            }
        }
        let effect = SwitchbackRegression.estimate(windows)!
        XCTAssertEqual(effect.estimate, 2, accuracy: 1e-3)
        XCTAssertEqual(effect.degreesOfFreedom, 11)
        XCTAssertNil(SwitchbackRegression.estimate(windows.filter(\.treated)), "no control windows: not identified")
    }
}
