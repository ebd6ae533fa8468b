import Foundation
import XCTest
@testable import Platform
import Postgres
import Qini
import Randomization
import _TestSupport

final class QiniReportTests: ExperimentTestCase {
    func testModelIsJudgedOnHeldOutUnitsOnly() throws {
        _ = try Simulation.run(setup: .binary, units: 6_000, name: "promo", seed: 3, in: store)
        var options = ModelRegistry.TrainOptions(name: "promo-t", experiment: "promo", outcome: "y")
        options.xgboost.rounds = 40
        let model = try ModelRegistry.train(options, in: store)
        var q = QiniReport.Options()
        q.bootstrap = 30
        let result = try QiniReport.model("promo-t", options: q, in: store)
        let e = try XCTUnwrap(result.evaluations.first)
        XCTAssertEqual(e.units, model.testUnits, "exactly the held-out units")
        XCTAssertGreaterThan(try XCTUnwrap(e.qiniAUCScore), 0, "the model ranks better than random")
        let ci = try XCTUnwrap(e.qiniInterval)
        XCTAssertLessThan(ci.lower, e.qiniAUCScore!)
        XCTAssertGreaterThan(ci.upper, e.qiniAUCScore!)
        XCTAssertEqual(e.deciles.count, 10)
        XCTAssertEqual(e.upliftAt.map(\.k), [0.1, 0.2, 0.3])

        // A smaller share is a subset of the held-out units; a larger one would reach training units.
        q.split = 0.1
        XCTAssertLessThan(try QiniReport.model("promo-t", options: q, in: store).evaluations[0].units, e.units)
        q.split = 0.5
        XCTAssertThrowsError(try QiniReport.model("promo-t", options: q, in: store)) { error in
            XCTAssertTrue("\(error)".hasPrefix("the held-out share must be in (0, 0.3]"), "\(error)")
            XCTAssertEqual((error as? PlatformError)?.parameters, [.split])
        }
    }

    func testVoucherLevelsGetPerArmScoresAndACostCurve() throws {
        _ = try Simulation.run(setup: .vouchers, units: 8_000, name: "levels", seed: 5, levels: 2, in: store)
        var options = ModelRegistry.TrainOptions(name: "levels-t", experiment: "levels", outcome: "y")
        options.xgboost.rounds = 30
        _ = try ModelRegistry.train(options, in: store)
        let result = try QiniReport.model("levels-t", options: .init(), in: store)
        XCTAssertEqual(result.evaluations.map(\.name), ["voucher5", "voucher10"])
        let curve = try XCTUnwrap(result.costCurve, "the simulation stores the vouchers' face values")
        XCTAssertEqual(curve.cost.first, 0)
        XCTAssertGreaterThan(curve.cost.last!, 0)
    }

    func testScoresFromAFile() throws {
        // Vector A of Tests/QiniTests/Fixtures/uplift-metrics.md through the file path.
        let path = try csv("""
            outcome,treatment,s1,s2
            0,0,0,1
            0,0,0.1,0
            0,0,0.2,0
            0,0,0.3,0
            1,0,0.4,0
            0,1,0,0
            0,1,0.1,0
            1,1,0.2,0
            1,1,0.3,0
            1,1,0.4,0

            """)
        let result = try QiniReport.scoresFile(path, options: .init())
        XCTAssertEqual(result.evaluations.map(\.name), ["s1", "s2"])
        XCTAssertEqual(result.evaluations[0].qiniAUCScore!, 0.1333333333, accuracy: 1e-9)
        XCTAssertEqual(result.evaluations[1].upliftAUCScore!, -0.0925925926, accuracy: 1e-9)

        for (text, message) in [
            ("outcome,treatment,s\n1,0,0.5\n0,2,0.1\n", ":3: field \"treatment\" is 2; it must be 0 or 1"),
            ("outcome,treatment,s\n1,0,NaN\n0,1,0.1\n", ":2: field \"s\" is \"NaN\", not a finite number"),
            ("outcome,treatment\n1,0\n", ":1: no score columns besides outcome and treatment"),
            ("outcome,treatment,s\n1,1,0.5\n0,1,0.1\n", ": no control units"),
        ] {
            let file = try csv(text)
            XCTAssertThrowsError(try QiniReport.scoresFile(file, options: .init())) { error in
                XCTAssertEqual("\(error)", file + message)
            }
        }
        // A continuous outcome gets its curves, and no normalised AUC (there is no perfect curve).
        let continuous = try QiniReport.scoresFile(try csv("outcome,treatment,s\n1.5,0,0.5\n0.5,1,0.1\n2,1,0.7\n"), options: .init())
        XCTAssertNil(continuous.evaluations[0].qiniAUCScore)
        XCTAssertEqual(continuous.evaluations[0].uplift.x, [0, 1, 2, 3])
    }
}
