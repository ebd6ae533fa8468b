import Foundation
import XCTest
@testable import Uplift
import Stats

/// Meta-learners on data with known effects (Nie & Wager's setups as CausalML generates them).
///
/// The PEHE bounds come from three seeds per setup (seeds 1–3, n = 20,000 train, 10,000 test,
/// XGBoost 100 rounds, depth 4, eta 0.1), recorded in docs/uplift.md: each bound is about 1.3× the
/// worst of the three. The test runs seed 1.
final class MetaLearnerTests: XCTestCase {
    static let params = XGBoostParameters(rounds: 100, maxDepth: 4, learningRate: 0.1, threads: 2, seed: 0)

    static let bounds: [SyntheticData.Setup: [MetaLearnerKind: Double]] = [
        .a: [.s: 0.20, .t: 0.32, .x: 0.23, .dr: 1.0],
        .b: [.s: 0.38, .t: 0.40, .x: 0.23, .dr: 0.30],
        .c: [.s: 0.25, .t: 0.50, .x: 0.20, .dr: 1.4],
        .d: [.s: 0.46, .t: 0.36, .x: 0.37, .dr: 0.48],
    ]

    func pehe(_ estimate: [Float], _ truth: [Double]) -> Double {
        (zip(estimate, truth).reduce(0) { $0 + pow(Double($1.0) - $1.1, 2) } / Double(truth.count)).squareRoot()
    }

    func testPEHEOnSetupsAToD() throws {
        for setup in [SyntheticData.Setup.a, .b, .c, .d] {
            let train = SyntheticData.generate(setup, n: 20_000, seed: 1)
            let test = SyntheticData.generate(setup, n: 10_000, seed: 1001)
            let data = TrainingSet(features: train.features, outcome: train.outcome.map(Float.init), arm: train.arm)
            let meanTau = test.tau[0].reduce(0, +) / Double(test.tau[0].count)
            let constant = pehe(Array(repeating: Float(meanTau), count: 10_000), test.tau[0])
            for kind in MetaLearnerKind.allCases {
                let model = try UpliftModel.fit(data, kind: kind, base: .xgboost(Self.params), outcome: .squaredError, arms: 2,
                                                propensity: setup.randomized ? .design(shares: [0.5, 0.5]) : .estimated(clip: 0.01))
                let value = pehe(try model.predict(test.features)[0], test.tau[0])
                XCTAssertLessThan(value, Self.bounds[setup]![kind]!, "setup \(setup.rawValue), \(kind.rawValue)-learner")
                if setup == .b || setup == .d {
                    // The effect varies strongly here: every learner must beat the best constant by far.
                    XCTAssertLessThan(value, 0.4 * constant, "setup \(setup.rawValue), \(kind.rawValue): \(value) vs constant \(constant)")
                }
            }
        }
    }

    func testSleepingDogsGetNegativeUplift() throws {
        let train = SyntheticData.generate(.binary, n: 20_000, seed: 7)
        let test = SyntheticData.generate(.binary, n: 10_000, seed: 8)
        XCTAssertTrue(Set(train.outcome) == [0, 1])
        let data = TrainingSet(features: train.features, outcome: train.outcome.map(Float.init), arm: train.arm)
        for kind in [MetaLearnerKind.t, .x] {
            let model = try UpliftModel.fit(data, kind: kind, base: .xgboost(Self.params), outcome: .binaryLogistic, arms: 2,
                                            propensity: .design(shares: [0.5, 0.5]))
            let uplift = try model.predict(test.features)[0]
            let dogs = (0..<10_000).filter { test.features[$0, 0] > 0.8 }
            let others = (0..<10_000).filter { test.features[$0, 0] <= 0.8 && test.features[$0, 1] <= 1.2 }
            let dogMean = dogs.reduce(0.0) { $0 + Double(uplift[$1]) } / Double(dogs.count)
            let otherMean = others.reduce(0.0) { $0 + Double(uplift[$1]) } / Double(others.count)
            let trueDog = dogs.reduce(0.0) { $0 + test.tau[0][$1] } / Double(dogs.count)
            XCTAssertLessThan(trueDog, -0.03, "the generator's sleeping dogs are put off")
            XCTAssertLessThan(dogMean, 0, "\(kind.rawValue): sleeping dogs' mean predicted uplift \(dogMean)")
            XCTAssertGreaterThan(otherMean, 0.05, "\(kind.rawValue): persuadables' mean predicted uplift \(otherMean)")
        }
    }

    func testSeveralArmsEachAgainstControl() throws {
        let train = SyntheticData.generate(.vouchers, n: 30_000, seed: 11, levels: 3)
        let test = SyntheticData.generate(.vouchers, n: 10_000, seed: 12, levels: 3)
        XCTAssertEqual(train.arms, ["control", "voucher5", "voucher10", "voucher15"])
        let data = TrainingSet(features: train.features, outcome: train.outcome.map(Float.init), arm: train.arm)
        let model = try UpliftModel.fit(data, kind: .t, base: .xgboost(Self.params), outcome: .binaryLogistic, arms: 4,
                                        propensity: .design(shares: [0.25, 0.25, 0.25, 0.25]))
        let uplift = try model.predict(test.features)
        XCTAssertEqual(uplift.count, 3)
        let means = uplift.map { $0.reduce(0.0) { $0 + Double($1) } / Double($0.count) }
        let truth = test.tau.map { $0.reduce(0, +) / Double($0.count) }
        for k in 0..<3 { XCTAssertEqual(means[k], truth[k], accuracy: 0.03, "arm \(k + 1): mean uplift") }
        XCTAssertLessThan(truth[0], truth[2], "the generator's effect grows with the voucher")

        // The response if treated: its mean over every unit estimates the conversion rate under the
        // arm, which the randomized test units of that arm observe.
        let (both, response) = try model.predictWithResponse(test.features)
        XCTAssertEqual(both, uplift, "uplift and response in one pass give the same uplift")
        let predicted = try XCTUnwrap(response)
        for k in 0..<3 {
            let rows = test.arm.indices.filter { test.arm[$0] == k + 1 }
            let observed = rows.reduce(0.0) { $0 + test.outcome[$1] } / Double(rows.count)
            let mean = predicted[k].reduce(0.0) { $0 + Double($1) } / Double(predicted[k].count)
            XCTAssertEqual(mean, observed, accuracy: 0.03, "arm \(k + 1): predicted response against the observed rate")
        }
        let s = try UpliftModel.fit(data, kind: .s, base: .xgboost(Self.params), outcome: .binaryLogistic, arms: 4,
                                    propensity: .design(shares: [0.25, 0.25, 0.25, 0.25]))
        let sResponse = try XCTUnwrap(try s.predictResponse(test.features))
        let sUplift = try s.predict(test.features)
        for k in 0..<3 {
            // μ(x, arm) − μ(x, control) is the S-learner's uplift, so the response minus the uplift is one control prediction for all arms.
            let base = zip(sResponse[k], sUplift[k]).map { $0 - $1 }, base0 = zip(sResponse[0], sUplift[0]).map { $0 - $1 }
            XCTAssertEqual(base.count, base0.count)
            for i in stride(from: 0, to: base.count, by: 97) { XCTAssertEqual(base[i], base0[i], accuracy: 1e-5) }
        }
        let dr = try UpliftModel.fit(data.subset(Array(0..<6000)), kind: .dr, base: .linear(ridge: 1e-3), outcome: .binaryLogistic, arms: 4,
                                     propensity: .design(shares: [0.25, 0.25, 0.25, 0.25]))
        XCTAssertNil(try dr.predictResponse(test.features), "DR keeps no outcome model")
    }

    func testStoredModelPredictsIdentically() throws {
        let train = SyntheticData.generate(.d, n: 5_000, seed: 3)
        let data = TrainingSet(features: train.features, outcome: train.outcome.map(Float.init), arm: train.arm)
        for kind in MetaLearnerKind.allCases {
            for base in [BaseLearner.xgboost(Self.params), .linear(ridge: 1e-3)] {
                let model = try UpliftModel.fit(data, kind: kind, base: base, outcome: .squaredError, arms: 2,
                                                propensity: .estimated(clip: 0.01), calibrate: kind == .t)
                let (json, parts) = try model.serialized()
                let restored = try UpliftModel(description: json, components: parts)
                XCTAssertEqual(try restored.predict(train.features), try model.predict(train.features), "\(kind.rawValue), \(base)")
                XCTAssertEqual(restored.description, model.description)
            }
        }
    }

    func testCalibrationMapsOntoTheEffectScale() throws {
        // A linear T-learner on setup B is biased where the effect is nonlinear; isotonic calibration
        // against DR pseudo-outcomes must not make it worse and keeps the mean effect.
        let train = SyntheticData.generate(.b, n: 20_000, seed: 5)
        let test = SyntheticData.generate(.b, n: 10_000, seed: 6)
        let data = TrainingSet(features: train.features, outcome: train.outcome.map(Float.init), arm: train.arm)
        let raw = try UpliftModel.fit(data, kind: .s, base: .linear(ridge: 1e-3), outcome: .squaredError, arms: 2,
                                      propensity: .design(shares: [0.5, 0.5]))
        let calibrated = try UpliftModel.fit(data, kind: .s, base: .linear(ridge: 1e-3), outcome: .squaredError, arms: 2,
                                             propensity: .design(shares: [0.5, 0.5]), calibrate: true)
        XCTAssertNotNil(calibrated.description.calibration)
        let rawValues = try raw.predict(test.features)[0], calibratedValues = try calibrated.predict(test.features)[0]
        // A linear S-learner has one treatment coefficient: a constant effect. Calibration cannot add
        // ranking information, but it keeps the mean near the true ATE.
        let ate = test.tau[0].reduce(0, +) / 10_000
        XCTAssertEqual(calibratedValues.reduce(0.0) { $0 + Double($1) } / 10_000, ate, accuracy: 0.1)
        XCTAssertEqual(Set(rawValues.map { ($0 * 1000).rounded() }).count, 1, "the linear S-learner's uplift is constant")
    }

    /// Calibration's pseudo-outcomes need μ0 and μ_arm fitted on the training units: the T-learner
    /// kept exactly those, so calibrating fits nothing more; the S-learner fits μ0 once for all arms.
    /// (Before, every arm refitted both: 4 fits for a 2-arm T-learner, 7 for 3 arms.)
    func testCalibrationReusesTheKeptOutcomeModels() throws {
        final class Count: @unchecked Sendable {
            private let lock = NSLock()
            private var n = 0
            func add() { lock.withLock { n += 1 } }
            var value: Int { lock.withLock { n } }
        }
        let sample = SyntheticData.generate(.vouchers, n: 3_000, seed: 2, levels: 2)
        let data = TrainingSet(features: sample.features, outcome: sample.outcome.map(Float.init), arm: sample.arm)
        for (kind, calibrate, expected) in [(MetaLearnerKind.t, false, 3), (.t, true, 3), (.s, false, 1), (.s, true, 4)] {
            let count = Count()
            let model = try UpliftModel.fit(data, kind: kind, base: .linear(ridge: 1e-3), outcome: .binaryLogistic, arms: 3,
                                            propensity: .design(shares: [1, 1, 1]), calibrate: calibrate, fitted: { count.add() })
            XCTAssertEqual(count.value, expected, "\(kind), calibrate \(calibrate)")
            XCTAssertEqual(model.description.calibration?.count, calibrate ? 2 : nil)
        }
    }

    func testBadInputIsNamed() {
        var values = [Float](repeating: 1, count: 20)
        values[7] = .nan
        let data = TrainingSet(features: FeatureMatrix(values: values, rows: 10, columns: 2), outcome: Array(repeating: 1, count: 10),
                               arm: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertThrowsError(try UpliftModel.fit(data, kind: .t, base: .linear(ridge: 1), outcome: .squaredError, arms: 2,
                                                 propensity: .design(shares: [0.5, 0.5]))) { error in
            XCTAssertEqual("\(error)", "feature 2 of row 4 is not a finite number")
        }
        let clean = TrainingSet(features: FeatureMatrix(values: (0..<20).map(Float.init), rows: 10, columns: 2),
                                outcome: Array(repeating: 1, count: 10), arm: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertThrowsError(try UpliftModel.fit(clean, kind: .t, base: .linear(ridge: 1), outcome: .binaryLogistic, arms: 2,
                                                 propensity: .design(shares: [0.5, 0.5]))) { error in
            XCTAssertEqual("\(error)", "the outcome has a single class (all 1) in arm 0")
        }
        XCTAssertThrowsError(try UpliftModel.fit(clean, kind: .t, base: .linear(ridge: 1), outcome: .squaredError, arms: 3,
                                                 propensity: .design(shares: [0.3, 0.3, 0.4]))) { error in
            XCTAssertEqual("\(error)", "arm 2 has fewer than two rows")
        }
    }
}
