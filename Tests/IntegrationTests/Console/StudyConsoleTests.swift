import Foundation
import XCTest
import _TestSupport

/// The study commands through the built binary: JSON documents, pages, one-line errors.
final class StudyConsoleTests: ConsoleTestCase {
    func testStudyWalkthroughInJSONAndHTML() throws {
        let d = directory.path
        // NSW (Lalonde): causalinference's copy, as the Observational fixtures hold it.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ObservationalTests/Fixtures/lalonde.txt")
        let csv = try String(contentsOf: source, encoding: .utf8).replacingOccurrences(of: "\t", with: ",")
        try csv.write(toFile: "\(d)/nsw.csv", atomically: true, encoding: .utf8)
        let script = """
            study create nsw --data \(d)/nsw.csv --treatment t --outcome re78 --covariates age,educ,re74,re75
            study list
            study estimate nsw --method match --estimand att
            study balance nsw --method match --estimand att --html \(d)/balance.html
            study sensitivity nsw --benchmark educ --method ols,ipw --html \(d)/sensitivity.html
            study report nsw --nuisance linear --html \(d)/report.html
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 6, run.stdout)
        let documents = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        let created = try XCTUnwrap(documents[0] as? [String: Any])
        XCTAssertEqual(created["units"] as? Int, 445)
        XCTAssertEqual(created["treated"] as? Int, 185)
        XCTAssertEqual((documents[1] as? [[String: Any]])?.first?["study"] as? String, "nsw")
        // R's Matching: Match(Y, Tr, X = cbind(age, educ, re74, re75), estimand = "ATT") gives 1.72691
        // with population SE (its default sample = FALSE).
        let matched = try XCTUnwrap(documents[2] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(matched["estimate"] as? Double), 1.72691301785071, accuracy: 1e-7)
        let balance = try XCTUnwrap(documents[3] as? [String: Any])
        XCTAssertEqual(balance["weights_from"] as? String, "match")
        XCTAssertTrue((balance["sd"] as? String ?? "").hasPrefix("the treated units' s₁"))
        let sensitivity = try XCTUnwrap(documents[4] as? [String: Any])
        XCTAssertEqual((sensitivity["bounds"] as? [Any])?.count, 3)
        XCTAssertEqual((sensitivity["e_values"] as? [String: Any])?.keys.sorted(), ["ipw", "ols"])
        let report = try XCTUnwrap(documents[5] as? [String: Any])
        XCTAssertEqual((report["estimates"] as? [String: Any])?.keys.sorted(), ["aipw", "dml", "ipw", "match", "ols", "psmatch"])
        for page in ["balance", "sensitivity", "report"] {
            let html = try String(contentsOfFile: "\(d)/\(page).html", encoding: .utf8)
            XCTAssertTrue(html.contains("<svg"), page)
        }
        XCTAssertTrue(try String(contentsOfFile: "\(d)/report.html", encoding: .utf8).contains("Refutations of aipw"))
    }

    func testErrorsAreOneLineAndNameTheProblem() throws {
        let d = directory.path
        try "t,y,x\n1,2,3\n0,1,\n1,2,5\n0,3,1\n".write(toFile: "\(d)/gap.csv", atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            ("study create s --data \(d)/gap.csv --treatment t --outcome y",
             "causeway: ERROR: \(d)/gap.csv:3: field \"x\" is missing; fill it, or allow --drop-missing (they are counted)\n"),
            ("study estimate nothing --method ipw", "causeway: ERROR: study \"nothing\" does not exist; study create nothing --data FILE.csv … first\n"),
            ("study estimate s --method magic", "causeway: ERROR: --method must be one of ols, match, psmatch, ipw, aipw, dml\n"),
        ]
        for (command, expected) in cases {
            let run = try CausewayBinary.run(["--db", url, "-c", command])
            XCTAssertEqual(run.status, 1, command)
            XCTAssertEqual(run.stderr, expected, command)
        }
        let created = try CausewayBinary.run(["--db", url, "-c", "study create s --data \(d)/gap.csv --treatment t --outcome y --drop-missing"])
        XCTAssertEqual(created.stdout, "created study s: 3 units (2 treated), 1 covariate; 1 row with missing values left out (x: 1)\n", created.stderr)
        let trimmed = try CausewayBinary.run(["--db", url, "-c", "study estimate s --method dml --estimand att"])
        XCTAssertEqual(trimmed.stderr, "causeway: ERROR: study s, method dml: dml estimates the partially linear model's constant effect: --estimand ate only\n")
    }
}
