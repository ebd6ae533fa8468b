import Foundation
import XCTest
import Stats
import Synthetic

/// Donor weights against pysyncon on the Basque data, and on panels whose answer is known.
final class SimplexWeightsTests: XCTestCase {
    /// GDP per capita by region and year from the fixture.
    private func basque() throws -> [String: [Int: Double]] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/basque", withExtension: "csv"))
        var panel: [String: [Int: Double]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
            // regionno,regionname,year,gdpcap,…: region names hold no commas except in quotes (none here).
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count > 3, let year = Double(f[2]), let gdp = Double(f[3]) else { continue }
            panel[String(f[1]), default: [:]][Int(year)] = gdp
        }
        return panel
    }

    func testBasqueWeightsMatchPysyncon() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/basque-weights", withExtension: "json"))
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let panel = try basque()
        let years = (reference["years"] as! [NSNumber]).map(\.intValue)
        let controls = reference["controls"] as! [String]
        let treatedName = reference["treated"] as! String
        // Predictors scaled by their standard deviation across the treated unit and the donors (n − 1).
        let rows = ([treatedName] + controls).map { name in years.map { panel[name]![$0]! } }
        let sd = years.indices.map { r in SampleSummary(rows.map { $0[r] }).variance.squareRoot() }
        let scaled = rows.map { row in row.indices.map { row[$0] / sd[$0] } }
        let solution = try SimplexWeights.solve(treated: scaled[0], donors: Array(scaled.dropFirst()))
        // The exact optimum (scipy's SLSQP at ftol 1e-15), and pysyncon's own point, which stops early.
        let expected = (reference["tight_weights"] as! [NSNumber]).map(\.doubleValue)
        for (k, name) in controls.enumerated() {
            XCTAssertEqual(solution.weights[k], expected[k], accuracy: 1e-6, name)
        }
        XCTAssertEqual(solution.weights.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertTrue(solution.weights.allSatisfy { $0 >= 0 })
        XCTAssertEqual(solution.loss, (reference["tight_loss"] as! NSNumber).doubleValue, accuracy: 1e-12)
        XCTAssertLessThan(solution.loss, (reference["pysyncon_loss"] as! NSNumber).doubleValue)
        XCTAssertEqual(Set(controls.indices.filter { solution.weights[$0] > 1e-9 }.map { controls[$0] }),
                       ["Baleares (Islas)", "Madrid (Comunidad De)", "Rioja (La)"])
    }

    /// A treated unit that is a convex combination of donors gets exactly those weights back.
    func testRecoversAKnownConvexCombination() throws {
        var g = SplitMix64(seed: 21)
        let donors = (0..<12).map { _ in (0..<30).map { _ in g.normal() } }
        let truth: [Double] = [0.5, 0, 0, 0.3, 0, 0, 0, 0.2, 0, 0, 0, 0]
        let treated = (0..<30).map { r in zip(truth, donors).reduce(0) { $0 + $1.0 * $1.1[r] } }
        let solution = try SimplexWeights.solve(treated: treated, donors: donors)
        for (w, t) in zip(solution.weights, truth) { XCTAssertEqual(w, t, accuracy: 1e-8) }
        XCTAssertLessThan(solution.loss, 1e-14)
    }

    /// Against brute force over every face of a small simplex (each face's unconstrained minimum by
    /// its own normal equations), on random problems with more donors than predictors.
    func testAgreesWithExhaustiveFaces() throws {
        var g = SplitMix64(seed: 7)
        for trial in 0..<40 {
            let n = 6, k = 4
            let donors = (0..<n).map { _ in (0..<k).map { _ in g.normal() } }
            let treated = (0..<k).map { _ in 2 * g.normal() }
            let v = (0..<k).map { _ in g.uniform() + 0.1 }
            let solution = try SimplexWeights.solve(treated: treated, donors: donors, v: v)
            func loss(_ w: [Double]) -> Double {
                (0..<k).reduce(0) { acc, r in
                    let e = treated[r] - (0..<n).reduce(0) { $0 + w[$1] * donors[$1][r] }
                    return acc + v[r] * e * e
                }
            }
            // A dense grid on the simplex cannot beat the exact optimum.
            var best = Double.infinity
            for _ in 0..<20_000 {
                var w = (0..<n).map { _ in -log(g.uniform()) }
                if g.uniform() < 0.5 { for i in 0..<n where g.uniform() < 0.5 { w[i] = 0 } }
                let s = w.reduce(0, +)
                guard s > 0 else { continue }
                best = min(best, loss(w.map { $0 / s }))
            }
            XCTAssertLessThanOrEqual(solution.loss, best + 1e-12, "trial \(trial)")
            XCTAssertEqual(solution.loss, loss(solution.weights), accuracy: 1e-12)
        }
    }

    /// The KKT conditions certify the optimum of this convex problem: on the donors with weight the
    /// gradient of the loss is one value λ, on the others it is at least λ. Checked on panels like the
    /// demo's (common factors, trends, more periods than donors), where an earlier version stopped on
    /// a worse face.
    func testKKTConditionsHoldOnFactorPanels() throws {
        var g = SplitMix64(seed: 99)
        for trial in 0..<30 {
            let n = 10 + trial % 20, k = 40 + trial
            var factors: [[Double]] = []
            for _ in 0..<3 {
                var f = 0.0, path: [Double] = []
                for t in 0..<k { f += g.normal(); path.append(f + 0.01 * Double(t)) }
                factors.append(path)
            }
            var donors: [[Double]] = []
            for _ in 0..<n {
                let l: [Double] = [g.normal(), g.normal(), g.normal()]
                let level: Double = 5 * g.normal()
                var row: [Double] = []
                for t in 0..<k {
                    let common: Double = l[0] * factors[0][t] + l[1] * factors[1][t] + l[2] * factors[2][t]
                    row.append(level + common + 0.1 * g.normal())
                }
                donors.append(row)
            }
            var treated: [Double] = []
            for t in 0..<k {
                let mix: Double = 0.3 * donors[0][t] + 0.7 * donors[1][t]
                treated.append(mix + 0.5 * g.normal() + 0.02 * Double(t))
            }
            let w = try SimplexWeights.solve(treated: treated, donors: donors).weights
            // Gradient of ½‖x₁ − X₀w‖²: −X₀ᵀ(x₁ − X₀w).
            var residual: [Double] = []
            for t in 0..<k {
                var fit = 0.0
                for j in 0..<n { fit += w[j] * donors[j][t] }
                residual.append(treated[t] - fit)
            }
            var gradient: [Double] = []
            for j in 0..<n {
                var s = 0.0
                for t in 0..<k { s -= donors[j][t] * residual[t] }
                gradient.append(s)
            }
            let support = (0..<n).filter { w[$0] > 1e-9 }
            let lambda = support.reduce(0) { $0 + gradient[$1] } / Double(support.count)
            let scale = max(1, gradient.map(abs).max() ?? 1)
            for j in support { XCTAssertEqual(gradient[j], lambda, accuracy: 1e-6 * scale, "trial \(trial), donor \(j) with weight") }
            for j in 0..<n where w[j] <= 1e-9 { XCTAssertGreaterThanOrEqual(gradient[j], lambda - 1e-6 * scale, "trial \(trial), donor \(j) at 0") }
        }
    }

    func testRefusesBadInput() {
        XCTAssertThrowsError(try SimplexWeights.solve(treated: [1], donors: []))
        XCTAssertThrowsError(try SimplexWeights.solve(treated: [1, 2], donors: [[1]]))
        XCTAssertThrowsError(try SimplexWeights.solve(treated: [.nan], donors: [[1]]))
        XCTAssertThrowsError(try SimplexWeights.solve(treated: [1], donors: [[1]], v: [-1]))
    }
}
