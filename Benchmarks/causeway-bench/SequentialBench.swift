import Foundation
import Stats

/// `causeway-bench sequential REPLICATIONS` (issue 18): A/A tests looked at daily for 30 days, 1,000
/// units per arm per day: how often a look ever shows p < 0.05, by fixed-horizon p-values (peeking)
/// and by the sequential ones, on normal and on long-tailed (log-normal) values. No database.
func sequentialBench(replications: Int) {
    print("data\tlooks\treplications\tpeeking_fixed_horizon\tsequential\tone_look_at_day_30\tseconds")
    for (label, draw) in [("normal", { (g: inout SplitMix64) in g.normal() }),
                          ("log-normal", { (g: inout SplitMix64) in exp(g.normal()) })] as [(String, (inout SplitMix64) -> Double)] {
        var g = SplitMix64(seed: 20261206)
        var peeking = 0, sequential = 0, final = 0
        let time = seconds {
            for _ in 0..<replications {
                var a = SampleSummary(count: 0, sum: 0, sumOfSquares: 0), b = a
                var peeked = false, stopped = false
                for _ in 1...30 {
                    for _ in 0..<1000 {
                        let y = draw(&g), z = draw(&g)
                        a.count += 1; a.sum += y; a.sumOfSquares += y * y
                        b.count += 1; b.sum += z; b.sumOfSquares += z * z
                    }
                    if Welch.absolute(control: a, treatment: b).pValue < 0.05 { peeked = true }
                    let d = ArmDifference(control: .sampleMean(a), treatment: .sampleMean(b), relative: false)
                    if SequentialTest.effect(d).pValue < 0.05 { stopped = true }
                }
                if Welch.absolute(control: a, treatment: b).pValue < 0.05 { final += 1 }
                peeking += peeked ? 1 : 0
                sequential += stopped ? 1 : 0
            }
        }
        let rate = { (k: Int) in String(format: "%.4f", Double(k) / Double(replications)) }
        print("\(label)\t30\t\(replications)\t\(rate(peeking))\t\(rate(sequential))\t\(rate(final))\t\(String(format: "%.1f", time))")
    }
}
