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

    /// `experiment plan` and the report's engines through the binary: the documented JSON keys, and
    /// one-line errors for bad options (issue 18's list).
    func testPlanAndEnginesInJSONAndTheirErrors() throws {
        let units = directory.appendingPathComponent("units.csv"), revenue = directory.appendingPathComponent("revenue.csv")
        try ("unit\n" + (0..<400).map { "u\($0)" }.joined(separator: "\n") + "\n").write(to: units, atomically: true, encoding: .utf8)
        try ("unit,value\n" + (0..<400).map { "u\($0),\(Double($0 % 17) + 0.5)" }.joined(separator: "\n") + "\n")
            .write(to: revenue, atomically: true, encoding: .utf8)
        let script = """
            experiment plan --baseline-mean 100 --baseline-sd 20 --mde 2 --units-per-day 1000
            experiment create e --arms control:50,treatment:50
            experiment start e
            assign e --units \(units.path)
            import outcomes \(revenue.path) --metric revenue
            report lift e --metric revenue --engine bayesian --html \(directory.appendingPathComponent("bayes.html").path)
            report lift e --metric revenue --sequential --html \(directory.appendingPathComponent("sequential.html").path)
            experiment plan --baseline-mean 100 --baseline-sd 20 --mde 0
            experiment plan --baseline-mean 100 --baseline-sd 20 --mde 2 --power 1
            experiment plan --baseline-mean 100 --baseline-sd 20 --mde 2 --alpha 0
            report lift e --metric revenue --engine bayesian --prior-mean 0 --prior-sd 0
            metric set revenue --cap-percentile 1.5
            report lift e --metric revenue --by planet
            report lift e --metric revenue --sequential --engine bayesian
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 1)
        let docs = run.stdout.split(separator: "\n")
        let plan = try json(docs[0])
        XCTAssertEqual(plan["units_per_arm"] as? [String: Int], ["control": 1570, "treatment": 1570])
        XCTAssertEqual(plan["total_units"] as? Int, 3140)
        XCTAssertEqual(plan["days"] as? Int, 4)
        XCTAssertEqual(plan["mde"] as? Double, 2)
        let bayes = try XCTUnwrap((try json(docs[5])["rows"] as? [[String: Any]])?.last)
        for key in ["chance_to_win", "risk_control", "risk_treatment", "lift_low", "lift_high", "rel_low", "rel_high"] {
            XCTAssertNotNil(bayes[key] as? Double, key)
        }
        XCTAssertNil(bayes["p"])
        XCTAssertEqual(try json(docs[6])["sequential_tuning"] as? Double, 5000)
        // The pages show the intervals the report used, and the Bayesian one each arm's posterior.
        let bayesPage = try String(contentsOf: directory.appendingPathComponent("bayes.html"), encoding: .utf8)
        XCTAssertTrue(bayesPage.contains("95% credible intervals"))
        XCTAssertTrue(bayesPage.contains("Posterior of the relative lift against control"))
        let sequentialPage = try String(contentsOf: directory.appendingPathComponent("sequential.html"), encoding: .utf8)
        XCTAssertTrue(sequentialPage.contains("95% sequential intervals"))
        XCTAssertFalse(sequentialPage.contains("Posterior"))
        XCTAssertEqual(run.stderr, """
            causeway:<stdin>:8: ERROR: --mde must be greater than 0; got 0
            causeway:<stdin>:9: ERROR: --power must be between 0 and 1, exclusive; got 1
            causeway:<stdin>:10: ERROR: --alpha must be between 0 and 1, exclusive; got 0
            causeway:<stdin>:11: ERROR: --prior-sd must be greater than 0; got 0
            causeway:<stdin>:12: ERROR: metric "revenue": --cap-percentile must be between 0 and 1, exclusive (0.99 for the 99th); got 1.5
            causeway:<stdin>:13: ERROR: no unit of experiment "e" has the attribute "planet"; unit attributes come from import units
            causeway:<stdin>:14: ERROR: --sequential and the Bayesian --engine do not combine: the posterior may be read at any time already; choose one

            """)
    }
}
