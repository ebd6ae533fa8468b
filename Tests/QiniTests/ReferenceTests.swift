import Foundation
import XCTest
@testable import Qini

/// Every value of Fixtures/uplift-metrics.md (copied from the shared vectors), and the reference libraries' own output on
/// further data (Fixtures/qini-cases.json, made by Fixtures/make-fixtures.py with scikit-uplift 0.5.1
/// and CausalML 0.18.0), to 1e-9.
final class ReferenceTests: XCTestCase {
    struct Points: Decodable { let x: [Double]; let y: [Double] }
    struct AtK: Decodable { let strategy: String; let k: Double; let value: Double? }
    struct Rates: Decodable { let strategy: String; let group: String; let bins: Int; let rate: [Double?]; let variance: [Double?]; let size: [Int] }
    struct Weighted: Decodable { let strategy: String; let bins: Int; let value: Double? }
    struct Table: Decodable { let labels: [String]; let uplift: [Double?] }
    struct SkliftCase: Decodable {
        let name: String
        let y: [Double]
        let t: [Int]
        let score: [Double]
        let qini_curve, uplift_curve, perfect_qini_curve, perfect_qini_curve_no_negative, perfect_uplift_curve: Points
        let qini_auc_score, qini_auc_score_no_negative, uplift_auc_score: Double
        let uplift_at_k: [AtK]?
        let response_rate_by_percentile: [Rates]?
        let weighted_average_uplift: [Weighted]?
        let uplift_by_percentile: Table?
    }
    struct CausalCase: Decodable {
        let name: String
        let y: [Double]
        let t: [Int]
        let scores: [[Double]]
        let causalml_order: [[Int]]
        let get_qini, get_cumgain, get_qini_normalized: [[Double]]
        let qini_score, qini_score_raw, auuc_score, auuc_score_raw: [Double]
    }
    struct Fixtures: Decodable { let sklift: [SkliftCase]; let causalml: [CausalCase] }

    static let fixtures: Fixtures = {
        let url = Bundle.module.url(forResource: "qini-cases", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url)) // a committed file: failing is a broken fixture
    }()

    func close(_ a: Double?, _ b: Double?, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        switch (a, b) {
        case (nil, nil): return
        case let (a?, b?):
            if a.isNaN && b.isNaN { return }
            XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), message, file: file, line: line)
        default:
            if let a, a.isNaN, b == nil { return }
            XCTFail("\(message): \(String(describing: a)) vs \(String(describing: b))", file: file, line: line)
        }
    }

    func close(_ a: Curve, _ b: Points, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.x.count, b.x.count, "\(message): points", file: file, line: line)
        for (u, v) in zip(a.x, b.x) { close(u, v, "\(message) x", file: file, line: line) }
        for (u, v) in zip(a.y, b.y) { close(u, v, "\(message) y", file: file, line: line) }
    }

    // MARK: The published vectors, as uplift-metrics.md states them

    let yA: [Double] = [0, 0, 0, 0, 1, 0, 0, 1, 1, 1]
    let tA = [false, false, false, false, false, true, true, true, true, true]
    let score1 = [0, 0.1, 0.2, 0.3, 0.4, 0, 0.1, 0.2, 0.3, 0.4]
    let score2: [Double] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]

    func testVectorAScikitUplift() throws {
        let a = try UpliftSample(outcome: yA, treated: tA, score: score1), b = try UpliftSample(outcome: yA, treated: tA, score: score2)
        XCTAssertEqual(ScikitUplift.qiniCurve(a), Curve(x: [0, 2, 4, 6, 8, 10], y: [0, 0, 1, 2, 2, 2]))
        XCTAssertEqual(ScikitUplift.qiniCurve(b), Curve(x: [0, 1, 10], y: [0, 0, 2]))
        let ua = ScikitUplift.upliftCurve(a), ub = ScikitUplift.upliftCurve(b)
        XCTAssertEqual(ua.x, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(ub.x, [0, 1, 10])
        // (3/5 − 1/5)·10 is 3.9999999999999996 in floating point, in numpy as here.
        for (u, v) in zip(ua.y, [0, 0, 2, 4, 4, 4.0]) { close(u, v, "uplift_curve 1") }
        for (u, v) in zip(ub.y, [0, 0, 4.0]) { close(u, v, "uplift_curve 2") }
        close(try ScikitUplift.qiniAUCScore(a), 0.1333333333, "qini_auc_score 1")
        close(try ScikitUplift.qiniAUCScore(b), -0.0666666667, "qini_auc_score 2")
        close(try ScikitUplift.qiniAUCScore(a, negativeEffect: false), 0.25, "qini_auc_score 1 without negative effects")
        close(try ScikitUplift.qiniAUCScore(b, negativeEffect: false), -0.125, "qini_auc_score 2 without negative effects")
        close(try ScikitUplift.upliftAUCScore(a), 0.1851851852, "uplift_auc_score 1")
        close(try ScikitUplift.upliftAUCScore(b), -0.0925925926, "uplift_auc_score 2")
        XCTAssertEqual(try ScikitUplift.perfectQiniCurve(a), Curve(x: [0, 3, 9, 10], y: [0, 3, 3, 2]))
        XCTAssertEqual(try ScikitUplift.perfectQiniCurve(a, negativeEffect: false), Curve(x: [0, 2, 10], y: [0, 2, 2]))
        let perfect = try ScikitUplift.perfectUpliftCurve(a)
        XCTAssertEqual(perfect.x, [0, 3, 7, 9, 10])
        for (u, v) in zip(perfect.y, [0, 3, 7, 5.4, 4]) { close(u, v, "perfect_uplift_curve") }
    }

    func testVectorACausalML() throws {
        // CausalML's sort put score 1's rows in this order (tied rows not in input order); score 2's kept input order.
        let order1 = [9, 4, 8, 3, 7, 2, 6, 1, 0, 5]
        let a = try UpliftSample(outcome: order1.map { yA[$0] }, treated: order1.map { tA[$0] }, score: order1.map { score1[$0] })
        let b = try UpliftSample(outcome: yA, treated: tA, score: score2)
        let qini = CausalML.qini(a), gain = CausalML.cumulativeGain(a)
        for (u, v) in zip(qini, [0, 0, 0, 0, 1, 1.5, 2, 1.666667, 2, 2.2, 2]) { XCTAssertEqual(u, v, accuracy: 1e-6, "get_qini") }
        for (u, v) in zip(gain, [0, 0, 0, 0, 2, 2.5, 4, 2.916667, 4, 4.95, 4]) { XCTAssertEqual(u, v, accuracy: 1e-6, "get_cumgain") }
        let scores = CausalML.qiniScores([a, b])
        XCTAssertEqual(scores[0], 0.0621212121, accuracy: 1e-10)
        XCTAssertEqual(scores[1], -0.3636363636, accuracy: 1e-10)
        let raw = CausalML.qiniScores([a, b], normalize: false)
        XCTAssertEqual(raw[0], 0.1242424242, accuracy: 1e-10)
        XCTAssertEqual(raw[1], -0.7272727273, accuracy: 1e-10)
        XCTAssertEqual(CausalML.auucScore(a), 0.5537878788, accuracy: 1e-10)
        XCTAssertEqual(CausalML.auucScore(b), 0.0757575758, accuracy: 1e-10)
        XCTAssertEqual(CausalML.auucScore(a, normalize: false), 2.2151515152, accuracy: 1e-10)
        XCTAssertEqual(CausalML.auucScore(b, normalize: false), 0.3030303030, accuracy: 1e-10)
        // Both scores from one ranking: CausalML's published figures above, the same values.
        let both = CausalML.scores(a), other = CausalML.scores(b)
        XCTAssertEqual(both.qini, 0.0621212121, accuracy: 1e-10)
        XCTAssertEqual(both.auuc, 0.5537878788, accuracy: 1e-10)
        XCTAssertEqual(other.qini, CausalML.qiniScore(b))
        XCTAssertEqual(other.auuc, CausalML.auucScore(b))
    }

    func testScikitUpliftsOwnTests() throws {
        let tied = try UpliftSample(outcome: [0, 1, 0], treated: [false, true, true], score: [0.5, 0.5, 0.5])
        XCTAssertEqual(ScikitUplift.qiniCurve(tied), Curve(x: [0, 3], y: [0, 1]))
        XCTAssertEqual(ScikitUplift.upliftCurve(tied), Curve(x: [0, 3], y: [0, 1.5]))
        XCTAssertEqual(try ScikitUplift.perfectQiniCurve(tied), Curve(x: [0, 1, 3], y: [0, 1, 1]))
        let two = try UpliftSample(outcome: [0, 1], treated: [true, false], score: [0.1, 0.3])
        XCTAssertEqual(try ScikitUplift.qiniAUCScore(two), 1)
        XCTAssertEqual(try ScikitUplift.upliftAUCScore(two), 0)
        // scikit-uplift's test swaps both y and t: y = [1, 0], t = [0, 1].
        let swapped = try UpliftSample(outcome: [1, 0], treated: [false, true], score: [0.1, 0.3])
        XCTAssertEqual(try ScikitUplift.upliftAUCScore(swapped), 1)
        XCTAssertEqual(try ScikitUplift.qiniAUCScore(swapped), 1)
        XCTAssertEqual(try ScikitUplift.weightedAverageUplift(tied, bins: 1), 0.5)
    }

    // MARK: The fixtures

    func testScikitUpliftFixtures() throws {
        for c in Self.fixtures.sklift {
            let s = try UpliftSample(outcome: c.y, treated: c.t.map { $0 == 1 }, score: c.score)
            close(ScikitUplift.qiniCurve(s), c.qini_curve, "\(c.name) qini_curve")
            close(ScikitUplift.upliftCurve(s), c.uplift_curve, "\(c.name) uplift_curve")
            close(try ScikitUplift.perfectQiniCurve(s), c.perfect_qini_curve, "\(c.name) perfect_qini_curve")
            close(try ScikitUplift.perfectQiniCurve(s, negativeEffect: false), c.perfect_qini_curve_no_negative, "\(c.name) perfect (no negative)")
            close(try ScikitUplift.perfectUpliftCurve(s), c.perfect_uplift_curve, "\(c.name) perfect_uplift_curve")
            close(try ScikitUplift.qiniAUCScore(s), c.qini_auc_score, "\(c.name) qini_auc_score")
            close(try ScikitUplift.qiniAUCScore(s, negativeEffect: false), c.qini_auc_score_no_negative, "\(c.name) qini_auc_score(negative_effect=False)")
            close(try ScikitUplift.upliftAUCScore(s), c.uplift_auc_score, "\(c.name) uplift_auc_score")
            for a in c.uplift_at_k ?? [] {
                let k: ScikitUplift.K = a.k == a.k.rounded() && a.k >= 1 ? .count(Int(a.k)) : .fraction(a.k)
                let strategy = ScikitUplift.Strategy(rawValue: a.strategy)!
                close(try ScikitUplift.upliftAtK(s, k: k, strategy: strategy), a.value, "\(c.name) uplift_at_k \(a.strategy) \(a.k)")
            }
            for r in c.response_rate_by_percentile ?? [] {
                let got = try ScikitUplift.responseRateByPercentile(s, treated: r.group == "treatment",
                                                                    strategy: ScikitUplift.Strategy(rawValue: r.strategy)!, bins: r.bins)
                XCTAssertEqual(got.map(\.size), r.size, "\(c.name) sizes \(r.strategy) \(r.group) \(r.bins)")
                for (g, v) in zip(got, r.rate) { close(g.rate, v, "\(c.name) rate") }
                for (g, v) in zip(got, r.variance) { close(g.variance, v, "\(c.name) variance") }
            }
            for w in c.weighted_average_uplift ?? [] {
                close(try ScikitUplift.weightedAverageUplift(s, strategy: ScikitUplift.Strategy(rawValue: w.strategy)!, bins: w.bins), w.value,
                      "\(c.name) weighted_average_uplift")
            }
            if let table = c.uplift_by_percentile {
                let rows = try ScikitUplift.upliftByPercentile(s)
                XCTAssertEqual(rows.map(\.label), table.labels)
                for (r, v) in zip(rows, table.uplift) { close(r.uplift, v, "\(c.name) uplift_by_percentile") }
            }
        }
    }

    func testCausalMLFixtures() throws {
        for c in Self.fixtures.causalml {
            let samples = try zip(c.scores, c.causalml_order).map { score, order in
                try UpliftSample(outcome: order.map { c.y[$0] }, treated: order.map { c.t[$0] == 1 }, score: order.map { score[$0] })
            }
            for (k, s) in samples.enumerated() {
                for (u, v) in zip(CausalML.qini(s), c.get_qini[k]) { close(u, v, "\(c.name) get_qini \(k)") }
                for (u, v) in zip(CausalML.cumulativeGain(s), c.get_cumgain[k]) { close(u, v, "\(c.name) get_cumgain \(k)") }
                for (u, v) in zip(CausalML.qini(s, normalize: true), c.get_qini_normalized[k]) { close(u, v, "\(c.name) get_qini normalized") }
                close(CausalML.auucScore(s), c.auuc_score[k], "\(c.name) auuc_score \(k)")
                close(CausalML.auucScore(s, normalize: false), c.auuc_score_raw[k], "\(c.name) auuc_score raw \(k)")
            }
            for (u, v) in zip(CausalML.qiniScores(samples), c.qini_score) { close(u, v, "\(c.name) qini_score") }
            for (u, v) in zip(CausalML.qiniScores(samples, normalize: false), c.qini_score_raw) { close(u, v, "\(c.name) qini_score raw") }
        }
    }
}
