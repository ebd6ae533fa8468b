import Foundation
import Qini
import Stats

/// `qini DIR ROWS`: ROWS units (binary outcome, 50/50 treatment, a float score with a real signal),
/// written to DIR as raw arrays for scikit-uplift to read, then the Qini curve and both AUC scores
/// timed here (ranking included).
enum QiniBench {
    static func run(directory: String, rows n: Int) throws {
        var g = SplitMix64(seed: 7)
        var y = [Double](repeating: 0, count: n), t = [UInt8](repeating: 0, count: n), s = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let x = g.normal(), treated = g.uniform() < 0.5
            y[i] = g.uniform() < 0.2 + (treated && x > 0 ? 0.1 : 0) ? 1 : 0
            t[i] = treated ? 1 : 0
            s[i] = x + 0.5 * g.normal()
        }
        func write<T>(_ values: [T], _ name: String) throws {
            try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name)) }
        }
        // Two score columns on the same rows: doubles, and the same rounded to Float, which is what
        // Causeway's XGBoost models produce (and which ranks on 32-bit keys).
        let f = s.map { Double(Float($0)) }
        try write(y, "y.f64"); try write(t, "t.u8"); try write(s, "s.f64"); try write(f, "f.f64")
        let sample = try UpliftSample(outcome: y, treated: t.map { $0 == 1 }, score: s)
        if ProcessInfo.processInfo.environment["QINI_PARTS"] != nil {
            report("  ranking", rows: n, seconds: seconds { _ = Ranking.descending(s) })
            report("  curves (ranking included)", rows: n, seconds: seconds { _ = ScikitUplift.curves(sample) })
            let c = ScikitUplift.curves(sample)
            report("  areas", rows: n, seconds: seconds { _ = c.qini.area; _ = c.uplift.area })
            report("  perfect curves", rows: n, seconds: try seconds { _ = try ScikitUplift.perfectQiniCurve(sample); _ = try ScikitUplift.perfectUpliftCurve(sample) })
            report("  sample checks", rows: n, seconds: try seconds { _ = try UpliftSample(outcome: y, treated: t.map { $0 == 1 }, score: s) })
        }
        let floats = try UpliftSample(outcome: y, treated: t.map { $0 == 1 }, score: f)
        for (label, data) in [("double scores", sample), ("Float scores", floats)] {
            for round in 1...3 {
                var result: (qini: Double, uplift: Double, curves: (qini: Curve, uplift: Curve))!
                let time = try seconds { result = try ScikitUplift.aucScores(data) }
                report(String(format: "Qini curve + both AUC scores, %@ (Swift), round %d: %.9f %.9f", label, round, result.qini, result.uplift),
                       rows: n, seconds: time)
            }
        }
    }
}

extension QiniBench {
    /// `qini-parts FILE`: the phases of `qini --scores FILE` timed apart (one score column).
    static func parts(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var y: [Double] = [], t: [Bool] = [], s: [Double] = []
        let read = seconds {
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: ",")
                y.append(Double(f[0])!); t.append(f[1] == "1"); s.append(Double(f[2])!)
            }
        }
        report("  (reading by Foundation, not the console's reader)", rows: y.count, seconds: read)
        var sample: UpliftSample!
        report("  sample checks", rows: y.count, seconds: try seconds { sample = try UpliftSample(outcome: y, treated: t, score: s) })
        report("  aucScores (curves, perfect curves, areas)", rows: y.count, seconds: try seconds { _ = try ScikitUplift.aucScores(sample) })
        report("  perfect qini + uplift curves", rows: y.count, seconds: try seconds { _ = try ScikitUplift.perfectQiniCurve(sample); _ = try ScikitUplift.perfectUpliftCurve(sample) })
        var order: [Int32] = []
        report("  ranking", rows: y.count, seconds: seconds { order = Ranking.descending(s) })
        report("  uplift@k × 3", rows: y.count, seconds: try seconds { for k in [0.1, 0.2, 0.3] { _ = try ScikitUplift.upliftAtK(sample, k: .fraction(k), strategy: .overall, order: order) } })
        report("  deciles", rows: y.count, seconds: try seconds { _ = try ScikitUplift.upliftByPercentile(sample, bins: 10, order: order) })
        report("  CausalML scores", rows: y.count, seconds: seconds { _ = CausalML.scores(sample) })
    }
}
