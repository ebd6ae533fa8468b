import Foundation
import XCTest
import _TestSupport
@testable import Platform
import Stats

/// `import series` and `report synthetic` against the store.
final class SyntheticReportTests: ExperimentTestCase {
    /// 12 regions × 30 years (1990–2019); the treated one is 0.6·r1 + 0.4·r2 (+ noise) and gains
    /// `effect` from 2010 on.
    private func panel(effect: Double, seed: UInt64 = 21) throws -> String {
        var g = SplitMix64(seed: seed)
        var series: [String: [Double]] = [:]
        for r in 1...12 {
            var level = 50 + 10 * g.normal()
            series["r\(r)"] = (0..<30).map { _ in level += 1 + g.normal(); return level }
        }
        series["treated"] = (0..<30).map { t in
            0.6 * series["r1"]![t] + 0.4 * series["r2"]![t] + 0.05 * g.normal() + (t >= 20 ? effect : 0)
        }
        var text = "unit,period,value\n"
        for (unit, values) in series.sorted(by: { $0.key < $1.key }) {
            for (t, v) in values.enumerated() { text += "\(unit),\(1990 + t),\(v)\n" }
        }
        return try csv(text)
    }

    func testPlantedEffectIsFoundWithItsDonorsAndTheSmallestPlaceboPValue() throws {
        try SeriesImport.run(path: try panel(effect: 5), metric: "sales", in: store)
        let r = try SyntheticReport.run(.init(metric: "sales", treated: ["treated"], start: "2010"), in: store)
        let weights = Dictionary(uniqueKeysWithValues: zip(r.estimate.fit.donors, r.estimate.fit.weights))
        XCTAssertEqual(try XCTUnwrap(weights["r1"]), 0.6, accuracy: 0.02)
        XCTAssertEqual(try XCTUnwrap(weights["r2"]), 0.4, accuracy: 0.02)
        XCTAssertEqual(r.estimate.att, 5, accuracy: 0.1)
        XCTAssertEqual(try XCTUnwrap(r.pValue), 1.0 / 13, accuracy: 1e-12, "the treated ratio is the largest of 13")
        XCTAssertEqual(r.labels.first, "1990")
        // Conformal intervals for the 10 post-periods (20 pre-periods: bounded at 5%); the planted 5 inside most.
        XCTAssertEqual(r.conformal.count, 10)
        XCTAssertTrue(r.conformal.allSatisfy { $0.lower.isFinite && $0.upper.isFinite && $0.lower > 0 })
        XCTAssertGreaterThanOrEqual(r.conformal.filter { $0.lower <= 5 && 5 <= $0.upper }.count, 8)
        XCTAssertEqual(r.start, "2010")
        // Leave-one-out over the donors with weight, and an in-time placebo in the pre-period, where no
        // gap opens.
        XCTAssertEqual(Set(r.leaveOneOut.map(\.left)), Set(zip(r.estimate.fit.donors, r.estimate.fit.weights).filter { $0.1 > 1e-6 }.map(\.0)))
        XCTAssertTrue(r.leaveOneOut.allSatisfy { $0.att != nil })
        var placebo = SyntheticReport.Options(metric: "sales", treated: ["treated"], start: "2010")
        placebo.placeboStart = "2003"
        placebo.placebos = false
        let inTime = try XCTUnwrap(try SyntheticReport.run(placebo, in: store).inTime)
        XCTAssertEqual(inTime.start, "2003")
        XCTAssertEqual(inTime.estimate.att, 0, accuracy: 0.2, "no effect before the real start")
        XCTAssertEqual(inTime.estimate.periods.count, 20, "only the periods before the real start")
        placebo.placeboStart = "2012"
        XCTAssertThrowsError(try SyntheticReport.run(placebo, in: store)) {
            XCTAssertEqual("\($0)", "the placebo start 2012 must be a period of the panel after the first and before the start 2010")
        }
        // No effect: the treated unit's ratio is unremarkable.
        try SeriesImport.run(path: try panel(effect: 0), metric: "null", in: store)
        let null = try SyntheticReport.run(.init(metric: "null", treated: ["treated"], start: "2010"), in: store)
        XCTAssertEqual(null.estimate.att, 0, accuracy: 0.1)
    }

    func testSeriesImportChecksThePanel() throws {
        func refused(_ text: String, sparse: Bool = false, fill: SeriesImport.Fill? = nil, _ message: (String) -> String,
                     file: StaticString = #filePath, line: UInt = #line) throws {
            let path = try csv(text)
            XCTAssertThrowsError(try SeriesImport.run(path: path, metric: "m", sparse: sparse, fill: fill, in: store), file: file, line: line) {
                XCTAssertEqual("\($0)", message(path), file: file, line: line)
            }
        }
        try refused("unit,period,value\na,2001,1\na,2001,2\n") { "\($0):3: unit \"a\" has period 2001 twice (also line 2)" }
        try refused("unit,period,value\na,2001,1\na,2002,1\nb,2001,1\n") {
            "\($0): unit \"b\" has no value for period 2002; a panel must be complete (fill previous|linear fills gaps)"
        }
        try refused("unit,period,value\na,2001,1\na,2003,1\na,2004,1\n") { "\($0): irregular calendar: periods 2001 and 2003 are not one year apart" }
        try refused("unit,period,value\na,2001,nan\n") { "\($0):2: field \"value\" is \"nan\", not a finite number" }
        try refused("unit,period,value\na,yesterday,1\n") { "\($0):2: field \"period\" is \"yesterday\", not a period such as 1969, 2026-11-01 or 2026-11-01T10:00:00Z" }
        XCTAssertEqual(try count("SELECT count(*) FROM series"), 0, "nothing of a refused file")
        let filled = try SeriesImport.run(path: try csv("unit,period,value\na,2001,1\na,2002,2\na,2003,3\nb,2001,10\nb,2003,30\n"),
                                          metric: "m", fill: .linear, in: store)
        XCTAssertEqual(filled.filled, 1)
        XCTAssertEqual(try store.connection.query("SELECT value FROM series WHERE unit = 'b' AND period = '2002-01-01'").decodeOne(Double.self), 20)
        let monthly = try SeriesImport.run(path: try csv("unit,period,value\na,2026-01-01,1\na,2026-02-01,2\na,2026-03-01,3\n"), metric: "monthly", in: store)
        XCTAssertEqual(monthly.step, "month")
        let sparse = try SeriesImport.run(path: try csv("unit,period,value\na,1960,1\nb,1965,2\n"), metric: "school", sparse: true, in: store)
        XCTAssertEqual(sparse.rows, 2)
    }

    func testReportRefusesBadInput() throws {
        try SeriesImport.run(path: try panel(effect: 0), metric: "sales", in: store)
        func refused(_ change: (inout SyntheticReport.Options) -> Void, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            var o = SyntheticReport.Options(metric: "sales", treated: ["treated"], start: "2010")
            o.placebos = false
            change(&o)
            XCTAssertThrowsError(try SyntheticReport.run(o, in: store), file: file, line: line) { XCTAssertEqual("\($0)", message, file: file, line: line) }
        }
        refused({ $0.treated = ["atlantis"] }, "treated unit \"atlantis\" is not in series \"sales\"")
        refused({ $0.start = "2031" }, "start 2031 is outside the data (1990 to 2019)")
        refused({ $0.start = "1990" }, "start 1990 is the first period: there is no pre-period to fit")
        refused({ $0.donors = ["r1"] }, "a synthetic control needs at least 2 donors; 1 left")
        refused({ $0.metric = "nope" }, "series \"nope\" does not exist; import series FILE.csv --metric nope first")
        refused({ o in
            o.start = "1992"
            o.v = .nested
            o.predictors = ["sales:mean:1990-1990", "sales:mean:1991-1991", "sales:mean:1990-1991"]
        }, "the pre-period has 2 periods, fewer than the 3 predictors whose weights the nested search chooses")
        refused({ $0.predictors = ["sales:median:1990-1999"] }, "predictor \"sales:median:1990-1999\" must be NAME:mean:FROM-TO, such as gdpcap:mean:1960-1969")
    }

    /// `series from-metric`: timed outcome rows summed per region and week (Monday, UTC) into a complete
    /// panel, 0 where a region had no row, rows without a time or region left out and counted.
    func testSeriesFromAMetricsTimedRows() throws {
        let rows = """
            unit,value,ts,region
            o1,10,2026-11-02T10:00:00Z,north
            o2,5,2026-11-08T23:59:00Z,north
            o3,7,2026-11-09T00:00:00Z,north
            o4,3,2026-11-16T12:00:00Z,south
            o5,4,2026-11-02T01:00:00Z,south
            o6,100,,north
            o7,1,2026-11-03T00:00:00Z,

            """
        try Metrics.importOutcomes(path: try csv(rows), metric: "orders", kind: nil, in: store)
        let (r, leftOut) = try SeriesImport.fromMetric("orders", into: "weekly", by: .region, period: .week, in: store)
        XCTAssertEqual(r.units, 2)
        XCTAssertEqual(r.periods, 3, "weeks of 2026-11-02, -09 and -16")
        XCTAssertEqual(r.filled, 2, "north in the week of the 16th, south in the week of the 9th")
        XCTAssertEqual(leftOut, 2)
        let cells = try store.connection.query("SELECT unit, period::date::text, value FROM series WHERE metric = 'weekly' ORDER BY 1, 2")
            .decode((String, String, Double).self)
        XCTAssertEqual(cells.map { "\($0.0) \($0.1) \($0.2)" }, [
            "north 2026-11-02 15.0", "north 2026-11-09 7.0", "north 2026-11-16 0.0",
            "south 2026-11-02 4.0", "south 2026-11-09 0.0", "south 2026-11-16 3.0",
        ])
        XCTAssertThrowsError(try SeriesImport.fromMetric("nope", into: "x", by: .unit, period: .day, in: store)) {
            XCTAssertEqual("\($0)", "metric \"nope\" does not exist")
        }
    }
}

/// `report synthetic --method sdid|did` against the store: California's Proposition 99 as synthdid
/// computes it (the fixture of SyntheticTests, read from the source tree).
final class SyntheticDiDReportTests: ExperimentTestCase {
    func testCaliforniaThroughTheStore() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SyntheticTests/Fixtures/california_prop99.csv")
        let lines = try String(contentsOf: fixture, encoding: .utf8).split(whereSeparator: \.isNewline)
        let states = lines[0].split(separator: ",").dropFirst().map(String.init)
        var text = "unit,period,value\n"
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",").map(String.init)
            for (k, state) in states.enumerated() { text += "\(state),\(cells[0]),\(cells[k + 1])\n" }
        }
        try SeriesImport.run(path: try csv(text), metric: "packs", in: store)
        let o = SyntheticReport.Options(metric: "packs", treated: ["California"], start: "1989")
        let sdid = try SyntheticReport.synthdid(o, estimator: .sdid, replications: 50, in: store)
        XCTAssertEqual(sdid.estimate.tau, -15.603828, accuracy: 1e-4, "synthdid's estimate")
        XCTAssertEqual(sdid.donors.count, 38)
        XCTAssertEqual(sdid.start, "1989")
        let se = try XCTUnwrap(sdid.standardError)
        XCTAssertGreaterThan(se, 4)
        XCTAssertLessThan(se, 15)
        let did = try SyntheticReport.synthdid(o, estimator: .did, replications: 0, in: store)
        XCTAssertEqual(did.estimate.tau, -27.3, accuracy: 0.05)
        XCTAssertNil(did.standardError)
        var bad = o
        bad.start = "1971"
        XCTAssertThrowsError(try SyntheticReport.synthdid(bad, estimator: .sdid, in: store)) {
            XCTAssertEqual("\($0)", "start 1971 leaves one pre-period; synthetic DiD needs two or more")
        }
    }
}

/// `report impact` against the store.
final class ImpactReportTests: ExperimentTestCase {
    func testPlantedEffectThroughTheStore() throws {
        var g = SplitMix64(seed: 12)
        var text = "unit,period,value\n"
        var level = 0.0
        for day in 0..<90 {
            level = 0.9 * level + g.normal()
            let control = 200 + 5 * level
            let other = 80 + 3 * g.normal()
            let treated = 0.5 * control + 20 + g.normal() + (day >= 70 ? 8 : 0)
            let period = Calendar(identifier: .gregorian).date(byAdding: .day, value: day, to: Timestamps.parse("2026-01-01")!)!
            let label = Timestamps.format(period).prefix(10)
            text += "treated,\(label),\(treated)\nc1,\(label),\(control)\nc2,\(label),\(other)\n"
        }
        try SeriesImport.run(path: try csv(text), metric: "orders", in: store)
        let r = try SyntheticReport.impact(.init(metric: "orders", treated: ["treated"], start: "2026-03-12"), draws: 2000, in: store)
        XCTAssertEqual(r.controls, ["c1", "c2"])
        XCTAssertEqual(r.start, "2026-03-12")
        XCTAssertEqual(r.model.cumulative.count, 20)
        XCTAssertLessThan(r.model.averageEffect.lower, 8)
        XCTAssertGreaterThan(r.model.averageEffect.upper, 8)
        XCTAssertGreaterThan(r.model.probabilityOfEffect, 0.99)
        XCTAssertThrowsError(try SyntheticReport.impact(.init(metric: "orders", treated: ["treated", "c2"], start: "2026-03-12"), in: store)) {
            XCTAssertEqual("\($0)", "report impact reads one treated unit; name one")
        }
        XCTAssertThrowsError(try SyntheticReport.impact(.init(metric: "orders", treated: ["nowhere"], start: "2026-03-12"), in: store)) {
            XCTAssertEqual("\($0)", "treated unit \"nowhere\" is not in series \"orders\"")
        }
        XCTAssertThrowsError(try SyntheticReport.impact(.init(metric: "orders", treated: ["treated"], start: "2027-01-01"), in: store)) {
            XCTAssertTrue("\($0)".hasPrefix("start 2027-01-01 is outside the data"), "\($0)")
        }
    }
}

/// `geo plan` against the store.
final class GeoPlanningTests: ExperimentTestCase {
    func testPlansOnTheHistoryBeforeALaunch() throws {
        var g = SplitMix64(seed: 31)
        var text = "unit,period,value\n"
        var factor = 0.0
        let levels = (0..<15).map { _ in 500 * exp(0.3 * g.normal()) }
        for week in 0..<70 {
            factor = 0.8 * factor + 0.01 * g.normal()
            let date = Timestamps.format(Calendar(identifier: .gregorian).date(byAdding: .day, value: 7 * week, to: Timestamps.parse("2025-01-06")!)!).prefix(10)
            for (m, level) in levels.enumerated() {
                let launch = m == 0 && week >= 60 ? 1.2 : 1
                text += "m\(m),\(date),\(level * (1 + factor) * exp(0.01 * g.normal()) * launch)\n"
            }
        }
        try SeriesImport.run(path: try csv(text), metric: "sales", in: store)
        var o = GeoPlanning.Options(metric: "sales", duration: 6, effects: [0.02, 0.1])
        o.treatedCount = 2
        o.candidates = 5
        o.until = "2026-02-23"
        let r = try GeoPlanning.run(o, in: store)
        XCTAssertEqual(r.periods, 59)
        XCTAssertEqual(r.sets.count, 5)
        XCTAssertNotNil(r.recommended)
        XCTAssertTrue(r.sets.allSatisfy { $0.power[1] >= $0.power[0] })
        o.treatedCount = nil
        o.treated = ["m0", "nowhere"]
        XCTAssertThrowsError(try GeoPlanning.run(o, in: store)) { XCTAssertEqual("\($0)", "market \"nowhere\" is not in series \"sales\"") }
        o.treated = ["m0"]
        o.treatedCount = 1
        XCTAssertThrowsError(try GeoPlanning.run(o, in: store)) { XCTAssertEqual("\($0)", "give the treated markets or their count, not both") }
    }
}

/// `report synthetic --method augmented` against the store.
final class AugmentedReportTests: ExperimentTestCase {
    func testAugmentedThroughTheStore() throws {
        var g = SplitMix64(seed: 77)
        var text = "unit,period,value\n"
        let factor = (0..<40).map { Double($0) * 0.3 + g.normal() * 0.5 }
        for d in 0..<15 {
            let loading = 0.5 + g.uniform()
            for s in 0..<40 { text += "d\(d),\(1990 + s),\(10 + loading * factor[s] + 0.3 * g.normal())\n" }
        }
        for s in 0..<40 { text += "treated,\(1990 + s),\(10 + 2 * factor[s] + 0.3 * g.normal() + (s >= 30 ? 1 : 0))\n" }
        try SeriesImport.run(path: try csv(text), metric: "y", in: store)
        let r = try SyntheticReport.augmented(.init(metric: "y", treated: ["treated"], start: "2020"), in: store)
        XCTAssertEqual(r.estimate.att, 1, accuracy: 0.6, "outside the donors' hull the augmentation extrapolates")
        XCTAssertEqual(r.estimate.weights.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(r.placebos, 15)
        XCTAssertNotNil(r.pValue)
        var withPredictors = SyntheticReport.Options(metric: "y", treated: ["treated"], start: "2020")
        withPredictors.predictors = ["y:mean:1990-1999"]
        XCTAssertThrowsError(try SyntheticReport.augmented(withPredictors, in: store)) {
            XCTAssertEqual("\($0)", "the augmented synthetic control fits the outcome itself: leave out the predictors")
        }
    }
}
