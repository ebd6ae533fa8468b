import Foundation
import XCTest
@testable import Platform
import Postgres

final class UnitImportTests: ExperimentTestCase {
    func testAttributesMergeAndErrorsWriteNothing() throws {
        try UnitImport.run(path: try csv("unit,country,plan\nu1,FR,gold\nu2,DE,\n"), in: store)
        try UnitImport.run(path: try csv("unit,plan\nu2,silver\nu3,bronze\n"), in: store)
        let country = try UnitImport.attribute("country", units: ["u1", "u2", "u3"], on: store.connection)
        XCTAssertEqual(country, ["u1": "FR", "u2": "DE"], "u2 kept its country; u3 has none")
        XCTAssertEqual(try UnitImport.attribute("plan", units: ["u1", "u2", "u3"], on: store.connection), ["u1": "gold", "u2": "silver", "u3": "bronze"])
        let twice = try csv("unit,country\nu9,FR\nu9,DE\n")
        XCTAssertThrowsError(try UnitImport.run(path: twice, in: store)) { XCTAssertEqual("\($0)", "\(twice):3: unit \"u9\" is listed twice") }
        XCTAssertEqual(try count("SELECT count(*) FROM units"), 3, "nothing written by the failed imports")
        // A file of ids alone makes the units and leaves known units' attributes as they were.
        let bare = try UnitImport.run(path: try csv("unit\nu9\nu1\n"), in: store)
        XCTAssertEqual(bare.units, 2)
        XCTAssertEqual(bare.attributes, [])
        XCTAssertEqual(try count("SELECT count(*) FROM units"), 4)
        XCTAssertEqual(try UnitImport.attribute("country", units: ["u1", "u9"], on: store.connection), ["u1": "FR"])
    }
}
