import Foundation
import XCTest
import Postgres
import _TestSupport

/// The experiment commands through the built binary.
final class ExperimentConsoleTests: ConsoleTestCase {
    private func json(_ line: Substring) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testUserSplitEndToEndInJSON() throws {
        let units = directory.appendingPathComponent("units.csv")
        try ("unit\n" + (0..<1000).map { "u\($0)" }.joined(separator: "\n") + "\n").write(to: units, atomically: true, encoding: .utf8)
        let script = """
            holdout set --percent 5
            experiment create checkout --arms control:50,treatment:50
            experiment start checkout
            assign checkout u1
            assign checkout --units \(units.path)
            experiment show checkout
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let docs = run.stdout.split(separator: "\n")
        XCTAssertEqual(docs.count, 6)
        let bulk = try json(docs[4])
        let arms = try XCTUnwrap(bulk["arms"] as? [String: Int])
        let heldOut = try XCTUnwrap(bulk["held_out"] as? Int)
        XCTAssertEqual(arms.values.reduce(0, +) + heldOut, 1000)
        XCTAssertEqual(Double(heldOut) / 1000, 0.05, accuracy: 0.025)
        XCTAssertEqual(bulk["existing"] as? Int, 1, "u1 was assigned before")
        let show = try json(docs[5])
        XCTAssertEqual(show["counts"] as? [String: Int], arms)
        XCTAssertEqual((show["srm"] as? [String: Any])?["mismatch"] as? Bool, false)
    }

    func testHostileNamesAndBadInputInTheConsole() throws {
        let hostile = "x'); DROP TABLE experiments; --"
        let bad = directory.appendingPathComponent("bad.csv")
        try "unit\nu1\n\n\"\"\n".write(to: bad, atomically: true, encoding: .utf8)
        let script = """
            experiment create "\(hostile)" --arms a:50,b:50
            experiment show "\(hostile)"
            experiment create y --arms a:50,b:40
            experiment start "\(hostile)"
            assign "\(hostile)" --units \(bad.path)
            assign nope u1
            experiment set "\(hostile)" --arms c:50,d:50
            """
        let run = try CausewayBinary.run(["--db", url, "-f", "-"], input: script)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stdout.contains("created experiment \(hostile) (user, a:50,b:50)"), run.stdout)
        XCTAssertTrue(run.stdout.contains(" name         | \(hostile)\n"), run.stdout)
        XCTAssertEqual(run.stderr, """
            causeway:<stdin>:3: ERROR: --arms: arm weights sum to 90, not 100
            causeway:<stdin>:5: ERROR: \(bad.path):4: field "unit" is empty
            causeway:<stdin>:6: ERROR: experiment "nope" does not exist
            causeway:<stdin>:7: ERROR: experiment "\(hostile)" is running: its arms keep their names and order (a,b); only weights can change

            """)
        let connection = try Connection(.url(url))
        XCTAssertEqual(try connection.query("SELECT count(*) FROM assignments").decodeOne(Int.self), 0, "the bad file wrote nothing")
        XCTAssertEqual(try connection.query("SELECT name FROM experiments").decode(String.self), [hostile])
    }

    func testSwitchbackScheduleAndLookup() throws {
        let script = """
            experiment create rides --design switchback --arms control:50,treatment:50 --regions north,south \\
              --window 30m --burn-in 5m --carryover 2 --periods 12 --start 2026-11-22T08:00Z
            experiment start rides
            assign rides order-1 --at 2026-11-22T08:03Z --region north
            assign rides order-1 --at 2026-11-22T08:33Z --region north
            experiment show rides
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let docs = run.stdout.split(separator: "\n")
        let early = try json(docs[2]), later = try json(docs[3])
        XCTAssertEqual(early["burn_in"] as? Bool, true, "the first window is a switch and 08:03 is in its 5-minute burn-in")
        XCTAssertEqual(later["burn_in"] as? Bool, false, "period 2 keeps period 1's arm under carryover 2")
        XCTAssertEqual(early["arm"] as? String, later["arm"] as? String)
        let schedule = try XCTUnwrap(try json(docs[4])["schedule"] as? [[String: Any]])
        XCTAssertEqual(schedule.filter { $0["randomized"] as? Bool == true }.compactMap { $0["period"] as? Int }, [1, 5, 7])
    }

    func testLiftReportInJSONAndHTML() throws {
        let units = directory.appendingPathComponent("units.csv")
        try ("unit\n" + (0..<400).map { "u\($0)" }.joined(separator: "\n") + "\n").write(to: units, atomically: true, encoding: .utf8)
        let outcomes = directory.appendingPathComponent("orders.csv")
        try ("unit,value\n" + (0..<400).map { "u\($0),\($0 % 7)" }.joined(separator: "\n") + "\n").write(to: outcomes, atomically: true, encoding: .utf8)
        let page = directory.appendingPathComponent("lift.html")
        let script = """
            experiment create e --arms control:50,treatment:50
            experiment start e
            assign e --units \(units.path)
            import outcomes \(outcomes.path) --metric orders
            report lift e --metric orders --html \(page.path)
            report lift e --metric orders --html /nonexistent/dir/x.html
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("causeway:<stdin>:6: ERROR: /nonexistent/dir/x.html: cannot write the page"), run.stderr)
        let docs = run.stdout.split(separator: "\n")
        let report = try json(docs[4])
        let rows = try XCTUnwrap(report["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["arm"] as? String }, ["control", "treatment"])
        XCTAssertEqual(rows.compactMap { $0["units"] as? Int }.reduce(0, +), 400)
        // JSON carries full precision: each mean is exactly Σvalue / n of the arm's units (integer
        // sums, so the quotient is one correctly rounded double), not a value rounded for display.
        let connection = try Connection(.url(url))
        for row in rows {
            let (sum, n) = try connection.query("""
                SELECT sum(o.value)::bigint, count(*)::bigint FROM assignments a JOIN outcomes o USING (unit)
                WHERE o.metric = 'orders' AND a.arm = \(row["arm"] as? String ?? "")
                """).decodeOne((Int64, Int64).self)
            // Read from the text: Foundation's JSON parser on Linux may round the last digit.
            let mean = Double(sum) / Double(n)
            XCTAssertTrue(docs[4].contains(#""arm":"\#(row["arm"] as? String ?? "")","units":\#(n),"mean":\#(mean),"#),
                          "the \(row["arm"] ?? "") mean \(mean) at full precision: \(docs[4])")
        }
        let p = try XCTUnwrap(rows[1]["p"] as? Double)
        XCTAssertNotEqual(p, Double(String(format: "%.4g", p)), "p is not cut to four significant digits")
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertTrue(html.contains("orders · treatment"))
    }
}
