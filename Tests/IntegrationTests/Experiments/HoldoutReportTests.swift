import Foundation
import XCTest
import _TestSupport
@testable import Platform
import Randomization

final class HoldoutReportTests: ExperimentTestCase {
    func testMeasurementAgainstHoldoutOverallAndPerDay() throws {
        try Metrics.create(.init(name: "orders", kind: .mean), in: store)
        XCTAssertThrowsError(try HoldoutReport.run(metrics: ["orders"], in: store)) {
            XCTAssertEqual(($0 as? PlatformError)?.code, .wrongState)
            XCTAssertEqual(($0 as? PlatformError)?.parameters, [.percent], "the console names the flag that sets it")
            XCTAssertEqual("\($0)", "no holdout is set (holdout set percent P)")
        }
        try HoldoutSettings.set(percent: 10, seed: "h", in: store)
        let holdout = try Holdout(percent: 10, seed: "h")
        var g = SeededGenerator(seed: 6)
        var text = "unit,value,ts\n"
        var measured = 0, held = 0
        for i in 0..<6000 {
            let unit = "u\(i)"
            let group = holdout.group(of: unit)
            if group == .measurement { measured += 1 }
            if group == .heldOut { held += 1 }
            for day in 1...3 {
                // The programme adds 1 order a day to everyone it reaches; the holdout gets none of it.
                let value = 5 + (group == .heldOut ? 0 : 1) + Double.random(in: -2...2, using: &g)
                text += "\(unit),\(value),2026-11-0\(day)T12:00:00Z\n"
            }
        }
        try Metrics.importOutcomes(path: try csv(text), metric: "orders", kind: nil, in: store)
        let report = try HoldoutReport.run(metrics: ["orders"], period: .day, in: store)
        XCTAssertEqual(report.measurementUnits, measured)
        XCTAssertEqual(report.holdoutUnits, held)
        XCTAssertEqual(report.lines.count, 4, "overall, then three days")
        let overall = report.lines[0]
        XCTAssertNil(overall.period)
        XCTAssertEqual(overall.absolute.estimate, 3, accuracy: 0.3)
        // Coverage is checked over 400 replications in StatsTests; here one seeded draw lands within 4 standard errors.
        XCTAssertLessThan(abs(overall.absolute.estimate - 3), 4 * overall.absolute.standardError, "\(overall.absolute)")
        for line in report.lines.dropFirst() {
            XCTAssertNotNil(line.period)
            XCTAssertEqual(line.absolute.estimate, 1, accuracy: 0.2)
        }
        XCTAssertEqual(report.lines[1].period, Date(timeIntervalSince1970: 1_793_491_200), "2026-11-01 00:00 UTC")
    }
}
