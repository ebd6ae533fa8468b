import Dispatch
import Foundation
import Stats
import Synthetic

/// `causeway-bench synthetic DONORS PERIODS [CSV]` (issue 21): a synthetic control for one treated
/// region against DONORS donor regions over PERIODS periods (the last quarter after the start), with
/// every in-space placebo, identity V. Regions follow common factors with their own loadings; the
/// treated one is a mix of a few donors plus +5% after the start. With CSV, the panel is also written
/// there (unit,period,value) for the pysyncon yardstick. No database.
func syntheticBench(donors: Int, periods: Int, csv: String?) throws {
    var g = SplitMix64(seed: 2026)
    let factors = (0..<3).map { _ -> [Double] in var f = 0.0; return (0..<periods).map { _ in f += g.normal(); return f } }
    var outcome: [String: [Int: Double]] = [:]
    var names: [String] = []
    for d in 0..<donors {
        let name = "d\(d)"
        names.append(name)
        let loadings = (0..<3).map { _ in g.normal() }, level = 100 + 10 * g.normal()
        outcome[name] = Dictionary(uniqueKeysWithValues: (0..<periods).map { t in
            (t, level + (0..<3).reduce(0) { $0 + loadings[$1] * factors[$1][t] } + 0.5 * g.normal())
        })
    }
    let start = periods * 3 / 4
    outcome["treated"] = Dictionary(uniqueKeysWithValues: (0..<periods).map { t in
        let mix = 0.5 * outcome["d0"]![t]! + 0.3 * outcome["d1"]![t]! + 0.2 * outcome["d2"]![t]!
        return (t, mix * (t >= start ? 1.05 : 1) + 0.2 * g.normal())
    })
    if let csv {
        var text = "unit,period,value\n"
        for (unit, series) in outcome.sorted(by: { $0.key < $1.key }) {
            for t in 0..<periods { text += "\(unit),\(t),\(series[t]!)\n" }
        }
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
    }
    let begin = DispatchTime.now().uptimeNanoseconds
    let estimate = try SyntheticControl.estimate(treated: "treated", donors: names, outcome: outcome, periods: Array(0..<periods), start: start)
    let fitted = DispatchTime.now().uptimeNanoseconds
    let placebos = SyntheticControl.placebos(treated: estimate, donors: names, outcome: outcome, start: start)
    let end = DispatchTime.now().uptimeNanoseconds
    print(String(format: "synthetic control, %d donors × %d periods: fit %.2f s, %d placebos %.2f s, in all %.2f s; ATT %.3f, p %.4f",
                 donors, periods, Double(fitted - begin) / 1e9, placebos.estimates.count, Double(end - fitted) / 1e9,
                 Double(end - begin) / 1e9, estimate.att, placebos.pValue))
}

/// `causeway-bench synthetic-inference [PANELS]` (issue 21): PANELS (200) simulated panels of 20
/// units on two common factors plus noise, 39 pre-periods and 8 post-periods. Under no effect, the
/// in-space placebo p-value of a unit (every unit treated in turn: is its post/pre RMSPE ratio
/// uniform on {1/20, …, 1}?); with a planted effect of 2 (four noise SDs) in every post-period, the
/// coverage of the 95% conformal intervals, the rejection rate of the placebo test, and synthetic
/// DiD's placebo-SE interval coverage. No database.
func syntheticInferenceBench(panels: Int) throws {
    let t0 = 39, t1 = 8, units = 20
    var pValues: [Double] = []
    var covered = 0, intervals = 0, rejected = 0, sdidCovered = 0, sdidRuns = 0
    var width = 0.0
    let begin = DispatchTime.now().uptimeNanoseconds
    for panel in 0..<panels {
        var g = SplitMix64(seed: 40_000 + UInt64(panel))
        let t = t0 + t1
        let f1 = (0..<t).map { Double($0) / 10 + g.normal() * 0.3 }, f2 = (0..<t).map { sin(Double($0) / 4) + g.normal() * 0.3 }
        var rows = (0..<units).map { _ -> [Double] in
            let a = 1 + g.uniform(), b = g.normal(), level = 5 + g.normal()
            return (0..<t).map { level + a * f1[$0] + b * f2[$0] + 0.5 * g.normal() }
        }
        // No effect: unit 0 as the treated one; its placebo p-value among all 20.
        var outcome: [String: [Int: Double]] = [:]
        for (u, row) in rows.enumerated() { outcome["u\(u)"] = Dictionary(uniqueKeysWithValues: row.enumerated().map { ($0.offset, $0.element) }) }
        let donors = (1..<units).map { "u\($0)" }
        let null = try SyntheticControl.estimate(treated: "u0", donors: donors, outcome: outcome, periods: Array(0..<t), start: t0)
        pValues.append(SyntheticControl.placebos(treated: null, donors: donors, outcome: outcome, start: t0).pValue)
        // A planted effect of 2 on unit 0.
        for s in t0..<t { rows[0][s] += 2 }
        for (k, interval) in ConformalIntervals.intervals(treated: rows[0], donors: Array(rows[1...]), prePeriods: t0).enumerated() {
            _ = k
            intervals += 1
            if interval.lower <= 2 && 2 <= interval.upper { covered += 1 }
            width += interval.upper - interval.lower
        }
        outcome["u0"] = Dictionary(uniqueKeysWithValues: rows[0].enumerated().map { ($0.offset, $0.element) })
        let treated = try SyntheticControl.estimate(treated: "u0", donors: donors, outcome: outcome, periods: Array(0..<t), start: t0)
        if SyntheticControl.placebos(treated: treated, donors: donors, outcome: outcome, start: t0).pValue <= 0.05 { rejected += 1 }
        if panel % 4 == 0 {
            let y = Array(rows[1...]) + [rows[0]]
            let e = SyntheticDiD.estimate(y, controls: units - 1, prePeriods: t0)
            if let se = SyntheticDiD.placeboStandardError(y, controls: units - 1, prePeriods: t0, estimator: .sdid, replications: 100, seed: UInt64(panel)) {
                sdidRuns += 1
                if abs(e.tau - 2) <= 1.959964 * se { sdidCovered += 1 }
            }
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
    // Uniformity: the p-values live on {1/20, …, 20/20}; compare their histogram with 1/20 each.
    var counts = [Int](repeating: 0, count: units)
    for p in pValues { counts[min(units - 1, max(0, Int((p * Double(units)).rounded()) - 1))] += 1 }
    let expected = Double(pValues.count) / Double(units)
    let chiSquare = counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    let cdf = (1...units).map { k in Double(pValues.filter { $0 <= Double(k) / Double(units) + 1e-9 }.count) / Double(pValues.count) }
    let ks = (1...units).map { abs(cdf[$0 - 1] - Double($0) / Double(units)) }.max() ?? 0
    print("what\tpanels\tvalue\tdetail")
    print(String(format: "placebo p-values under no effect: share <= 0.05\t%d\t%.3f\texpected 0.05 (the smallest p is 1/20)", pValues.count,
                 Double(pValues.filter { $0 <= 0.05 + 1e-9 }.count) / Double(pValues.count)))
    print(String(format: "placebo p-values under no effect: share <= 0.5\t%d\t%.3f\texpected 0.5", pValues.count,
                 Double(pValues.filter { $0 <= 0.5 + 1e-9 }.count) / Double(pValues.count)))
    print(String(format: "placebo p-values under no effect: chi-square on 20 cells (19 df; 5%% critical 30.1)\t%d\t%.1f\tmax |F - uniform| %.3f", pValues.count, chiSquare, ks))
    print(String(format: "conformal 95%% intervals, effect 2 in each of 8 periods: coverage\t%d\t%.3f\t%d intervals, mean width %.2f", panels, Double(covered) / Double(intervals), intervals, width / Double(intervals)))
    print(String(format: "placebo test with effect 2: rejections at p <= 0.05 (power)\t%d\t%.3f\t", panels, Double(rejected) / Double(panels)))
    print(String(format: "synthetic DiD placebo-SE 95%% interval coverage\t%d\t%.3f\tevery 4th panel, 100 placebo draws", sdidRuns, Double(sdidCovered) / Double(max(sdidRuns, 1))))
    print(String(format: "seconds\t%d\t%.1f\t", panels, seconds))
}

/// `causeway-bench impact [SERIES]` (issue 21): CausalImpact's model with 10,000 draws on 365
/// periods × 10 controls (timed; the panel written to DIR for the CausalPy yardstick when given),
/// then SERIES (200) simulated series of 100 periods (70 before the start) with a planted effect of
/// 3 noise SDs: coverage of the 95% intervals of the average effect and of the pointwise effects,
/// the detection rate (probability of an effect ≥ 0.95), and false alarms on series without effect.
func impactBench(series: Int, directory: String?) throws {
    var g = SplitMix64(seed: 365)
    let n = 365, start = 300
    var level = 0.0
    let controls = (0..<10).map { j -> [Double] in
        level = 0
        return (0..<n).map { i in level = 0.9 * level + g.normal(); return 100 + Double(j) + 3 * level + 2 * sin(Double(i) * 2 * .pi / 7) }
    }
    let y = (0..<n).map { i in 0.6 * controls[0][i] + 0.4 * controls[1][i] + g.normal() + (i >= start ? 5 : 0) }
    if let directory {
        var text = "y," + (1...10).map { "x\($0)" }.joined(separator: ",") + "\n"
        for i in 0..<n { text += "\(y[i])," + controls.map { String($0[i]) }.joined(separator: ",") + "\n" }
        try text.write(toFile: "\(directory)/impact-365.csv", atomically: true, encoding: .utf8)
    }
    var o = StructuralTimeSeries.Options()
    o.draws = 10_000
    let begin = DispatchTime.now().uptimeNanoseconds
    let big = try StructuralTimeSeries.fit(y: y, controls: controls, prePeriods: start, options: o)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
    print("what\tseries\tvalue\tdetail")
    print(String(format: "10,000 draws, 365 periods x 10 controls\t1\t%.2f s\taverage effect %.3f [%.3f, %.3f] (planted 5)", seconds,
                 big.averageEffect.mean, big.averageEffect.lower, big.averageEffect.upper))
    var covered = 0, pointCovered = 0, points = 0, detected = 0, alarms = 0
    let simBegin = DispatchTime.now().uptimeNanoseconds
    for s in 0..<series {
        var g = SplitMix64(seed: 80_000 + UInt64(s))
        var lv = 0.0
        let x1 = (0..<100).map { _ -> Double in lv = 0.95 * lv + g.normal(); return 100 + lv }
        let x2 = (0..<100).map { _ in 50 + 2 * g.normal() }, x3 = (0..<100).map { i in 10 + sin(Double(i) / 5) + 0.5 * g.normal() }
        let base = (0..<100).map { i in 1.2 * x1[i] + g.normal() }
        let treated = (0..<100).map { base[$0] + ($0 >= 70 ? 3 : 0) }
        o.draws = 2000
        o.seed = UInt64(s + 1)
        let r = try StructuralTimeSeries.fit(y: treated, controls: [x1, x2, x3], prePeriods: 70, options: o)
        if r.averageEffect.lower <= 3 && 3 <= r.averageEffect.upper { covered += 1 }
        for i in 70..<100 { points += 1; if r.pointwise[i].lower <= 3 && 3 <= r.pointwise[i].upper { pointCovered += 1 } }
        if r.probabilityOfEffect >= 0.95 { detected += 1 }
        if try StructuralTimeSeries.fit(y: base, controls: [x1, x2, x3], prePeriods: 70, options: o).probabilityOfEffect >= 0.95 { alarms += 1 }
    }
    let simSeconds = Double(DispatchTime.now().uptimeNanoseconds - simBegin) / 1e9
    print(String(format: "95%% interval of the average effect covers the planted 3\t%d\t%.3f\t", series, Double(covered) / Double(series)))
    print(String(format: "95%% pointwise intervals cover 3\t%d\t%.3f\t%d intervals", series, Double(pointCovered) / Double(points), points))
    print(String(format: "detection: probability of an effect >= 0.95 with the effect\t%d\t%.3f\t", series, Double(detected) / Double(series)))
    print(String(format: "false alarms: the same without an effect\t%d\t%.3f\t", series, Double(alarms) / Double(series)))
    print(String(format: "seconds for the simulations (2,000 draws a fit)\t%d\t%.1f\t", series, simSeconds))
}
