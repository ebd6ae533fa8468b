import XCTest
import Stats
@testable import Exposure

/// The tree on a Watts–Strogatz graph under a user split, with a planted direct effect and a step
/// spillover: Y = 1 + 0.5·z + 1.0·1{f ≥ 0.5} + ε, f the share of treated neighbours.
final class SpilloverTreeTests: XCTestCase {
    func testTreeFindsTheSpilloverStepAndEstimatesLeavesHonestly() throws {
        let n = 6000
        let ws = SyntheticGraph.wattsStrogatz(nodes: n, k: 10, rewire: 0.1, seed: 5)
        let g = try Graph.build(nodes: n, sources: ws.sources, targets: ws.targets).0
        @Sendable func draw(_ seed: UInt64) -> [Int8] {
            var r = SplitMix64(seed: seed)
            return (0..<n).map { _ in r.uniform() < 0.5 ? 1 : 0 }
        }
        let arm = draw(1)
        var noise = SplitMix64(seed: 2)
        func fraction(_ i: Int) -> Double {
            Double(g.neighbours(i).filter { arm[Int($0)] > 0 }.count) / Double(max(1, g.degree(i)))
        }
        let truth = (0..<n).map { i in 1 + 0.5 * Double(arm[i]) + (fraction(i) >= 0.5 ? 1.0 : 0) }
        let y = truth.map { $0 + noise.normal() }
        let tree = try SpilloverTree.grow(g, arm: arm, outcome: y, inExperiment: [Bool](repeating: true, count: n), replicates: 200,
                                          floor: 0.05, seed: 3, dependence: Dependence(g, randomizationUnit: (0..<Int32(n)).map { $0 })) { r in
            draw(10_000 + UInt64(r))
        }
        let leaves = tree.leaves

        XCTAssertGreaterThanOrEqual(leaves.count, 3)
        XCTAssertEqual(tree.trainingUnits + tree.estimationUnits, n)
        // The spillover step is found: some split on the treated fraction at 0.5.
        let fractionSplits = tree.nodes.flatMap(\.constraints).filter { $0.feature == 1 }
        XCTAssertTrue(fractionSplits.contains { abs($0.threshold - 0.5) < 0.06 }, "splits: \(tree.nodes.map(\.rule))")
        // Leaves that pin the own arm and the side of the step estimate its planted mean.
        var checked = 0
        for leaf in leaves {
            XCTAssertGreaterThanOrEqual(leaf.minProbability, 0.05, leaf.rule)
            let own = leaf.constraints.last { $0.feature == 0 }
            let f = leaf.constraints.filter { $0.feature == 1 }
            let low = f.filter { !$0.atLeast }.map(\.threshold).min() ?? 1.1
            let high = f.filter { $0.atLeast }.map(\.threshold).max() ?? -0.1
            guard let own, low <= 0.5 || high >= 0.5 else { continue }
            let expected = 1 + 0.5 * (own.atLeast ? 1 : 0) + (high >= 0.5 ? 1 : 0)
            XCTAssertEqual(leaf.hajek, expected, accuracy: 4 * leaf.standardError + 0.05, "\(leaf.rule): \(leaf.hajek) ± \(leaf.standardError)")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 2, "leaves: \(leaves.map(\.rule))")
    }
}
