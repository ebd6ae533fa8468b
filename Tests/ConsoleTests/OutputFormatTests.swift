import Foundation
import XCTest
@testable import Console

final class OutputFormatTests: XCTestCase {
    let table = Table(columns: ["arm", "units", "share"], rows: [
        ["control", 10, .double(0.5)],
        ["treatment, \"big\"", 1000, .null],
    ])

    func testAlignedTableLooksLikePsql() {
        XCTAssertEqual(AlignedFormat().render(.table(table)), """
                   arm        | units | share
            ------------------+-------+-------
             control          |    10 |   0.5
             treatment, "big" |  1000 |
            (2 rows)

            """)
        XCTAssertTrue(AlignedFormat().render(.table(Table(columns: ["a"], rows: [[1]]))).hasSuffix("(1 row)\n"))
    }

    func testCSVQuotesWhenNeeded() {
        XCTAssertEqual(CSVFormat().render(.table(table)), #"""
            arm,units,share
            control,10,0.5
            "treatment, ""big""",1000,

            """#)
        XCTAssertEqual(CSVFormat().render(.message("a,b")), "message\n\"a,b\"\n")
    }

    func testJSONIsOneDocument() {
        XCTAssertEqual(JSONFormat().render(.table(table)),
                       #"[{"arm":"control","units":10,"share":0.5},{"arm":"treatment, \"big\"","units":1000,"share":null}]"# + "\n")
        XCTAssertEqual(JSONFormat().render(.record([("arms", .object([("a", 1)])), ("held_out", 0), ("x", .double(.nan))])),
                       #"{"arms":{"a":1},"held_out":0,"x":null,"notes":["x is not a finite number"]}"# + "\n")
        XCTAssertEqual(JSONFormat().render(.message("tab\there\u{1}")), #"{"message":"tab\there\u0001"}"# + "\n")
        XCTAssertEqual(JSONFormat().render(.summary("for people", [("n", 2)])), #"{"n":2}"# + "\n")
        let infinite = Table(columns: ["arm", "share"], rows: [["a", .double(0.5)], ["b", .number(.infinity, .decimals(2))]])
        XCTAssertEqual(JSONFormat().render(.table(infinite)), #"[{"arm":"a","share":0.5},{"arm":"b","share":null}]"# + "\n")
        XCTAssertEqual(JSONFormat().notes(for: .table(infinite)), ["JSON has no such number: [1].share is not a finite number, printed as null"])
        XCTAssertEqual(JSONFormat().notes(for: .table(table)), [], "null is not a note")
    }

    /// Rounding is for people: aligned output rounds, JSON and CSV carry the double whole.
    func testRoundedNumbersAreWholeInJSONAndCSV() {
        let mean = 10 + 1.0 / 7, p = 0.000123456789  // 10.142857142857142
        let t = Table(columns: ["mean", "p"], rows: [[.number(mean, .decimals(6)), .number(p, .significant(4))]])
        XCTAssertTrue(AlignedFormat().render(.table(t)).contains("10.142857 | 0.0001235"), AlignedFormat().render(.table(t)))
        XCTAssertEqual(JSONFormat().render(.table(t)), #"[{"mean":10.142857142857142,"p":0.000123456789}]"# + "\n")
        XCTAssertEqual(CSVFormat().render(.table(t)), "mean,p\n10.142857142857142,0.000123456789\n")
        XCTAssertEqual(Double("10.142857142857142"), mean, "the shortest form reads back as the same double")
        XCTAssertEqual(NumberFormat.pValue(0.76474), "0.7647")
        XCTAssertEqual(NumberFormat.pValue(1.234e-7), "1.23e-07")
        XCTAssertEqual(NumberFormat.percent(0.4831), "48.3")
    }

    func testJSONParsesBackWithFoundation() throws {
        let text = JSONFormat().render(.table(table))
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        XCTAssertEqual(parsed?.count, 2)
        XCTAssertEqual(parsed?[1]["arm"] as? String, "treatment, \"big\"")
    }

    func testSummaryShowsTextWhenAligned() {
        XCTAssertEqual(AlignedFormat().render(.summary("done", [("n", 2)])), "done\n")
        XCTAssertEqual(CSVFormat().render(.summary("done", [("n", 2), ("s", "x")])), "n,s\n2,x\n")
    }
}
