import Foundation
import XCTest
import _TestSupport
import Observational
@testable import Platform
import Randomization
import Stats

/// `study create` and the analyses against the store (issue 20).
final class StudyTests: ExperimentTestCase {
    /// A confounded launch: `ConfoundedDesign` (τ = 1) with a region column and an unaffected column.
    private func launch(_ n: Int = 1500, seed: UInt64 = 3) throws -> String {
        let (data, _) = ConfoundedDesign(effect: 1).sample(n, seed: seed)
        var text = "user,region,x1,x2,x3,x4,x5,launched,orders,visits_before\n"
        for i in 0..<n {
            let x = (0..<5).map { data.covariates[i, $0] }
            let region = ["north", "south", "east"][i % 3]
            text += "u\(i),\(region),\(x.map { String($0) }.joined(separator: ",")),\(Int(data.treatment[i])),\(data.outcome[i]),\(x[0] + 0.1 * Double(i % 7))\n"
        }
        return try csv(text)
    }

    private func options(_ estimand: Estimand = .ate) -> AnalysisOptions {
        var o = AnalysisOptions()
        o.estimand = estimand
        o.nuisance = .linear
        return o
    }

    func testCreateFromAFileEncodesCategoricalsAndKeepsOtherColumns() throws {
        var o = Studies.FileOptions(name: "launch", path: try launch(), treatment: "launched", outcome: "orders")
        o.covariates = ["region", "x1", "x2", "x3", "x4", "x5"]
        o.categorical = ["region"]
        o.unit = "user"
        let s = try Studies.create(o, in: store)
        XCTAssertEqual(s.covariates, ["region=north", "region=south", "x1", "x2", "x3", "x4", "x5"], "east, the first level, dropped")
        XCTAssertEqual(s.extra, ["visits_before"])
        XCTAssertEqual(s.units, 1500)
        XCTAssertTrue(s.binaryTreatment)
        let loaded = try Studies.load("launch", in: store)
        XCTAssertEqual(loaded.data.count, 1500)
        XCTAssertEqual(loaded.extra["visits_before"]?.count, 1500)
        XCTAssertEqual(try Studies.list(in: store).map(\.name), ["launch"])
        XCTAssertThrowsError(try Studies.create(o, in: store)) { XCTAssertEqual(($0 as? PlatformError)?.code, .conflict) }
        // The stored study estimates what the module estimates on the same rows.
        let viaStore = try StudyAnalysis.estimate("launch", method: .ipw, options: options(), in: store).result.estimate
        let direct = try Analysis.run(.ipw, on: loaded.data, options: options()).estimate
        XCTAssertEqual(viaStore.value, direct.value, accuracy: 1e-12)
        // A negative-control outcome from a kept column (visits before the launch): the refuter runs it.
        let refuted = try StudyAnalysis.refute("launch", method: .ipw, options: options(), placeboOutcome: "visits_before", in: store)
        XCTAssertEqual(refuted.refutations.map(\.kind), [.placeboTreatment, .negativeControl, .randomCommonCause, .randomSubset])
        XCTAssertTrue(refuted.refutations[0].passed)
        XCTAssertThrowsError(try StudyAnalysis.refute("launch", method: .ipw, options: options(), placeboOutcome: "nothing", in: store)) {
            XCTAssertTrue("\($0)".contains("visits_before"), "\($0)")
        }
        try Studies.drop("launch", in: store)
        XCTAssertEqual(try store.connection.query("SELECT count(*) FROM study_units").decodeOne(Int.self), 0)
    }

    func testBadFilesNameFileLineAndFieldAndWriteNothing() throws {
        func refused(_ text: String, covariates: [String]? = nil, categorical: [String] = [], dropMissing: Bool = false, _ expected: (String) -> String,
                     line: UInt = #line) throws {
            let path = try csv(text)
            var o = Studies.FileOptions(name: "s", path: path, treatment: "t", outcome: "y")
            o.covariates = covariates
            o.categorical = categorical
            o.dropMissing = dropMissing
            XCTAssertThrowsError(try Studies.create(o, in: store), line: line) { error in
                XCTAssertEqual("\(error)", expected(path), line: line)
            }
            XCTAssertEqual(try store.connection.query("SELECT count(*) FROM studies").decodeOne(Int.self), 0, line: line)
            XCTAssertEqual(try store.connection.query("SELECT count(*) FROM study_units").decodeOne(Int.self), 0, line: line)
        }
        try refused("t,y,x\n1,2,3\n0,1,NaN\n") { "\($0):3: field \"x\" is \"NaN\", not a finite number (list the column in --categorical if it is a category)" }
        try refused("t,y,x\n1,2,3\n0,1e309,4\n") { "\($0):3: field \"y\" is \"1e309\", not a finite number" }
        try refused("t,y,x\n1,2,3\n0,,4\n") { "\($0):3: field \"y\" is missing; fill it, or allow dropping rows with missing values (they are counted)" }
        try refused("t,y,x\n1,2,5\n0,1,5\n") { "\($0): covariate \"x\" is constant (5.0); leave it out" }
        try refused("t,y,x\n1,2,a\n0,1,b\n") { "\($0):2: field \"x\" is \"a\", not a finite number (list the column in --categorical if it is a category)" }
        try refused("t,y\n1,2\n0,1\n") { _ in "a study needs at least one covariate (covariates)" }
        try refused("t,y,x\n1,2,3\n1,1,4\n") { _ in "the treatment t takes one value only (1.0): nothing to compare" }
        try refused("t,y,x\n1,2,3\n0,1\n") { "\($0):3: expected 3 fields, found 2" }
        try refused("t,y,x\n") { "\($0): the file has a header but no rows" }
        try refused("t,y,x\n1,2,\"3\n") { "\($0):2: unterminated quoted field" }
        // Missing values with drop-missing: left out and counted per column.
        let path = try csv("t,y,x,c\n1,2,3,a\n0,1,NA,b\n1,3,4,\n0,2,5,a\n1,4,7,b\n0,0,1,a\n")
        var o = Studies.FileOptions(name: "m", path: path, treatment: "t", outcome: "y")
        o.categorical = ["c"]
        o.dropMissing = true
        let s = try Studies.create(o, in: store)
        XCTAssertEqual(s.units, 4)
        XCTAssertEqual(s.droppedMissing, 2)
        XCTAssertEqual(s.missingByColumn.map(\.column), ["c", "x"])
    }

    func testCreateFromTheStoreAndAContinuousTreatment() throws {
        var units = "unit,discount\n", features = "unit,age,tenure\n", orders = "unit,value\n"
        var g = SplitMix64(seed: 9)
        for i in 0..<400 {
            let age = 20 + 40 * g.uniform(), tenure = 5 * g.uniform()
            let discount = 0.1 * tenure + 0.5 * g.uniform()
            units += "c\(i),\(discount)\n"
            features += "c\(i),\(age),\(tenure)\n"
            orders += "c\(i),\(2 * discount + 0.05 * age + tenure + g.normal())\n"
        }
        try UnitImport.run(path: try csv(units), in: store)
        try FeatureStore.importCSV(path: try csv(features), set: "profile", in: store)
        _ = try Metrics.importOutcomes(path: try csv(orders), metric: "orders", kind: nil, in: store)
        let s = try Studies.create(name: "price", unitsFrom: nil, treatmentAttribute: "discount", features: "profile", outcome: "orders", in: store)
        XCTAssertFalse(s.binaryTreatment)
        XCTAssertEqual(s.units, 400)
        let ols = try StudyAnalysis.estimate("price", method: .ols, options: options(), in: store).result.estimate
        XCTAssertEqual(ols.value, 2, accuracy: 4 * ols.standardError)
        let dml = try StudyAnalysis.estimate("price", method: .dml, options: options(), in: store).result.estimate
        XCTAssertEqual(dml.value, 2, accuracy: 4 * dml.standardError)
        XCTAssertThrowsError(try StudyAnalysis.estimate("price", method: .ipw, options: options(), in: store)) {
            XCTAssertTrue("\($0)".contains("needs a treatment of 0 or 1"), "\($0)")
        }
        XCTAssertThrowsError(try Studies.create(name: "x", unitsFrom: nil, treatmentAttribute: "discount", features: "nope", outcome: "orders", in: store)) {
            XCTAssertEqual("\($0)", "feature set \"nope\" does not exist")
        }
    }

    /// Units of an experiment: treated when in any arm but the first; the outcome a metric's total
    /// (0 for units without rows); only units with features.
    func testCreateFromAnExperiment() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<300), in: store)
        var features = "unit,f\n", orders = "unit,value\n"
        for i in 0..<250 { features += "u\(i),\(Double(i % 17))\n" }
        for i in 0..<200 { orders += "u\(i),\(Double(i % 5))\n" }
        try FeatureStore.importCSV(path: try csv(features), set: "f", in: store)
        _ = try Metrics.importOutcomes(path: try csv(orders), metric: "orders", kind: nil, in: store)
        let s = try Studies.create(name: "from-e", unitsFrom: "e", treatmentAttribute: nil, features: "f", outcome: "orders", in: store)
        XCTAssertEqual(s.units, 250)
        let arms = Dictionary(uniqueKeysWithValues: try store.connection.query("""
            SELECT a.unit, a.arm FROM assignments a JOIN experiments e ON e.id = a.experiment_id WHERE e.name = 'e'
            """).decode((String, String).self))
        let loaded = try Studies.load("from-e", in: store)
        for (unit, t) in zip(loaded.units, loaded.data.treatment) { XCTAssertEqual(t, arms[unit] == "treatment" ? 1 : 0, unit) }
        XCTAssertEqual(loaded.data.outcome[loaded.units.firstIndex(of: "u220")!], 0, "no outcome rows: 0")
        XCTAssertEqual(loaded.data.outcome[loaded.units.firstIndex(of: "u13")!], 3)
        XCTAssertThrowsError(try Studies.create(name: "x", unitsFrom: "e", treatmentAttribute: "a", features: "f", outcome: "orders", in: store)) {
            XCTAssertEqual("\($0)", "give one of an experiment to take units from and a unit attribute as the treatment")
        }
    }

    func testReportPutsEveryMethodSideBySide() throws {
        var o = Studies.FileOptions(name: "launch", path: try launch(1200), treatment: "launched", outcome: "orders")
        o.covariates = ["x1", "x2", "x3", "x4", "x5"]
        o.unit = "user"
        try Studies.create(o, in: store)
        let r = try StudyAnalysis.report("launch", options: options(), benchmarks: ["x3"], in: store)
        XCTAssertEqual(r.estimates.map(\.method), Method.allCases)
        XCTAssertTrue(r.estimates.allSatisfy { $0.result != nil }, "\(r.estimates.compactMap(\.error))")
        XCTAssertNotNil(r.balance)
        XCTAssertEqual(r.refutation?.refutations.count, 3)
        XCTAssertEqual(r.sensitivity?.bounds.count, 3)
        XCTAssertEqual(r.sensitivity?.eValues.count, 6)
    }
}
