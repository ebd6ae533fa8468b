import Foundation
import XCTest
@testable import Platform
import Postgres
import Randomization
import _TestSupport

/// Input a busy production system sends (issue 16): refused with file, line and field, nothing written.
final class HostileInputTests: ExperimentTestCase {
    /// Impossible timestamps were stored as other dates (2026-02-30 as March 2); now they are refused.
    func testImpossibleTimestampsAreRefusedNotShifted() throws {
        for (k, ts) in ["2026-02-30T10:00:00Z", "2026-04-31T10:00:00Z", "2026-11-22T10:00:00+25:00", "2026-11-22T10:00:00+99:99"].enumerated() {
            let file = try csv("unit,value,ts\nu1,1,2026-11-22T10:00:00Z\nu2,2,\(ts)\n")
            XCTAssertThrowsError(try Metrics.importOutcomes(path: file, metric: "m\(k)", kind: nil, in: store)) {
                XCTAssertEqual("\($0)", "\(file):3: field \"ts\" is \"\(ts)\", not a time such as 2026-11-22T10:15:00Z")
            }
        }
        XCTAssertEqual(try count("SELECT count(*) FROM outcomes"), 0, "nothing written")
        XCTAssertEqual(try count("SELECT count(*) FROM metrics"), 0, "no metric created")
    }

    /// A NUL byte and an overlong unit id were refused by PostgreSQL with messages that named no
    /// line (issue 16, defect 5).
    func testUnitIdsAreCheckedWhereTheyAre() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        let nul = try csv("unit,value\nu1,1\nu\u{0}2,2\n")
        XCTAssertThrowsError(try Metrics.importOutcomes(path: nul, metric: "m", kind: nil, in: store)) {
            XCTAssertEqual("\($0)", "\(nul):3: the line holds a NUL byte (0x00), which no text field may hold")
        }
        let long = String(repeating: "x", count: 3000)
        let units = try csv("unit\nu1\n\(long)\n")
        XCTAssertThrowsError(try Assigner.assignBulk("e", unitsFile: units, in: store)) {
            XCTAssertEqual("\($0)", "\(units):3: field \"unit\" is 3000 bytes long; a unit id has at most 256")
        }
        XCTAssertThrowsError(try Assigner.assign("e", unit: long, in: store)) {
            XCTAssertEqual("\($0)", "the unit id is 3000 bytes long; a unit id has at most 256")
        }
        let edges = try csv("source,target\nu1,\(long)\n")
        XCTAssertThrowsError(try GraphStore.importCSV(path: edges, name: "g", directed: false, in: store)) {
            XCTAssertEqual("\($0)", "\(edges):2: field \"target\" is 3000 bytes long; a unit id has at most 256")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM assignments"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM outcomes"), 0)
    }

    /// A byte order mark is accepted; hexadecimal numbers and a repeated column are refused
    /// (issue 16, defect 8).
    func testCSVDetails() throws {
        let bom = try csv("\u{FEFF}unit,value\nu1,1.5\nu2,-2e-1\n")
        XCTAssertEqual(try Metrics.importOutcomes(path: bom, metric: "m", kind: nil, in: store).rows, 2)
        let hex = try csv("unit,value\nu1,0x1p3\n")
        XCTAssertThrowsError(try Metrics.importOutcomes(path: hex, metric: "m", kind: nil, in: store)) {
            XCTAssertEqual("\($0)", "\(hex):2: field \"value\" is \"0x1p3\", not a finite number")
        }
        for word in ["nan", "inf", "-infinity", "1_000"] {
            let file = try csv("unit,value\nu1,\(word)\n")
            XCTAssertThrowsError(try Metrics.importOutcomes(path: file, metric: "m", kind: nil, in: store), word)
        }
        let twice = try csv("unit,value,unit\nu1,1,u2\n")
        XCTAssertThrowsError(try Metrics.importOutcomes(path: twice, metric: "m", kind: nil, in: store)) {
            XCTAssertEqual("\($0)", "\(twice):1: the header names column \"unit\" twice")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM outcomes"), 2, "only the good file was written")
    }

    /// Uplifts near 1e308 overflowed the allocation's sums into an infinite certificate that failed
    /// to encode (issue 16, defect 6); such rows are refused by line.
    func testValuesThatWouldOverflowAreRefusedByLine() throws {
        let scores = try csv("unit,arm,uplift\nu1,a,0.5\nu2,a,1e308\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: scores)) {
            XCTAssertEqual("\($0)", "\(scores):3: field \"uplift\" is 1e308; allocations take values within ±1e15")
        }
        let costs = try csv("unit,arm,uplift,cost\nu1,a,0.5,1e300\n")
        XCTAssertThrowsError(try AllocationRun.scores(csv: costs)) {
            XCTAssertEqual("\($0)", "\(costs):2: field \"cost\" is 1e300; allocations take values within ±1e15")
        }
    }

    /// Names blank after trimming are refused (issue 16, defect 9).
    func testBlankNamesAreRefused() throws {
        XCTAssertThrowsError(try ExperimentCatalog.create(.init(name: "  \t", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)]), in: store)) {
            XCTAssertEqual("\($0)", "an experiment needs a name")
        }
        let outcomes = try csv("unit,value\nu1,1\n")
        XCTAssertThrowsError(try Metrics.importOutcomes(path: outcomes, metric: " ", kind: nil, in: store)) {
            XCTAssertEqual("\($0)", "metric needs a name")
        }
        XCTAssertThrowsError(try ClusterImport.run(path: try csv("unit,cluster\nu1,c\n"), mapping: "  ", in: store))
        XCTAssertEqual(try count("SELECT count(*) FROM experiments"), 0)
    }
}
