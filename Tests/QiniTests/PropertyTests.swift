import Foundation
import XCTest
import Stats
@testable import Qini

final class PropertyTests: XCTestCase {
    /// Binary outcomes with a voucher effect that grows with x: P(y) = 0.2 + 0.1·t·(x > 0) − 0.05·t·(x < −1).
    func sample(n: Int, seed: UInt64, score: (Double, inout SplitMix64) -> Double) throws -> UpliftSample {
        var g = SplitMix64(seed: seed)
        var y: [Double] = [], t: [Bool] = [], s: [Double] = []
        for _ in 0..<n {
            let x = g.normal(), treated = g.uniform() < 0.5
            let p = 0.2 + (treated ? (x > 0 ? 0.1 : 0) - (x < -1 ? 0.05 : 0) : 0)
            y.append(g.uniform() < p ? 1 : 0)
            t.append(treated)
            s.append(score(x, &g))
        }
        return try UpliftSample(outcome: y, treated: t, score: s)
    }

    func testRandomScoresScoreNearZero() throws {
        let s = try sample(n: 200_000, seed: 1) { _, g in g.uniform() }
        let scores = try ScikitUplift.aucScores(s)
        XCTAssertEqual(scores.qini, 0, accuracy: 0.03, "a random ranking's normalised Qini AUC")
        XCTAssertEqual(scores.uplift, 0, accuracy: 0.03, "a random ranking's normalised uplift AUC")
    }

    func testThePerfectScoreGivesOne() throws {
        let s = try sample(n: 5_000, seed: 2) { x, _ in x }
        let perfect = try UpliftSample(outcome: s.outcome, treated: s.treated,
                                       score: zip(s.outcome, s.treated).map { y, t in y * (t ? 1 : -1) })
        XCTAssertEqual(try ScikitUplift.qiniAUCScore(perfect), 1, accuracy: 1e-12)
        let c = zip(s.outcome, s.treated).filter { $0.0 == 1 && !$0.1 }.count, tn = zip(s.outcome, s.treated).filter { $0.0 == 0 && $0.1 }.count
        let ideal = zip(s.outcome, s.treated).map { y, t in Double(2 * ((y == 1) == t ? 1 : 0) + (c > tn ? Int(y) : (t ? 1 : 0))) }
        XCTAssertEqual(try ScikitUplift.upliftAUCScore(try UpliftSample(outcome: s.outcome, treated: s.treated, score: ideal)), 1, accuracy: 1e-12)
    }

    func testReversingTheScoreFlipsTheAreaAboveRandom() throws {
        let s = try sample(n: 100_000, seed: 3) { x, g in x + 0.5 * g.normal() }
        let reversed = try UpliftSample(outcome: s.outcome, treated: s.treated, score: s.score.map { -$0 })
        let (q, u) = (try ScikitUplift.qiniAUCScore(s), try ScikitUplift.upliftAUCScore(s))
        let (qr, ur) = (try ScikitUplift.qiniAUCScore(reversed), try ScikitUplift.upliftAUCScore(reversed))
        XCTAssertGreaterThan(q, 0.03, "an informative score")
        XCTAssertLessThan(qr, 0)
        XCTAssertEqual(qr, -q, accuracy: 0.15 * abs(q), "the area above random changes sign, nearly the same size")
        XCTAssertEqual(ur, -u, accuracy: 0.15 * abs(u))
        // For the CausalML cumulative gain with no ties the identity is exact at the end point.
        XCTAssertEqual(CausalML.cumulativeGain(s).last!, CausalML.cumulativeGain(reversed).last!, accuracy: 1e-9)
    }

    func testContinuousOutcomesAgainstTheDefinition() throws {
        var g = SplitMix64(seed: 4)
        let n = 400
        var y: [Double] = [], t: [Bool] = [], s: [Double] = []
        for _ in 0..<n {
            let x = g.normal(), treated = g.uniform() < 0.5
            y.append(10 + x + (treated ? 2 * max(x, 0) : 0) + g.normal())
            t.append(treated)
            s.append((x * 4).rounded() / 4) // ties
        }
        let sample = try UpliftSample(outcome: y, treated: t, score: s)
        let curve = ScikitUplift.upliftCurve(sample)
        // Brute force: at each distinct score threshold, the units scoring at least it.
        let thresholds = Array(Set(s)).sorted(by: >)
        XCTAssertEqual(curve.x.count, thresholds.count + 1)
        for (k, threshold) in thresholds.enumerated() {
            let top = (0..<n).filter { s[$0] >= threshold }
            let treatedTop = top.filter { t[$0] }, controlTop = top.filter { !t[$0] }
            let mt = treatedTop.isEmpty ? 0 : treatedTop.reduce(0) { $0 + y[$1] } / Double(treatedTop.count)
            let mc = controlTop.isEmpty ? 0 : controlTop.reduce(0) { $0 + y[$1] } / Double(controlTop.count)
            XCTAssertEqual(curve.x[k + 1], Double(top.count))
            XCTAssertEqual(curve.y[k + 1], (mt - mc) * Double(top.count), accuracy: 1e-9)
        }
        XCTAssertThrowsError(try ScikitUplift.upliftAUCScore(sample)) { error in
            XCTAssertTrue("\(error)".hasPrefix("the perfect uplift curve needs a binary outcome"), "\(error)")
        }
    }

    func testBootstrapIntervalsCoverTheEstimate() throws {
        let s = try sample(n: 4_000, seed: 5) { x, g in x + 0.5 * g.normal() }
        let scores = try ScikitUplift.aucScores(s)
        let ci = try Bootstrap.aucIntervals(s, replicates: 200, seed: 9)
        XCTAssertLessThan(ci.qini.lower, scores.qini)
        XCTAssertGreaterThan(ci.qini.upper, scores.qini)
        XCTAssertLessThan(ci.uplift.lower, scores.uplift)
        XCTAssertGreaterThan(ci.uplift.upper, scores.uplift)
        let again = try Bootstrap.aucIntervals(s, replicates: 200, seed: 9)
        XCTAssertEqual(again.qini, ci.qini, "seeded: the same interval again")
        XCTAssertEqual(again.uplift, ci.uplift)
    }

    func testWeightsEqualAnExplicitResample() throws {
        let s = try sample(n: 3_000, seed: 7) { x, g in (x + 0.5 * g.normal()).rounded() / 2 }
        var g = SplitMix64(seed: 8)
        var weights = [Double](repeating: 0, count: 3_000)
        var rows: [Int] = []
        for _ in 0..<3_000 { let j = Int(g.next() % 3_000); weights[j] += 1; rows.append(j) }
        let explicit = try UpliftSample(outcome: rows.map { s.outcome[$0] }, treated: rows.map { s.treated[$0] }, score: rows.map { s.score[$0] })
        let direct = try ScikitUplift.aucScores(explicit)
        let weighted = ScikitUplift.weightedAUCScores(s, order: Ranking.descending(s.score), weights: weights)
        XCTAssertEqual(weighted.qini, direct.qini, accuracy: 1e-9)
        XCTAssertEqual(weighted.uplift, direct.uplift, accuracy: 1e-9)
    }

    func testBadInput() {
        XCTAssertThrowsError(try UpliftSample(outcome: [1, 0], treated: [true], score: [1, 2])) {
            XCTAssertEqual("\($0)", "outcome, treatment and score differ in length (2, 1, 2)")
        }
        XCTAssertThrowsError(try UpliftSample(outcome: [1, 0], treated: [true, false], score: [.nan, 2])) {
            XCTAssertEqual("\($0)", "score of row 1 is nan, not a finite number")
        }
        XCTAssertThrowsError(try UpliftSample(outcome: [1, 0], treated: [true, true], score: [1, 2])) { XCTAssertEqual("\($0)", "no control units") }
        XCTAssertThrowsError(try UpliftSample(outcome: [1, 0], treated: [false, false], score: [1, 2])) { XCTAssertEqual("\($0)", "no treated units") }
        XCTAssertThrowsError(try ScikitUplift.qiniAUCScore(try UpliftSample(outcome: [1, 0.5], treated: [true, false], score: [1, 2]))) {
            XCTAssertEqual("\($0)", "the perfect Qini curve needs a binary outcome; row 2 has 0.5")
        }
    }

    func testSeveralArmsAndTheCostCurve() throws {
        // Two vouchers: the cheap one works for x > 0, the dear one for everybody a little more.
        var g = SplitMix64(seed: 6)
        let n = 60_000
        var y: [Double] = [], arm: [Int] = [], u1: [Double] = [], u2: [Double] = []
        for _ in 0..<n {
            let x = g.normal(), a = Int(g.next() % 3)
            let effect = a == 1 ? (x > 0 ? 0.15 : 0) : a == 2 ? 0.08 : 0
            y.append(g.uniform() < 0.2 + effect ? 1 : 0)
            arm.append(a)
            u1.append(x > 0 ? 0.15 : 0)
            u2.append(0.08)
        }
        let s = try MultiArmSample(outcome: y, arm: arm, uplift: [u1, u2])
        XCTAssertGreaterThan(try ScikitUplift.qiniAUCScore(try s.pair(1)), 0.05, "arm 1's score ranks its effect")
        let curve = try s.costCurve(costs: [1, 2])
        XCTAssertEqual(curve.cost.first, 0)
        XCTAssertEqual(curve.units.last, n)
        // Half the units (x > 0) get voucher 1 at 0.15 per unit of cost; the rest voucher 2 at 0.04.
        let half = curve.units.firstIndex { $0 >= n / 2 }!
        XCTAssertEqual(curve.cost[half], Double(curve.units[half]) * 1, accuracy: 200, "the first half costs 1 each")
        XCTAssertEqual(curve.value[half] / Double(curve.units[half]), 0.15, accuracy: 0.03, "incremental conversions per unit taken")
        XCTAssertEqual(curve.cost.last!, Double(n / 2) * 1 + Double(n / 2) * 2, accuracy: 0.02 * Double(n))
        XCTAssertEqual(curve.value.last! / Double(n), (0.15 + 0.08) / 2, accuracy: 0.03)
        XCTAssertThrowsError(try s.costCurve(costs: [1])) { XCTAssertEqual("\($0)", "one cost per treatment arm: 2 arms, 1 costs") }
    }
}
