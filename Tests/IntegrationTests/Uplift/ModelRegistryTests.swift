import Foundation
import XCTest
@testable import Platform
import Postgres
import Randomization
import Uplift
import _TestSupport

final class ModelRegistryTests: ExperimentTestCase {
    /// A unit's stored features: packed big-endian float4.
    func features(_ vals: Bytea) -> [Float] {
        stride(from: 0, to: vals.bytes.count, by: 4).map { i in
            Float(bitPattern: vals.bytes[i..<(i + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
    }

    func testSimulateTrainShowScoreRoundTrip() throws {
        let sim = try Simulation.run(setup: .b, units: 8_000, name: "trial", seed: 4, in: store)
        XCTAssertTrue(sim.randomized)
        XCTAssertEqual(try count("SELECT count(*) FROM assignments"), 8_000)
        XCTAssertEqual(try count("SELECT count(*) FROM unit_features WHERE feature_set = 'trial'"), 8_000)
        XCTAssertEqual(try count("SELECT count(*) FROM true_effects"), 8_000)
        // The stored true effects are the generator's: B's τ = x1 + log(1 + e^x2) for every unit.
        let stored = try store.connection.query("""
            SELECT t.tau, f.vals FROM true_effects t JOIN unit_features f ON f.unit = t.unit AND f.feature_set = 'trial'
            """).decode((Double, Bytea).self)
        XCTAssertEqual(stored.count, 8_000)
        let worst = stored.map { tau, vals in
            let x = features(vals)
            return abs(tau - (Double(x[0]) + log(1 + exp(Double(x[1])))))
        }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-5, "features are stored as Float, τ from the Double draw")

        var options = ModelRegistry.TrainOptions(name: "trial-x", experiment: "trial", outcome: "y")
        options.learner = .x
        let model = try ModelRegistry.train(options, in: store)
        XCTAssertEqual(model.trainingUnits + model.testUnits, 8_000)
        XCTAssertEqual(Double(model.testUnits) / 8_000, 0.3, accuracy: 0.03)
        let metrics = try XCTUnwrap(model.metrics.first)
        let pehe = try XCTUnwrap(metrics.pehe), constant = try XCTUnwrap(metrics.peheOfConstant)
        XCTAssertLessThan(pehe, 0.5 * constant, "held-out PEHE \(pehe) against the constant's \(constant)")
        XCTAssertNotNil(metrics.observedEffect, "randomized: the observed difference is reported")

        // The held-out units are exactly those the split hash puts below the test fraction.
        let units = try store.connection.query("SELECT unit FROM assignments ORDER BY unit").decode(String.self)
        let heldOut = units.filter { (GrowthBookHash.hash(seed: "model:trial-x", value: $0, version: 2) ?? 1) < 0.3 }
        XCTAssertEqual(heldOut.count, model.testUnits)

        // Scores written through COPY equal the restored model's predictions.
        let scored = try ModelRegistry.score("trial-x", in: store)
        XCTAssertEqual(scored.units, 8_000)
        let (_, restored) = try ModelRegistry.restore("trial-x", on: store.connection)
        let rows = try store.connection.query("""
            SELECT f.vals, s.uplift FROM scores s
            JOIN unit_features f ON f.unit = s.unit AND f.feature_set = 'trial' JOIN models m ON m.id = s.model_id
            WHERE m.name = 'trial-x' ORDER BY s.unit LIMIT 500
            """).decode((Bytea, Double).self)
        let matrix = FeatureMatrix(values: rows.flatMap { features($0.0) }, rows: rows.count, columns: 5)
        let again = try restored.predict(matrix)[0]
        for (i, row) in rows.enumerated() { XCTAssertEqual(Float(row.1), again[i], "unit \(i): stored and restored models agree") }

        // Rescoring replaces the rows rather than adding to them.
        _ = try ModelRegistry.score("trial-x", in: store)
        XCTAssertEqual(try count("SELECT count(*) FROM scores s JOIN models m ON m.id = s.model_id WHERE m.name = 'trial-x'"), 8_000)
        XCTAssertEqual(try count("SELECT count(DISTINCT (unit, arm)) FROM scores"), 8_000, "one row per unit and arm")
    }

    func testBadInputIsRefusedAndWritesNothing() throws {
        _ = try Simulation.run(setup: .binary, units: 2_000, name: "promo", seed: 2, in: store)
        var options = ModelRegistry.TrainOptions(name: "promo-t", experiment: "promo", outcome: "y")
        _ = try ModelRegistry.train(options, in: store)
        XCTAssertThrowsError(try ModelRegistry.train(options, in: store)) { XCTAssertEqual("\($0)", "model \"promo-t\" already exists") }
        XCTAssertThrowsError(try Simulation.run(setup: .b, units: 100, name: "promo", seed: 1, in: store)) {
            XCTAssertEqual("\($0)", "experiment \"promo\" already exists")
        }

        // Feature files: the error names file, line and feature; nothing is written.
        for (text, message) in [
            ("unit,a,b\nu1,1,2\nu2,NaN,3\n", ":3: feature \"a\" is NaN; features must be finite"),
            ("unit,a,b\nu1,1,x\n", ":2: feature \"b\" is \"x\", not a number"),
            ("unit,a,b\nu1,1,\n", ":2: feature \"b\" is missing"),
            ("unit,a,b\nu1,1,inf\n", ":2: feature \"b\" is inf; features must be finite"),
            ("unit,a,b\nu1,1,2\nu1,3,4\n", ":3: unit \"u1\" is listed twice"),
        ] {
            let path = try csv(text)
            XCTAssertThrowsError(try FeatureStore.importCSV(path: path, set: "extra", in: store)) { error in
                XCTAssertEqual("\(error)", path + message)
            }
        }
        XCTAssertNil(try FeatureStore.find("extra", on: store.connection), "nothing half-written")

        // Scoring a feature set whose columns differ from the model's.
        try FeatureStore.importCSV(path: try csv("unit,x1,x2\nu1,1,2\n"), set: "narrow", in: store)
        XCTAssertThrowsError(try ModelRegistry.score("promo-t", featureSet: "narrow", in: store)) { error in
            XCTAssertTrue("\(error)".hasSuffix("(missing: x3,x4,x5)"), "\(error)")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM scores"), 0)

        // A unit of the experiment without features.
        try store.connection.execute("INSERT INTO assignments (unit, experiment_id, phase, arm) SELECT 'stray', id, 1, 'control' FROM experiments")
        options.name = "promo-2"
        XCTAssertThrowsError(try ModelRegistry.train(options, in: store)) { error in
            XCTAssertEqual("\(error)", "1 units of promo have no features in set \"promo\" (first: stray)")
        }
        try store.connection.execute("DELETE FROM assignments WHERE unit = 'stray'")

        // A single-class outcome and an arm without units.
        try store.connection.execute("UPDATE outcomes SET value = 0 WHERE metric = 'y'")
        XCTAssertThrowsError(try ModelRegistry.train(options, in: store)) { error in
            XCTAssertEqual("\(error)", "the outcome has a single class (all 0) in arm control")
        }
        var three = ExperimentCatalog.Definition(name: "empty-arm", arms: [Arm(name: "control", weight: 50), Arm(name: "a", weight: 25),
                                                                           Arm(name: "b", weight: 25)])
        three.seed = "s"
        _ = try ExperimentCatalog.create(three, in: store)
        _ = try ExperimentCatalog.start("empty-arm", in: store)
        try store.connection.execute("""
            INSERT INTO assignments (unit, experiment_id, phase, arm)
            SELECT a.unit, e.id, 1, CASE WHEN a.arm = 'control' THEN 'control' ELSE 'a' END FROM assignments a, experiments e
            WHERE e.name = 'empty-arm' AND a.experiment_id <> e.id
            """)
        var other = ModelRegistry.TrainOptions(name: "empty", experiment: "empty-arm", outcome: "y")
        other.featureSet = "promo"
        XCTAssertThrowsError(try ModelRegistry.train(other, in: store)) { error in
            XCTAssertEqual("\(error)", "arm b has fewer than two rows")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM models"), 1, "only the first model was stored")
    }

    func testObservationalDataEstimatePropensities() throws {
        _ = try Simulation.run(setup: .c, units: 3_000, name: "obs", seed: 9, in: store)
        var options = ModelRegistry.TrainOptions(name: "obs-dr", experiment: "obs", outcome: "y")
        options.learner = .dr
        options.base = .logistic
        let model = try ModelRegistry.train(options, in: store)
        XCTAssertTrue(model.propensity.hasPrefix("estimated"), model.propensity)
        XCTAssertNil(model.metrics[0].observedEffect, "no naive difference for confounded data")
        XCTAssertNotNil(model.metrics[0].clipped)
        // Setup C's effect is 1 for everyone: a linear DR learner is close on average.
        XCTAssertEqual(model.metrics[0].predictedEffect, 1, accuracy: 0.35)
    }
}
