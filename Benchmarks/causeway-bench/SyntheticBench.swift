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
