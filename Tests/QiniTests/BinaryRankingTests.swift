import XCTest
@testable import Qini
import Stats

/// The one-sort paths equal the index-ranking ones exactly, ties included.
final class BinaryRankingTests: XCTestCase {
    func testEveryMetricEqualsItsIndexRankingTwin() throws {
        var g = SplitMix64(seed: 3)
        for n in [50, 999, 100_000] {
            // Scores on a coarse grid: many ties.
            let score = (0..<n).map { _ in (g.uniform() * 20).rounded() / 20 }
            let treated = (0..<n).map { _ in g.uniform() < 0.4 }
            let outcome = (0..<n).map { i in g.uniform() < 0.1 + (treated[i] ? score[i] * 0.2 : 0) ? 1.0 : 0 }
            let s = try UpliftSample(outcome: outcome, treated: treated, score: score)
            let r = try BinaryRanking(s)
            let order = Ranking.descending(score)
            for k in [0.1, 0.2, 0.3] {
                let a = try ScikitUplift.upliftAtK(r, k: .fraction(k)), b = try ScikitUplift.upliftAtK(s, k: .fraction(k), strategy: .overall, order: order)
                XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "uplift@\(k), n \(n): \(a) \(b)")
            }
            XCTAssertEqual(try ScikitUplift.upliftByPercentile(r, bins: 10).map(\.label), try ScikitUplift.upliftByPercentile(s, bins: 10, order: order).map(\.label))
            for (a, b) in zip(try ScikitUplift.upliftByPercentile(r, bins: 10), try ScikitUplift.upliftByPercentile(s, bins: 10, order: order)) {
                XCTAssertEqual(a.treated.size, b.treated.size)
                XCTAssertTrue(a.uplift == b.uplift || (a.uplift.isNaN && b.uplift.isNaN))
            }
            let one = CausalML.scores(r), two = CausalML.scores(s)
            XCTAssertEqual(one.qini, two.qini, "n \(n)")
            XCTAssertEqual(one.auuc, two.auuc, "n \(n)")
            // Thinned in the walk = thinned afterwards.
            let full = try ScikitUplift.evaluation(s), thin = try ScikitUplift.evaluation(s, maximumPoints: 11, ranking: r)
            XCTAssertEqual(thin.qini, full.qini)
            XCTAssertEqual(thin.curves.qini, full.curves.qini.thinned(to: 11))
            XCTAssertEqual(thin.curves.uplift, full.curves.uplift.thinned(to: 11))
        }
    }
}
