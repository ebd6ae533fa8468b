import XCTest
@testable import Platform
import Randomization

final class CatalogTests: ExperimentTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]

    func testCreateStoresDefinitionAndRefusesDuplicates() throws {
        var d = ExperimentCatalog.Definition(name: "checkout", arms: arms)
        d.coverage = 0.8
        let e = try ExperimentCatalog.create(d, in: store)
        XCTAssertEqual(e.seed, "checkout", "the seed defaults to the name")
        XCTAssertEqual(e.hashVersion, .v2)
        XCTAssertEqual(e.status, .draft)
        XCTAssertEqual(e.armList, "control:50,treatment:50")
        XCTAssertThrowsError(try ExperimentCatalog.create(d, in: store)) { XCTAssertEqual("\($0)", "experiment \"checkout\" already exists") }
        XCTAssertEqual(try count("SELECT count(*) FROM experiments"), 1)
    }

    func testHostileNameIsStoredAndReadLiterally() throws {
        let hostile = "x'); DROP TABLE experiments; --"
        try ExperimentCatalog.create(.init(name: hostile, arms: [Arm(name: hostile, weight: 50), Arm(name: "b", weight: 50)]), in: store)
        let e = try ExperimentCatalog.get(hostile, in: store)
        XCTAssertEqual(e.name, hostile)
        XCTAssertEqual(e.arms.first?.name, hostile)
        XCTAssertEqual(try ExperimentCatalog.list(in: store).map(\.name), [hostile])
    }

    func testBadDefinitionsWriteNothing() throws {
        XCTAssertThrowsError(try ExperimentCatalog.create(.init(name: "a", arms: [Arm(name: "x", weight: 50), Arm(name: "y", weight: 40)]), in: store))
        var sb = ExperimentCatalog.Definition(name: "sb", arms: arms)
        sb.design = .switchback
        XCTAssertThrowsError(try ExperimentCatalog.create(sb, in: store), "a switchback needs regions and a window")
        sb.parameters.regions = ["n"]
        sb.parameters.windowSeconds = 7 * 60
        XCTAssertThrowsError(try ExperimentCatalog.create(sb, in: store), "7 minutes does not divide a day")
        var user = ExperimentCatalog.Definition(name: "u", arms: arms)
        user.parameters.windowSeconds = 1800
        XCTAssertThrowsError(try ExperimentCatalog.create(user, in: store), "switchback flags on a user split")
        XCTAssertThrowsError(try ExperimentCatalog.get("nope", in: store)) { XCTAssertEqual("\($0)", "experiment \"nope\" does not exist") }
        XCTAssertEqual(try count("SELECT count(*) FROM experiments"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM arms"), 0)
    }

    func testLayerRangesMustBeDisjoint() throws {
        var a = ExperimentCatalog.Definition(name: "a", arms: arms)
        a.layer = Namespace(id: "pricing", start: 0, end: 0.5)
        try ExperimentCatalog.create(a, in: store)
        var b = ExperimentCatalog.Definition(name: "b", arms: arms)
        b.layer = Namespace(id: "pricing", start: 0.4, end: 1)
        XCTAssertThrowsError(try ExperimentCatalog.create(b, in: store)) { XCTAssertTrue("\($0)".contains("overlaps experiment \"a\""), "\($0)") }
        b.layer = Namespace(id: "pricing", start: 0.5, end: 1)
        try ExperimentCatalog.create(b, in: store)
        var c = ExperimentCatalog.Definition(name: "c", arms: arms)
        c.layer = Namespace(id: "other", start: 0, end: 1)
        try ExperimentCatalog.create(c, in: store)
        // A stopped experiment frees its range.
        try ExperimentCatalog.start("a", in: store)
        try ExperimentCatalog.stop("a", in: store)
        var d = ExperimentCatalog.Definition(name: "d", arms: arms)
        d.layer = Namespace(id: "pricing", start: 0, end: 0.5)
        try ExperimentCatalog.create(d, in: store)
    }

    func testLifecycleAndForbiddenEdits() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: arms), in: store)
        XCTAssertThrowsError(try ExperimentCatalog.stop("e", in: store), "a draft cannot stop")
        try ExperimentCatalog.start("e", in: store)
        XCTAssertThrowsError(try ExperimentCatalog.start("e", in: store), "already running")
        XCTAssertThrowsError(try ExperimentCatalog.set("e", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)], coverage: nil, in: store)) {
            XCTAssertTrue("\($0)".contains("only weights can change"), "\($0)")
        }
        try ExperimentCatalog.set("e", arms: [Arm(name: "control", weight: 10), Arm(name: "treatment", weight: 90)], coverage: 0.5, in: store)
        let e = try ExperimentCatalog.get("e", in: store)
        XCTAssertEqual(e.armList, "control:10,treatment:90")
        XCTAssertEqual(e.coverage, 0.5)
        try ExperimentCatalog.stop("e", in: store)
        XCTAssertThrowsError(try ExperimentCatalog.set("e", arms: nil, coverage: 1, in: store), "a stopped experiment cannot change")
        XCTAssertNotNil(try ExperimentCatalog.get("e", in: store).stoppedAt)
    }
}
