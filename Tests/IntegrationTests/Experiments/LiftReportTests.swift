import Foundation
import XCTest
import _TestSupport
@testable import Platform
import Randomization
import Stats

final class LiftReportTests: ExperimentTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]

    /// Creates a running experiment over n units and returns each unit's arm.
    private func experiment(_ name: String, units n: Int) throws -> [(String, String)] {
        try ExperimentCatalog.create(.init(name: name, arms: arms), in: store)
        try ExperimentCatalog.start(name, in: store)
        try Assigner.assignBulk(name, unitsFile: try unitsFile(0..<n), in: store)
        return try store.connection.query("SELECT unit, arm FROM assignments ORDER BY unit").decode((String, String).self)
    }

    func testSQLStatisticsEqualInMemoryWelchAndCUPED() throws {
        let assigned = try experiment("e", units: 4000)
        var g = SeededGenerator(seed: 20261122)
        var y: [String: [Double]] = ["control": [], "treatment": []], x: [String: [Double]] = ["control": [], "treatment": []]
        var revenue = "unit,value\n", pre = "unit,value\n"
        for (unit, arm) in assigned {
            let xi = Double.random(in: 0...10, using: &g)
            let yi = 5 + (arm == "treatment" ? 0.4 : 0) + 0.5 * xi + Double.random(in: -2...2, using: &g)
            y[arm]!.append(yi); x[arm]!.append(xi)
            revenue += "\(unit),\(yi)\n"; pre += "\(unit),\(xi)\n"
        }
        revenue += "stranger,1\n"
        try Metrics.importOutcomes(path: try csv(revenue), metric: "revenue", kind: nil, in: store)
        try Metrics.importOutcomes(path: try csv(pre), metric: "pre", kind: nil, in: store)

        let plain = try LiftReport.run("e", options: .init(metrics: ["revenue"]), in: store)
        let expected = Welch.absolute(control: SampleSummary(y["control"]!), treatment: SampleSummary(y["treatment"]!))
        let row = try XCTUnwrap(plain.rows.first { $0.arm == "treatment" })
        XCTAssertEqual(try XCTUnwrap(row.absolute).estimate, expected.estimate, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(row.absolute).lower, expected.lower, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(row.absolute).pValue, expected.pValue, accuracy: 1e-9)
        XCTAssertEqual(plain.unassignedUnits.first?.units, 1, "the stranger is reported, not silently dropped")

        var options = LiftReport.Options(metrics: ["revenue"], cuped: "pre")
        options.correction = .none
        let cuped = try LiftReport.run("e", options: options, in: store)
        let c = CovariateSummary(y: y["control"]!, x: x["control"]!), t = CovariateSummary(y: y["treatment"]!, x: x["treatment"]!)
        let reference = CUPED(arms: [c, t]).absoluteEffect(control: c, treatment: t)
        let adjusted = try XCTUnwrap(cuped.rows.first { $0.arm == "treatment" }?.absolute)
        XCTAssertEqual(adjusted.estimate, reference.estimate, accuracy: 1e-9)
        XCTAssertEqual(adjusted.standardError, reference.standardError, accuracy: 1e-9)
        XCTAssertLessThan(adjusted.standardError, try XCTUnwrap(row.absolute).standardError)
    }

    func testProportionAndRatioMetricsAndGuardrails() throws {
        let assigned = try experiment("e", units: 3000)
        var conv = "unit,value\n", cost = "unit,value\n"
        var g = SeededGenerator(seed: 20261122)
        var sums: [String: (n: Double, d: Double)] = [:]
        for (unit, arm) in assigned {
            let converted = Double.random(in: 0..<1, using: &g) < (arm == "treatment" ? 0.30 : 0.10) ? 1.0 : 0.0
            let spend = Double.random(in: 1...3, using: &g) + (arm == "treatment" ? 1 : 0)
            conv += "\(unit),\(Int(converted))\n"; cost += "\(unit),\(spend)\n"
            sums[arm, default: (0, 0)].n += spend; sums[arm, default: (0, 0)].d += converted
        }
        try Metrics.importOutcomes(path: try csv(conv), metric: "converted", kind: .proportion, in: store)
        try Metrics.importOutcomes(path: try csv(cost), metric: "cost", kind: nil, in: store)
        try Metrics.create(.init(name: "cost_per_conversion", kind: .ratio, numerator: "cost", denominator: "converted",
                                 guardrail: true, higherIsBetter: false), in: store)
        try Metrics.create(.init(name: "cost_guard", kind: .mean, guardrail: true, higherIsBetter: false), in: store)
        let report = try LiftReport.run("e", options: .init(metrics: ["converted", "cost_per_conversion"]), in: store)
        let ratio = try XCTUnwrap(report.rows.first { $0.metric == "cost_per_conversion" && $0.arm == "treatment" })
        XCTAssertEqual(ratio.mean, sums["treatment"]!.n / sums["treatment"]!.d, accuracy: 1e-9, "Σ cost / Σ conversions")
        let converted = try XCTUnwrap(report.rows.first { $0.metric == "converted" && $0.arm == "treatment" })
        XCTAssertTrue(converted.significant)
        XCTAssertFalse(converted.guardrailFailed)
        // Cost per conversion falls (more conversions): better for a lower-is-better guardrail, so not flagged.
        XCTAssertFalse(ratio.guardrailFailed)
        XCTAssertThrowsError(try Metrics.create(.init(name: "bad", kind: .ratio, numerator: "cost", denominator: "nope"), in: store))
        let twice = try LiftReport.run("e", options: .init(metrics: ["converted", "converted"]), in: store)
        XCTAssertEqual(twice.rows.count, 4, "a metric named twice is reported twice, not a crash")
    }

    func testBadInputIsRefusedAndWritesNothing() throws {
        _ = try experiment("e", units: 100)
        try ExperimentCatalog.create(.init(name: "draft", arms: arms), in: store)
        for (text, message) in [("unit,value\nu1,1\nu2,NaN\n", ":3: field \"value\" is \"NaN\", not a finite number"),
                                ("unit,value\nu1,abc\n", ":2: field \"value\" is \"abc\", not a finite number"),
                                ("unit,value,ts\nu1,1,yesterday\n", ":2: field \"ts\" is \"yesterday\", not a time such as 2026-11-22T10:15:00Z"),
                                ("unit\nu1\n", ":1: the header has no column \"value\" (found: unit)")] {
            let path = try csv(text)
            XCTAssertThrowsError(try Metrics.importOutcomes(path: path, metric: "m", kind: nil, in: store)) {
                XCTAssertEqual("\($0)", path + message)
            }
        }
        let proportion = try csv("unit,value\nu1,1\nu2,2\n")
        XCTAssertThrowsError(try Metrics.importOutcomes(path: proportion, metric: "p", kind: .proportion, in: store)) {
            XCTAssertEqual("\($0)", proportion + ":3: field \"value\" is 2; a proportion metric takes 0 or 1")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM outcomes"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM metrics"), 0)
        try Metrics.create(.init(name: "empty", kind: .mean), in: store)
        XCTAssertThrowsError(try LiftReport.run("e", options: .init(metrics: ["empty"]), in: store)) {
            XCTAssertEqual("\($0)", "metric \"empty\" has no outcomes; import them first")
        }
        XCTAssertThrowsError(try LiftReport.run("draft", options: .init(metrics: ["empty"]), in: store)) {
            XCTAssertEqual("\($0)", "experiment \"draft\" is a draft: nothing to report yet")
        }
        XCTAssertThrowsError(try LiftReport.run("e", options: .init(metrics: ["nope"]), in: store))
    }

    func testClusterDesignsUseClusterRobustErrors() throws {
        let mapping = try csv("unit,cluster\n" + (0..<1200).map { "u\($0),cell-\($0 % 40)" }.joined(separator: "\n") + "\n")
        try ClusterImport.run(path: mapping, mapping: "cells", in: store)
        var d = ExperimentCatalog.Definition(name: "geo", arms: arms)
        d.design = .cluster
        d.parameters.clusters = "cells"
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("geo", in: store)
        try Assigner.assignBulk("geo", unitsFile: try unitsFile(0..<1200), in: store)
        let assigned = Dictionary(uniqueKeysWithValues: try store.connection.query("SELECT unit, arm FROM assignments").decode((String, String).self))
        var g = SeededGenerator(seed: 20261122)
        let cellEffect = (0..<40).map { _ in Double.random(in: -1...1, using: &g) }
        var text = "unit,value\n"
        var clusters: [String: [Int: ClusterSummary]] = [:], capped: [String: [Int: ClusterSummary]] = [:]
        for i in 0..<1200 {
            let unit = "u\(i)", arm = assigned[unit]!, cell = i % 40
            let y = 3 + (arm == "treatment" ? 0.5 : 0) + cellEffect[cell] + Double.random(in: -1...1, using: &g)
            // A unit in ten has no row: it counts 0, capped or not.
            guard i % 10 != 0 else {
                clusters[arm, default: [:]][cell, default: ClusterSummary(count: 0, sumY: 0)].count += 1
                capped[arm, default: [:]][cell, default: ClusterSummary(count: 0, sumY: 0)].count += 1
                continue
            }
            text += "\(unit),\(y)\n"
            clusters[arm, default: [:]][cell, default: ClusterSummary(count: 0, sumY: 0)].count += 1
            clusters[arm, default: [:]][cell, default: ClusterSummary(count: 0, sumY: 0)].sumY += y
            capped[arm, default: [:]][cell, default: ClusterSummary(count: 0, sumY: 0)].count += 1
            capped[arm, default: [:]][cell, default: ClusterSummary(count: 0, sumY: 0)].sumY += min(y, 3.5)
        }
        try Metrics.importOutcomes(path: try csv(text), metric: "orders", kind: nil, in: store)
        let report = try LiftReport.run("geo", options: .init(metrics: ["orders"]), in: store)
        let row = try XCTUnwrap(report.rows.first { $0.arm == "treatment" }?.absolute)
        let expected = try XCTUnwrap(ClusterRobust.difference(control: Array(clusters["control"]!.values),
                                                              treatment: Array(clusters["treatment"]!.values))).absolute
        XCTAssertEqual(row.estimate, expected.estimate, accuracy: 1e-9)
        XCTAssertEqual(row.standardError, expected.standardError, accuracy: 1e-9)
        XCTAssertEqual(row.degreesOfFreedom, 39, "t with G − 1 = 39 degrees of freedom")
        XCTAssertThrowsError(try LiftReport.run("geo", options: .init(metrics: ["orders"], cuped: "orders"), in: store))
        // A capped metric: each unit capped before the cluster sums.
        try Metrics.setCap("orders", to: .value(3.5), in: store)
        let cappedRow = try XCTUnwrap(try LiftReport.run("geo", options: .init(metrics: ["orders"]), in: store).rows.first { $0.arm == "treatment" }?.absolute)
        let cappedExpected = try XCTUnwrap(ClusterRobust.difference(control: Array(capped["control"]!.values),
                                                                    treatment: Array(capped["treatment"]!.values))).absolute
        XCTAssertEqual(cappedRow.estimate, cappedExpected.estimate, accuracy: 1e-9)
        XCTAssertEqual(cappedRow.standardError, cappedExpected.standardError, accuracy: 1e-9)
    }

    func testSwitchbackExcludesBurnInAndEstimatesTheEffect() throws {
        var d = ExperimentCatalog.Definition(name: "surge", arms: arms)
        d.design = .switchback
        d.parameters.regions = ["north", "south", "east"]
        d.parameters.windowSeconds = 3600
        d.parameters.burnInSeconds = 600
        d.parameters.start = 1_795_305_600 // 2026-11-22 00:00 UTC
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("surge", in: store)
        let design = try SwitchbackDesign(arms: arms, seed: "surge", windowSeconds: 3600, burnInSeconds: 600, start: 1_795_305_600)
        var g = SeededGenerator(seed: 20261122)
        var text = "unit,value,ts,region\n"
        var order = 0
        for region in ["north", "south", "east"] {
            let base = Double.random(in: 10...20, using: &g)
            for period in 1...(24 * 7) {
                let treated = design.armIndex(region: region, period: period) == 1
                let switched = period == 1 || design.armIndex(region: region, period: period - 1) != design.armIndex(region: region, period: period)
                let windowStart = 1_795_305_600 + Int64(period - 1) * 3600
                for minute in stride(from: 1, to: 60, by: 6) {
                    // Orders in a burn-in after a switch carry a large transient the analysis must drop.
                    let transient = switched && minute < 10 ? 100.0 : 0
                    let value = base + sin(Double(period % 24) / 24 * 2 * .pi) + (treated ? 1.5 : 0) + transient
                        + Double.random(in: -1...1, using: &g)
                    let t = PostgresTimestampText.format(windowStart + Int64(minute * 60))
                    text += "order-\(order),\(value),\(t),\(region)\n"
                    order += 1
                }
            }
        }
        try Metrics.importOutcomes(path: try csv(text), metric: "basket", kind: nil, in: store)
        let report = try LiftReport.run("surge", options: .init(metrics: ["basket"]), in: store)
        XCTAssertTrue(report.method.hasPrefix("regression of window means"), report.method)
        let row = try XCTUnwrap(report.rows.first { $0.arm == "treatment" })
        let effect = try XCTUnwrap(row.absolute)
        XCTAssertEqual(effect.estimate, 1.5, accuracy: 0.25)
        // Coverage is checked over 400 replications in StatsTests; here one seeded draw lands within 4 standard errors.
        XCTAssertLessThan(abs(effect.estimate - 1.5), 4 * effect.standardError, "\(effect)")
        XCTAssertEqual(row.units + (report.rows.first { $0.arm == "control" }?.units ?? 0), 3 * 24 * 7, "one value per region and window")
    }

    func testOptimalSwitchbackUsesTheHorvitzThompsonEstimator() throws {
        // 2-hour windows, carryover 2, T = 84 (7 days) in 6 regions: the effect of the arm held for three
        // windows is 1.0 + 0.6 + 0.3 = 1.9; the window right after a switch sees only part of it.
        var d = ExperimentCatalog.Definition(name: "fleet", arms: arms)
        d.design = .switchback
        let regionNames = (1...6).map { "r\($0)" }
        d.parameters.regions = regionNames
        d.parameters.windowSeconds = 7200
        d.parameters.carryover = 2
        d.parameters.periods = 84
        d.parameters.start = 1_795_305_600
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("fleet", in: store)
        let design = try SwitchbackDesign(arms: arms, seed: "fleet", windowSeconds: 7200, carryover: 2, periods: 84, start: 1_795_305_600)
        var g = SeededGenerator(seed: 77)
        var text = "unit,value,ts,region\n"
        var order = 0
        for region in regionNames {
            let base = Double.random(in: 10...20, using: &g)
            let w = (1...84).map { Double(design.armIndex(region: region, period: $0)) }
            for period in 1...84 {
                let carry = 1.0 * w[period - 1] + (period > 1 ? 0.6 * w[period - 2] : 0) + (period > 2 ? 0.3 * w[period - 3] : 0)
                let windowStart = 1_795_305_600 + Int64(period - 1) * 7200
                for minute in stride(from: 5, to: 120, by: 20) {
                    let value = base + 2 * sin(Double(period % 12) / 12 * 2 * .pi) + carry + Double.random(in: -1...1, using: &g)
                    text += "o\(order),\(value),\(PostgresTimestampText.format(windowStart + Int64(minute * 60))),\(region)\n"
                    order += 1
                }
            }
        }
        // Waiting time is a lower-is-better guardrail: treatment makes it worse.
        try Metrics.create(.init(name: "wait", kind: .mean, guardrail: true, higherIsBetter: false), in: store)
        try Metrics.importOutcomes(path: try csv(text), metric: "wait", kind: nil, in: store)
        let report = try LiftReport.run("fleet", options: .init(metrics: ["wait"]), in: store)
        XCTAssertTrue(report.method.hasPrefix("Horvitz–Thompson estimator of Bojinov"), report.method)
        let effect = try XCTUnwrap(report.rows.first { $0.arm == "treatment" }?.absolute)
        XCTAssertLessThan(abs(effect.estimate - 1.9), 4 * effect.standardError, "\(effect)")
        XCTAssertLessThan(effect.standardError, 1.0, "informative: \(effect)")
        XCTAssertNil(effect.degreesOfFreedom, "a normal interval")
        XCTAssertTrue(try XCTUnwrap(report.rows.first { $0.arm == "treatment" }).guardrailFailed, "significantly worse guardrail")
        let timeline = try XCTUnwrap(report.timelines.first)
        XCTAssertEqual(timeline.windows.map(\.count), Array(repeating: 84, count: 6), "every period of every region")
        XCTAssertEqual(timeline.windows[0].map(\.arm), (1...84).map { design.armIndex(region: "r1", period: $0) })
    }
}

/// ISO text for Unix seconds, for building outcome files.
enum PostgresTimestampText {
    static func format(_ seconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(seconds))
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
