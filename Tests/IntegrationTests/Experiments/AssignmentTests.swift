import Foundation
import XCTest
@testable import Platform
import Randomization

final class AssignmentTests: ExperimentTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]

    private func running(_ name: String, arms: [Arm]? = nil) throws {
        try ExperimentCatalog.create(.init(name: name, arms: arms ?? self.arms), in: store)
        try ExperimentCatalog.start(name, in: store)
    }

    private func stored(_ name: String) throws -> [String: String] {
        let rows = try store.connection.query("""
            SELECT a.unit, coalesce(a.arm, '<held out>') FROM assignments a JOIN experiments e ON e.id = a.experiment_id
            WHERE e.name = \(name) AND a.phase = e.phase
            """).decode((String, String).self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.1) })
    }

    func testSingleAssignmentMatchesThePureSplitAndIsStored() throws {
        try running("checkout")
        let split = try UserSplit(arms: arms, seed: "checkout")
        for i in 0..<50 {
            let unit = "user-\(i)"
            let first = try Assigner.assign("checkout", unit: unit, in: store)
            XCTAssertTrue(first.isNew)
            XCTAssertEqual(first.outcome, .arm(arms[split.assign(unit)!].name))
            let again = try Assigner.assign("checkout", unit: unit, in: store)
            XCTAssertFalse(again.isNew)
            XCTAssertEqual(again.outcome, first.outcome)
        }
        XCTAssertEqual(try count("SELECT count(*) FROM assignments"), 50)
    }

    func testStickyAcrossWeightChanges() throws {
        try running("e")
        let first = try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<4000), in: store)
        XCTAssertEqual(first.new, 4000)
        let before = try stored("e")
        try ExperimentCatalog.set("e", arms: [Arm(name: "control", weight: 10), Arm(name: "treatment", weight: 90)], coverage: nil, in: store)
        let again = try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<8000), in: store)
        XCTAssertEqual(again.existing, 4000)
        XCTAssertEqual(again.new, 4000)
        let after = try stored("e")
        for (unit, arm) in before { XCTAssertEqual(after[unit], arm, "a stored unit never moves") }
        let newControl = (4000..<8000).filter { after["u\($0)"] == "control" }.count
        XCTAssertEqual(Double(newControl) / 4000, 0.10, accuracy: 0.02, "new units follow the new weights")
        // Single assignment of a stored unit returns the stored arm too.
        XCTAssertEqual(try Assigner.assign("e", unit: "u1", in: store).outcome, .arm(before["u1"]!))
        // SRM uses the weights in force when each unit was assigned: no false alarm.
        let counts = try ExperimentCatalog.counts(try ExperimentCatalog.get("e", in: store), in: store)
        XCTAssertEqual(counts.arms.map(\.count).reduce(0, +), 8000)
        XCTAssertEqual(counts.sampleRatio?.degreesOfFreedom, 2)
        XCTAssertFalse(try XCTUnwrap(counts.sampleRatio).isMismatch)
    }

    func testOnlyANewPhaseReRandomizes() throws {
        try running("e")
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<2000), in: store)
        let phase1 = try stored("e")
        XCTAssertThrowsError(try ExperimentCatalog.newPhase("e", seed: "e", in: store), "a used seed cannot return")
        let e = try ExperimentCatalog.newPhase("e", seed: nil, in: store)
        XCTAssertEqual(e.phase, 2)
        XCTAssertEqual(e.seed, "e#2")
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<2000), in: store)
        let phase2 = try stored("e")
        let moved = phase1.filter { phase2[$0.key] != $0.value }.count
        XCTAssertEqual(Double(moved) / 2000, 0.5, accuracy: 0.05, "a new seed re-randomizes about half of two arms")
        XCTAssertEqual(try count("SELECT count(*) FROM assignments WHERE phase = 1"), 2000, "phase 1 stays on record")
    }

    func testHoldoutUnitsGetNoArmAnywhere() throws {
        try HoldoutSettings.set(percent: 10, seed: "h", in: store)
        let holdout = try Holdout(percent: 10, seed: "h")
        try running("a")
        try running("b")
        let file = try unitsFile(0..<3000)
        let resultA = try Assigner.assignBulk("a", unitsFile: file, in: store)
        try Assigner.assignBulk("b", unitsFile: file, in: store)
        let expected = (0..<3000).filter { holdout.group(of: "u\($0)") == .heldOut }.count
        XCTAssertEqual(resultA.heldOut, expected)
        XCTAssertEqual(Double(expected) / 3000, 0.10, accuracy: 0.02)
        for name in ["a", "b"] {
            for (unit, arm) in try stored(name) {
                XCTAssertEqual(arm == "<held out>", holdout.group(of: unit) == .heldOut, unit)
            }
        }
        let unit = (0..<3000).map { "u\($0)" }.first { holdout.group(of: $0) == .heldOut }!
        XCTAssertEqual(try Assigner.assign("a", unit: unit, in: store).outcome, .heldOut)
    }

    func testClusterUnitsShareTheirClustersArm() throws {
        let mapping = try csv("unit,cluster\n" + (0..<600).map { "u\($0),cell-\($0 % 20)" }.joined(separator: "\n") + "\n")
        let imported = try ClusterImport.run(path: mapping, mapping: "cells", in: store)
        XCTAssertEqual(imported.units, 600)
        XCTAssertEqual(imported.clusters, 20)
        var d = ExperimentCatalog.Definition(name: "geo", arms: arms)
        d.design = .cluster
        d.parameters.clusters = "cells"
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("geo", in: store)
        try Assigner.assignBulk("geo", unitsFile: try unitsFile(0..<600), in: store)
        let arms = try stored("geo")
        for cell in 0..<20 {
            let members = Set((0..<600).filter { $0 % 20 == cell }.map { arms["u\($0)"]! })
            XCTAssertEqual(members.count, 1, "cell-\(cell) is split")
        }
        XCTAssertEqual(try Assigner.assign("geo", unit: "u3", in: store).cluster, "cell-3")
        let counts = try ExperimentCatalog.counts(try ExperimentCatalog.get("geo", in: store), in: store)
        XCTAssertEqual(counts.sampleRatio?.degreesOfFreedom, 1)
        let clustersPerArm = Dictionary(grouping: 0..<20) { arms["u\($0)"]! }.mapValues(\.count)
        let expected = SampleRatioMismatch(counts: self.arms.map { clustersPerArm[$0.name] ?? 0 }, weights: [50, 50])
        XCTAssertEqual(counts.sampleRatio?.chiSquare, expected?.chiSquare, "SRM counts clusters, not units")
        XCTAssertThrowsError(try Assigner.assign("geo", unit: "stranger", in: store)) {
            XCTAssertTrue("\($0)".contains("has no cluster"), "\($0)")
        }
        let withStranger = try csv("unit\nu1\nstranger\n")
        XCTAssertThrowsError(try Assigner.assignBulk("geo", unitsFile: withStranger, in: store)) {
            XCTAssertEqual("\($0)", "\(withStranger):3: unit \"stranger\" has no cluster in mapping \"cells\"")
        }
    }

    func testBadUnitFilesNameTheLineAndWriteNothing() throws {
        try running("e")
        let cases: [(String, String)] = [
            ("", ": the file is empty; expected a header row"),
            ("user\nu1\n", ":1: the header has no column \"unit\" (found: user)"),
            ("unit\n", ": the file has a header but no rows"),
            ("unit\nu1\n\"\"\nu3\n", ":3: field \"unit\" is empty"),
            ("unit,x\nu1,1\nu2\n", ":3: expected 2 fields, found 1"),
            ("unit\n\"u1\n", ":2: unterminated quoted field"),
        ]
        for (text, message) in cases {
            let path = try csv(text)
            XCTAssertThrowsError(try Assigner.assignBulk("e", unitsFile: path, in: store)) { error in
                XCTAssertEqual("\(error)", path + message)
            }
        }
        XCTAssertThrowsError(try Assigner.assignBulk("e", unitsFile: "/nonexistent/units.csv", in: store))
        XCTAssertEqual(try count("SELECT count(*) FROM assignments"), 0)
    }

    func testDraftAndStoppedExperimentsAssignNoNewUnits() throws {
        try ExperimentCatalog.create(.init(name: "d", arms: arms), in: store)
        XCTAssertThrowsError(try Assigner.assign("d", unit: "u1", in: store))
        try ExperimentCatalog.start("d", in: store)
        let first = try Assigner.assign("d", unit: "u1", in: store)
        try ExperimentCatalog.stop("d", in: store)
        XCTAssertEqual(try Assigner.assign("d", unit: "u1", in: store).outcome, first.outcome, "stored units still answer")
        XCTAssertThrowsError(try Assigner.assign("d", unit: "u2", in: store))
        XCTAssertThrowsError(try Assigner.assign("nope", unit: "u2", in: store))
    }

    func testSwitchbackLookupFollowsTheDesign() throws {
        var d = ExperimentCatalog.Definition(name: "rides", arms: arms)
        d.design = .switchback
        d.parameters.regions = ["north", "south"]
        d.parameters.windowSeconds = 1800
        d.parameters.burnInSeconds = 300
        d.parameters.start = 1_795_305_600 // 2026-11-22 00:00 UTC
        try ExperimentCatalog.create(d, in: store)
        try ExperimentCatalog.start("rides", in: store)
        let design = try SwitchbackDesign(arms: arms, seed: "rides", windowSeconds: 1800, burnInSeconds: 300, start: 1_795_305_600)
        for minutes in stride(from: 0, to: 600, by: 7) {
            let t = 1_795_305_600 + Int64(minutes * 60)
            let a = try Assigner.assignSwitchback("rides", region: "south", at: Date(timeIntervalSince1970: Double(t)), in: store)
            let expected = design.assign(region: "south", at: t)!
            XCTAssertEqual(a.arm, arms[expected.arm].name)
            XCTAssertEqual(a.inBurnIn, expected.inBurnIn)
            XCTAssertEqual(a.window, expected.window)
        }
        XCTAssertThrowsError(try Assigner.assignSwitchback("rides", region: "west", at: Date(), in: store))
        XCTAssertThrowsError(try Assigner.assign("rides", unit: "u1", in: store))
        XCTAssertEqual(try count("SELECT count(*) FROM assignments"), 0, "switchback lookups store nothing")
    }
}
