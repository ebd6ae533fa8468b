import XCTest
@testable import Exposure

/// Exact checks by enumeration: on an 8-unit graph every one of the 256 assignments of a
/// Bernoulli(1/2) user split is one "replicate", so the estimated probabilities are the exact
/// design probabilities, and the Horvitz–Thompson estimators and Aronow & Samii's variance
/// estimators can be averaged over the whole design.
final class AronowSamiiExactTests: XCTestCase {
    static let n = 8
    /// A ring with two chords.
    static let edges: [(Int32, Int32)] = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 0), (0, 4), (2, 6)]

    /// Potential outcomes by condition, heterogeneous across units.
    static func y(_ i: Int, _ c: Int) -> Double { 1 + 0.3 * Double(i) + [0, 0.7, 1.1, 2.0][c] + (c == 3 ? 0.1 * Double(i) : 0) }

    func testHorvitzThompsonIsUnbiasedAndTheVarianceEstimatorIsExactOrConservative() throws {
        let n = Self.n
        let g = try Graph.build(nodes: n, sources: Self.edges.map(\.0), targets: Self.edges.map(\.1)).0
        let mapping = ExposureMapping.absolute(1)
        @Sendable func arm(_ z: Int) -> [Int8] { (0..<n).map { Int8((z >> $0) & 1) } }
        let assignments = 1 << n
        let p = try ExposureProbabilities.estimate(g, mapping: mapping, replicates: assignments, threads: 2, draw: arm)
        // Exact marginals: unit i is unexposed when its d neighbours are all in control.
        for i in 0..<n {
            let d = Double(g.degree(i)), none = 1 / pow(2, d)
            XCTAssertEqual(p.probability(i, .controlUnexposed), 0.5 * none, accuracy: 1e-15)
            XCTAssertEqual(p.probability(i, .treatedExposed), 0.5 * (1 - none), accuracy: 1e-15)
        }
        let design = try ExposureDesign(probabilities: p, dependence: Dependence(g, randomizationUnit: (0..<Int32(n)).map { $0 }))
        let everyone = [Bool](repeating: true, count: n)
        let truth = (0..<4).map { c in (0..<n).reduce(0) { $0 + Self.y($1, c) } }

        for (a, b) in [(Condition.controlUnexposed, nil), (.treatedUnexposed, nil), (.treatedExposed, nil),
                       (.treatedExposed, Condition.controlUnexposed), (.treatedUnexposed, .controlUnexposed)] {
            var estimates: [Double] = [], variances: [Double] = []
            for z in 0..<assignments {
                let codes = Condition.codes(g, arm: arm(z), mapping: mapping)
                let observed = (0..<n).map { Self.y($0, Int(codes[$0])) }
                func total(_ c: Condition) -> Double {
                    (0..<n).reduce(0) { $0 + (codes[$1] == Int8(c.rawValue) ? observed[$1] / p.probability($1, c) : 0) }
                }
                estimates.append(total(a) - (b.map(total) ?? 0))
                variances.append(SpilloverEstimator.totalVariance(a, b, ya: observed, yb: observed, population: everyone, observed: codes, design: design))
            }
            let target = truth[a.rawValue] - (b.map { truth[$0.rawValue] } ?? 0)
            let mean = estimates.reduce(0, +) / Double(assignments)
            XCTAssertEqual(mean, target, accuracy: 1e-9, "HT of \(a) − \(String(describing: b)) is unbiased")
            let trueVariance = estimates.reduce(0) { $0 + ($1 - target) * ($1 - target) } / Double(assignments)
            let expected = variances.reduce(0, +) / Double(assignments)
            if a == .controlUnexposed && b == nil || a == .treatedExposed && b == nil {
                // Every dependent pair can share these conditions (π_ij > 0): the estimator is unbiased.
                XCTAssertEqual(expected, trueVariance, accuracy: 1e-9 * max(1, trueVariance), "\(a)")
            } else {
                // Pairs that never share the conditions get Aronow & Samii's conservative terms.
                XCTAssertGreaterThanOrEqual(expected, trueVariance - 1e-9, "\(a) − \(String(describing: b))")
            }
        }
    }
}
