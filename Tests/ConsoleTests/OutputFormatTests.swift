import XCTest
import Console

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
                       #"{"arms":{"a":1},"held_out":0,"x":null}"# + "\n")
        XCTAssertEqual(JSONFormat().render(.message("tab\there\u{1}")), #"{"message":"tab\there\u0001"}"# + "\n")
        XCTAssertEqual(JSONFormat().render(.summary("for people", [("n", 2)])), #"{"n":2}"# + "\n")
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
