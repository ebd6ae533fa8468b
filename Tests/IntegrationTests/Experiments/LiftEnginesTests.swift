import Foundation
import XCTest
import _TestSupport
@testable import Platform
import Randomization
import Stats

/// `report lift` with the sequential and Bayesian engines, capped metrics and breakdowns by a unit
/// attribute, each against the same computation on the rows in memory (the engines themselves are
/// checked against gbstats and scipy in StatsTests).
final class LiftEnginesTests: ExperimentTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]

    /// A running experiment over n units with revenue (long-tailed, +10% in treatment) and a
    /// pre-period covariate; returns each unit's arm and values.
    private func experiment(units n: Int, seed: UInt64 = 20261206) throws -> [(unit: String, arm: String, y: Double, x: Double)] {
        try ExperimentCatalog.create(.init(name: "e", arms: arms), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<n), in: store)
        let assigned = try store.connection.query("SELECT unit, arm FROM assignments ORDER BY unit").decode((String, String).self)
        var g = SeededGenerator(seed: seed)
        var rows: [(String, String, Double, Double)] = []
        var revenue = "unit,value\n", pre = "unit,value\n"
        for (unit, arm) in assigned {
            let x = Double.random(in: 0...20, using: &g)
            // A heavy tail: one unit in 50 spends 50 to 100 times more.
            let whale = Double.random(in: 0..<1, using: &g) < 0.02 ? Double.random(in: 50...100, using: &g) : 1
            let y = ((arm == "treatment" ? 1.1 : 1) * (5 + 0.5 * x + Double.random(in: 0...4, using: &g)) * whale * 1000).rounded() / 1000
            rows.append((unit, arm, y, x))
            revenue += "\(unit),\(y)\n"; pre += "\(unit),\(x)\n"
        }
        try Metrics.importOutcomes(path: try csv(revenue), metric: "revenue", kind: nil, in: store)
        try Metrics.importOutcomes(path: try csv(pre), metric: "pre", kind: nil, in: store)
        return rows
    }

    private func summaries(_ rows: [(unit: String, arm: String, y: Double, x: Double)], cap: Double = .infinity)
        -> (control: CovariateSummary, treatment: CovariateSummary) {
        func s(_ arm: String) -> CovariateSummary {
            let mine = rows.filter { $0.arm == arm }
            return CovariateSummary(y: mine.map { min($0.y, cap) }, x: mine.map(\.x))
        }
        return (s("control"), s("treatment"))
    }

    private func treatment(_ r: LiftReport.Result, slice: String? = nil) throws -> LiftReport.Row {
        try XCTUnwrap(r.rows.first { $0.arm == "treatment" && $0.slice == slice })
    }

    func testSequentialAndBayesianReportsEqualTheEnginesOnTheRows() throws {
        let rows = try experiment(units: 3000)
        let (c, t) = summaries(rows)
        var options = LiftReport.Options(metrics: ["revenue"])
        options.sequential = 5000
        let sequential = try treatment(try LiftReport.run("e", options: options, in: store))
        let expected = SequentialTest.effect(ArmDifference(control: .sampleMean(c.outcome), treatment: .sampleMean(t.outcome), relative: true))
        let relative = try XCTUnwrap(sequential.relative)
        XCTAssertEqual(relative.lower, expected.lower, accuracy: 1e-9)
        XCTAssertEqual(relative.upper, expected.upper, accuracy: 1e-9)
        let fixed = try treatment(try LiftReport.run("e", options: .init(metrics: ["revenue"]), in: store))
        XCTAssertGreaterThan(relative.upper - relative.lower, try XCTUnwrap(fixed.relative).upper - fixed.relative!.lower,
                             "an always-valid interval is wider than the fixed-horizon one")

        // CUPED with the sequential engine: θ from the two arms pooled, as gbstats.
        options.cuped = "pre"
        let adjusted = try treatment(try LiftReport.run("e", options: options, in: store))
        let ra = ArmStatistic.regressionAdjusted(control: c, treatment: t, outcomeIsProportion: false, covariateIsProportion: false)
        let expectedRA = SequentialTest.effect(ArmDifference(control: ra.control, treatment: ra.treatment, relative: false))
        XCTAssertEqual(try XCTUnwrap(adjusted.absolute).lower, expectedRA.lower, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(adjusted.absolute).pValue, expectedRA.pValue, accuracy: 1e-12)

        var bayes = LiftReport.Options(metrics: ["revenue"])
        bayes.engine = .bayesian
        bayes.prior = GaussianPrior(mean: 0, standardDeviation: 0.3)
        let report = try LiftReport.run("e", options: bayes, in: store)
        let row = try treatment(report)
        let d = ArmDifference(control: .sampleMean(c.outcome), treatment: .sampleMean(t.outcome), relative: true)
        let posterior = BayesianEffect(d, prior: GaussianPrior(mean: 0, standardDeviation: 0.3))
        let decision = try XCTUnwrap(row.decision)
        XCTAssertEqual(decision.chanceToWin, posterior.chanceToWin, accuracy: 1e-12)
        XCTAssertEqual(decision.riskTreatment, posterior.riskTreatment, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(row.relative).lower, posterior.lower, accuracy: 1e-12)
        XCTAssertNil(row.adjustedP, "no p-values with the Bayesian engine")
        XCTAssertEqual(row.significant, posterior.chanceToWin > 0.95 || posterior.chanceToWin < 0.05)
        XCTAssertEqual(report.engine, .bayesian)
    }

    func testCapsAreAppliedBeforeAnalysisFixedAndPercentile() throws {
        let rows = try experiment(units: 2000)
        try Metrics.setCap("revenue", to: .value(40), in: store)
        let capped = try treatment(try LiftReport.run("e", options: .init(metrics: ["revenue"]), in: store))
        let (c, t) = summaries(rows, cap: 40)
        let expected = Welch.absolute(control: c.outcome, treatment: t.outcome)
        XCTAssertEqual(try XCTUnwrap(capped.absolute).estimate, expected.estimate, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(capped.absolute).upper, expected.upper, accuracy: 1e-9)

        // A cap most units exceed: read from every unit's capped total instead, the same numbers.
        try Metrics.setCap("revenue", to: .value(8), in: store)
        XCTAssertGreaterThan(try LiftReport.tailShare(metric: "revenue", above: 8, on: store.connection), 0.3)
        let low = try treatment(try LiftReport.run("e", options: .init(metrics: ["revenue"]), in: store))
        let (lc, lt) = summaries(rows, cap: 8)
        XCTAssertEqual(try XCTUnwrap(low.absolute).estimate, Welch.absolute(control: lc.outcome, treatment: lt.outcome).estimate, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(low.absolute).pValue, Welch.absolute(control: lc.outcome, treatment: lt.outcome).pValue, accuracy: 1e-9)

        // The 95th percentile of the experiment's units' values, interpolated linearly (numpy's default).
        try Metrics.setCap("revenue", to: .percentile(0.95), in: store)
        let sorted = rows.map(\.y).sorted()
        let h = 0.95 * Double(sorted.count - 1), k = Int(h)
        let p95 = sorted[k] + (h - Double(k)) * (sorted[k + 1] - sorted[k])
        var options = LiftReport.Options(metrics: ["revenue"], cuped: "pre")
        options.correction = .none
        let report = try LiftReport.run("e", options: options, in: store)
        XCTAssertEqual(try XCTUnwrap(report.caps.first).value, p95, accuracy: 1e-9)
        let (pc, pt) = summaries(rows, cap: p95)
        let cuped = CUPED(arms: [pc, pt]).absoluteEffect(control: pc, treatment: pt)
        XCTAssertEqual(try XCTUnwrap(try treatment(report).absolute).estimate, cuped.estimate, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(try treatment(report).absolute).standardError, cuped.standardError, accuracy: 1e-9)
        // Capping narrows a long-tailed metric's interval.
        try Metrics.setCap("revenue", to: nil, in: store)
        let uncapped = try treatment(try LiftReport.run("e", options: options, in: store))
        XCTAssertLessThan(try treatment(report).absolute!.standardError, uncapped.absolute!.standardError)
        XCTAssertTrue(try LiftReport.run("e", options: options, in: store).caps.isEmpty)
    }

    /// The two ways a capped report is computed agree: the kept sums less the units over the caps
    /// (no breakdown) and the capped totals of every unit (a breakdown with one slice), with units
    /// that have no value (they count 0, not the cap) and a capped covariate.
    func testCappedSumsFromTheTailEqualCappedRows() throws {
        let rows = try experiment(units: 2500)
        // 300 more units assigned with no revenue and no pre-period value.
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<300, prefix: "quiet"), in: store)
        try UnitImport.run(path: try csv("unit,all\n" + (rows.map(\.unit) + (0..<300).map { "quiet\($0)" }).map { "\($0),one" }
            .joined(separator: "\n") + "\n"), in: store)
        try Metrics.setCap("revenue", to: .percentile(0.97), in: store)
        try Metrics.setCap("pre", to: .value(15), in: store)
        var options = LiftReport.Options(metrics: ["revenue"], cuped: "pre")
        options.correction = .none
        let tail = try treatment(try LiftReport.run("e", options: options, in: store))
        options.by = "all"
        let sliced = try LiftReport.run("e", options: options, in: store)
        let one = try treatment(sliced, slice: "one")
        XCTAssertEqual(sliced.slices.map(\.units), [2800])
        XCTAssertEqual(tail.units, one.units)
        for (a, b) in [(tail.absolute!.estimate, one.absolute!.estimate), (tail.absolute!.standardError, one.absolute!.standardError),
                       (tail.relative!.estimate, one.relative!.estimate), (tail.mean, one.mean)] {
            XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)))
        }
        // And both equal CUPED on the capped values in memory, the quiet units at 0.
        let cap = try XCTUnwrap(sliced.caps.first { $0.metric == "revenue" }).value
        let assigned = Dictionary(uniqueKeysWithValues: try store.connection.query("SELECT unit, arm FROM assignments").decode((String, String).self))
        func arm(_ name: String) -> CovariateSummary {
            let mine = rows.filter { $0.arm == name }
            let quiet = (0..<300).filter { assigned["quiet\($0)"] == name }.count
            return CovariateSummary(y: mine.map { min($0.y, cap) } + Array(repeating: 0, count: quiet),
                                    x: mine.map { min($0.x, 15) } + Array(repeating: 0, count: quiet))
        }
        let (c, t) = (arm("control"), arm("treatment"))
        XCTAssertEqual(tail.absolute!.estimate, CUPED(arms: [c, t]).absoluteEffect(control: c, treatment: t).estimate, accuracy: 1e-9)
    }

    /// The percentile read from the top equals `percentile_cont` over the whole join, also when the
    /// metric's other units lie higher than the experiment's (the sampled threshold is then too high
    /// and the whole join is read).
    func testPercentileFromTheTopEqualsPercentileContOverTheJoin() throws {
        _ = try experiment(units: 3000)
        let e = try Experiment.load("e", on: store.connection)
        let metric = try XCTUnwrap(try Metrics.find("revenue", on: store.connection))
        func whole(_ p: Double) throws -> Double {
            try store.connection.query("""
                SELECT percentile_cont(\(p)) WITHIN GROUP (ORDER BY t.value) FROM assignments a
                JOIN unit_totals t ON t.unit = a.unit AND t.metric = 'revenue' WHERE a.experiment_id = \(e.id)
                """).decodeOne(Double.self)
        }
        for p in [0.9, 0.95, 0.99, 0.999] {
            let top = try store.connection.transaction(.repeatableRead, readOnly: true) { c in
                try LiftReport.percentileCap(p, metric: metric, experiment: e, fromTheTopAbove: 0, on: c)
            }
            XCTAssertEqual(try XCTUnwrap(top), try whole(p), accuracy: 1e-12, "p = \(p)")
        }
        // 20,000 more units of the metric, all above the experiment's values, not in it.
        try Metrics.importOutcomes(path: try csv("unit,value\n" + (0..<20000).map { "x\($0),\(100_000 + $0)" }.joined(separator: "\n") + "\n"),
                                   metric: "revenue", kind: nil, in: store)
        let shifted = try LiftReport.percentileCap(0.99, metric: metric, experiment: e, fromTheTopAbove: 0, on: store.connection)
        XCTAssertEqual(try XCTUnwrap(shifted), try whole(0.99), accuracy: 1e-12)
    }

    func testBreakdownByAttributeGivesEachSliceItsWelchTestAndSRM() throws {
        let rows = try experiment(units: 3000)
        // 25 countries of falling size, and 100 units without a country.
        var units = "unit,country\n"
        var country: [String: String] = [:]
        for (k, row) in rows.enumerated() where k >= 100 {
            let c = "c" + String(format: "%02d", min(24, Int((Double(k - 100) / 2900).squareRoot() * 25)))
            country[row.unit] = c
            units += "\(row.unit),\(c)\n"
        }
        try UnitImport.run(path: try csv(units), in: store)
        var options = LiftReport.Options(metrics: ["revenue"])
        options.by = "country"
        options.correction = .none
        let report = try LiftReport.run("e", options: options, in: store)
        XCTAssertEqual(report.slices.count, 22, "20 named slices, (other) and (none)")
        XCTAssertEqual(report.slices[20].name, "(other)")
        XCTAssertEqual(report.slices[21].name, "(none)")
        XCTAssertEqual(report.slices[21].units, 100)
        XCTAssertEqual(report.slices.map(\.units).reduce(0, +), 3000)
        XCTAssertEqual(report.slices.prefix(20).map(\.units), report.slices.prefix(20).map(\.units).sorted(by: >))
        let named = Set(report.slices.prefix(20).map(\.name))
        for slice in report.slices {
            let mine = rows.filter {
                switch slice.name {
                case "(none)": return country[$0.unit] == nil
                case "(other)": return country[$0.unit].map { !named.contains($0) } ?? false
                default: return country[$0.unit] == slice.name
                }
            }
            XCTAssertEqual(mine.count, slice.units, slice.name)
            let (c, t) = summaries(mine)
            let expected = Welch.absolute(control: c.outcome, treatment: t.outcome)
            let row = try treatment(report, slice: slice.name)
            XCTAssertEqual(try XCTUnwrap(row.absolute).estimate, expected.estimate, accuracy: 1e-9, slice.name)
            XCTAssertEqual(try XCTUnwrap(row.absolute).pValue, expected.pValue, accuracy: 1e-9, slice.name)
            let srm = try XCTUnwrap(slice.sampleRatio)
            let expectedSRM = try XCTUnwrap(SampleRatioMismatch(counts: [Int(c.count), Int(t.count)], weights: [50, 50]))
            XCTAssertEqual(srm.pValue, expectedSRM.pValue, accuracy: 1e-12, slice.name)
        }
        // Holm across the slices: the family is every slice's comparison.
        options.correction = .holm
        let corrected = try LiftReport.run("e", options: options, in: store)
        let raw = corrected.rows.compactMap { $0.absolute?.pValue }
        XCTAssertEqual(raw.count, 22)
        XCTAssertEqual(corrected.rows.compactMap(\.adjustedP), MultipleTesting.holm.adjust(raw))
    }

    /// `--by country` against scipy's Welch test per country, on a committed fixture whose arms the
    /// fixture's script computed with GrowthBook's hash (Fixtures/make-slice-welch-cases.py).
    func testBreakdownEqualsScipyWelchPerSlice() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/slice-welch-cases", withExtension: "json"))
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let units = try XCTUnwrap(fixture["units"] as? [[Any]])
        var countries = "unit,country\n", revenue = "unit,value\n", list = "unit\n"
        for u in units {
            let unit = u[0] as! String
            list += "\(unit)\n"
            revenue += "\(unit),\((u[3] as! NSNumber).doubleValue)\n"
            countries += "\(unit),\((u[2] as? String) ?? "")\n"
        }
        try ExperimentCatalog.create(.init(name: "e", arms: arms), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try csv(list), in: store)
        let stored = Dictionary(uniqueKeysWithValues: try store.connection.query("SELECT unit, arm FROM assignments").decode((String, String).self))
        for u in units { XCTAssertEqual(stored[u[0] as! String], u[1] as? String, "the fixture's hash and Causeway's agree") }
        try Metrics.importOutcomes(path: try csv(revenue), metric: "revenue", kind: nil, in: store)
        try UnitImport.run(path: try csv(countries), in: store)
        var options = LiftReport.Options(metrics: ["revenue"])
        options.by = "country"
        let report = try LiftReport.run("e", options: options, in: store)
        let slices = try XCTUnwrap(fixture["slices"] as? [String: [String: NSNumber]])
        XCTAssertEqual(Set(report.slices.map(\.name)), Set(slices.keys))
        for (name, expected) in slices {
            let row = try XCTUnwrap(report.rows.first { $0.slice == name && $0.arm == "treatment" })
            let effect = try XCTUnwrap(row.absolute)
            XCTAssertEqual(row.units, expected["n_treatment"]!.intValue, name)
            XCTAssertEqual(effect.estimate, expected["difference"]!.doubleValue, accuracy: 1e-9, name)
            XCTAssertEqual(effect.estimate / effect.standardError, expected["statistic"]!.doubleValue, accuracy: 1e-9, name)
            XCTAssertEqual(effect.pValue, expected["pvalue"]!.doubleValue, accuracy: 1e-10, name)
            XCTAssertEqual(try XCTUnwrap(effect.degreesOfFreedom), expected["df"]!.doubleValue, accuracy: 1e-7, name)
            XCTAssertEqual(effect.lower, expected["ci_low"]!.doubleValue, accuracy: 1e-9, name)
            XCTAssertEqual(effect.upper, expected["ci_high"]!.doubleValue, accuracy: 1e-9, name)
        }
    }

    func testBadOptionsGetOneLineErrors() throws {
        _ = try experiment(units: 200)
        func refused(_ options: LiftReport.Options, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try LiftReport.run("e", options: options, in: store), file: file, line: line) {
                XCTAssertEqual("\($0)", message, file: file, line: line)
            }
        }
        var both = LiftReport.Options(metrics: ["revenue"])
        both.engine = .bayesian
        both.sequential = 5000
        refused(both, "sequential testing and the Bayesian engine do not combine: the posterior may be read at any time already; choose one")
        var prior = LiftReport.Options(metrics: ["revenue"])
        prior.engine = .bayesian
        prior.prior = GaussianPrior(mean: 0, standardDeviation: 0)
        refused(prior, "the prior's standard deviation must be greater than 0")
        var by = LiftReport.Options(metrics: ["revenue"])
        by.by = "planet"
        refused(by, "no unit of experiment \"e\" has the attribute \"planet\"; unit attributes come from import units")
        XCTAssertThrowsError(try Metrics.setCap("revenue", to: .percentile(1.5), in: store)) {
            XCTAssertEqual("\($0)", "metric \"revenue\": the cap percentile must be between 0 and 1, exclusive (0.99 for the 99th); got 1.5")
        }
        XCTAssertThrowsError(try Metrics.create(.init(name: "p", kind: .proportion, cap: .value(1)), in: store)) {
            XCTAssertEqual("\($0)", "metric \"p\": only mean metrics are capped (a ratio's parts carry their own caps; a proportion is 0 or 1)")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM metrics WHERE cap IS NOT NULL OR cap_percentile IS NOT NULL OR name = 'p'"), 0)

        // Cluster designs refuse the unit-level engines, and say why.
        try ClusterImport.run(path: try csv("unit,cluster\n" + (0..<200).map { "u\($0),cell-\($0 % 10)" }.joined(separator: "\n") + "\n"),
                              mapping: "cells", in: store)
        var d = ExperimentCatalog.Definition(name: "c", arms: arms)
        d.design = .cluster
        d.parameters.clusters = "cells"
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("c", in: store)
        try Assigner.assignBulk("c", unitsFile: try unitsFile(0..<200), in: store)
        var sequential = LiftReport.Options(metrics: ["revenue"])
        sequential.sequential = 5000
        XCTAssertThrowsError(try LiftReport.run("c", options: sequential, in: store)) {
            XCTAssertEqual("\($0)", "sequential testing is not available here: a cluster design is analysed with cluster-robust errors over clusters, and these need independent units")
        }
    }

    /// `experiment plan`: the textbook sizes from a baseline, the variance of stored data (pooled
    /// within arms, reduced by CUPED's ρ²), the split level with several arms, and bad input.
    func testPlansFromABaselineAndFromStoredData() throws {
        var r = ExperimentPlan.Request()
        (r.baselineMean, r.baselineSD, r.mde, r.unitsPerDay) = (100, 20, 2, 1000)
        let plan = try ExperimentPlan.run(r, in: nil)
        // statsmodels: NormalIndPower().solve_power(effect_size=0.1, alpha=0.05, power=0.8, ratio=1) = 1569.772…
        XCTAssertEqual(plan.unitsPerArm.map(\.units), [1570, 1570])
        XCTAssertEqual(plan.totalUnits, 3140)
        XCTAssertEqual(plan.days, 4)
        r.arms = [Arm(name: "control", weight: 34), Arm(name: "a", weight: 33), Arm(name: "b", weight: 33)]
        let three = try ExperimentPlan.run(r, in: nil)
        XCTAssertEqual(three.alphaPerComparison, 0.025)
        XCTAssertGreaterThan(three.totalUnits, plan.totalUnits * 3 / 2)
        r.arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]
        (r.mde, r.units) = (nil, 3140)
        XCTAssertEqual(try ExperimentPlan.run(r, in: nil).mde, 2, accuracy: 0.002, "the units for 2 detect 2")

        let rows = try experiment(units: 3000)
        var stored = ExperimentPlan.Request()
        (stored.metric, stored.experiment, stored.mde, stored.relative) = ("revenue", "e", 0.05, true)
        let fromData = try ExperimentPlan.run(stored, in: store)
        let (c, t) = summaries(rows)
        let pooled = ((c.centeredYY + t.centeredYY) / (c.count + t.count - 2)).squareRoot()
        XCTAssertEqual(fromData.standardDeviation, pooled, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(fromData.baselineMean), c.sumY / c.count, accuracy: 1e-9)
        stored.cuped = "pre"
        let withCUPED = try ExperimentPlan.run(stored, in: store)
        let rho2 = pow(c.centeredXY + t.centeredXY, 2) / ((c.centeredXX + t.centeredXX) * (c.centeredYY + t.centeredYY))
        XCTAssertEqual(try XCTUnwrap(withCUPED.varianceReduction), rho2, accuracy: 1e-9)
        XCTAssertLessThan(withCUPED.totalUnits, fromData.totalUnits)
        stored.sequential = 5000
        XCTAssertGreaterThan(try ExperimentPlan.run(stored, in: store).totalUnits, withCUPED.totalUnits)

        func refused(_ change: (inout ExperimentPlan.Request) -> Void, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            var bad = ExperimentPlan.Request()
            (bad.baselineMean, bad.baselineSD, bad.mde) = (100, 20, 2)
            change(&bad)
            XCTAssertThrowsError(try ExperimentPlan.run(bad, in: nil), file: file, line: line) { XCTAssertEqual("\($0)", message, file: file, line: line) }
        }
        refused({ $0.mde = 0 }, "the minimum detectable effect must be greater than 0; got 0")
        refused({ $0.power = 1 }, "power must be between 0 and 1, exclusive; got 1")
        refused({ $0.alpha = 0 }, "alpha must be between 0 and 1, exclusive; got 0")
        refused({ $0.baselineSD = -1 }, "the baseline standard deviation must be greater than 0; got -1")
        refused({ $0.units = 100 }, "give the minimum detectable effect or the units available, not both")
    }
}
