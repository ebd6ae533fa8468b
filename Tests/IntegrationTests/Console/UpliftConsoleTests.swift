import Foundation
import XCTest
import Postgres
import _TestSupport

/// simulate, import features and model commands through the built binary.
final class UpliftConsoleTests: ConsoleTestCase {
    func testSimulateTrainShowScoreInJSON() throws {
        let script = """
            simulate units 3000 --setup B --name trial --seed 3
            model train trial-t --experiment trial --outcome y --learner t --rounds 30
            model show trial-t
            model score trial-t
            model list
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let documents = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        XCTAssertEqual(documents.count, 5)
        let show = try XCTUnwrap(documents[2] as? [String: Any])
        let pehe = try XCTUnwrap(show["pehe"] as? Double)
        let arms = try XCTUnwrap(show["arms"] as? [[String: Any]])
        let constant = try XCTUnwrap(arms.first?["pehe_of_constant"] as? Double)
        XCTAssertLessThan(pehe, constant, "the model beats the constant on setup B")
        XCTAssertEqual(show["learner"] as? String, "t")
        XCTAssertEqual((documents[3] as? [String: Any])?["units"] as? Int, 3000)
        XCTAssertEqual((documents[4] as? [[String: Any]])?.count, 1)
    }

    func testErrorsNameTheLineAndWriteNothing() throws {
        let features = directory.appendingPathComponent("features.csv")
        try "unit,a,b\nu1,1,2\nu2,3,NaN\n".write(to: features, atomically: true, encoding: .utf8)
        let script = """
            import features \(features.path) --set extra
            model train nope --experiment missing --outcome y
            simulate units 100 --setup Z --name z
            model show nope
            """
        let run = try CausewayBinary.run(["--db", url, "-f", "-"], input: script)
        XCTAssertEqual(run.status, 1, "a script with errors (without --on-error-stop) exits 1")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            "causeway:<stdin>:1: ERROR: \(features.path):3: feature \"b\" is NaN; features must be finite",
            "causeway:<stdin>:2: ERROR: experiment \"missing\" does not exist",
            "causeway:<stdin>:3: ERROR: --setup must be A, B, C, D, binary or vouchers",
            "causeway:<stdin>:4: ERROR: model \"nope\" does not exist",
        ])
        let count = try Connection(.url(url)).query("SELECT count(*) FROM feature_sets").decodeOne(Int.self)
        XCTAssertEqual(count, 0)
    }

    func testQiniInJSONAndHTML() throws {
        let page = directory.appendingPathComponent("qini.html")
        let script = """
            simulate units 3000 --setup binary --name promo --seed 2
            model train promo-t --experiment promo --outcome y --rounds 20
            qini promo-t --bootstrap 20 --html \(page.path)
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let last = try XCTUnwrap(run.stdout.split(separator: "\n").last)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let scores = try XCTUnwrap((object["scores"] as? [[String: Any]])?.first)
        for key in ["qini_auc_score", "uplift_auc_score", "uplift_at_k", "causalml_qini_score", "causalml_auuc_score",
                    "qini_auc_score_interval", "uplift_by_percentile"] {
            XCTAssertNotNil(scores[key], key)
        }
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 2, "a Qini and an uplift chart")
        let bad = try CausewayBinary.run(["--db", url, "-c", "qini"])
        XCTAssertEqual(bad.stderr, "causeway: ERROR: name a model, or give --scores FILE.csv (not both)\n")
    }

    func testAllocateReportsAgainstBaselinesAndMakesAPolicyExperiment() throws {
        let page = directory.appendingPathComponent("allocation.html")
        let policy = directory.appendingPathComponent("policy.toml")
        try """
            name = "levels"
            objective = "max_incremental_profit"
            budget = 300
            value_per_conversion = 30

            [[arms]]
            name = "voucher5"
            face_value = 5
            redemption = 0.4

            [[arms]]
            name = "voucher10"
            face_value = 10
            redemption = 0.45
            """.write(to: policy, atomically: true, encoding: .utf8)
        let script = """
            holdout set --percent 5
            simulate units 4000 --setup vouchers --arms 2 --name levels --seed 5
            model train levels-t --experiment levels --outcome y --learner t --rounds 20
            model score levels-t
            allocate \(policy.path) --model levels-t --html \(page.path)
            allocate \(policy.path) --model levels-t --experiment levels-eval
            allocation show 2
            """
        let run = try CausewayBinary.run(["--db", url, "--format", "json", "--on-error-stop", "-f", "-"], input: script)
        XCTAssertEqual(run.status, 0, run.stderr)
        let documents = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let allocate = try XCTUnwrap(documents.first { $0["comparison"] != nil && $0["experiment"] == nil })
        for key in ["spend", "value", "lp_bound", "gap"] { XCTAssertNotNil(allocate[key] as? Double, key) }
        let lines = try XCTUnwrap(allocate["comparison"] as? [[String: Any]])
        XCTAssertEqual(lines.compactMap { $0["targeting"] as? String }.prefix(3), ["uplift policy", "random targeting", "highest predicted response"])
        let profit = lines.map { (($0["value"] as? Double) ?? 0) - (($0["spend"] as? Double) ?? 0) }
        XCTAssertEqual(profit[0], try XCTUnwrap(profit.max()), "the policy's predicted profit is the best at the budget")
        XCTAssertNotNil(lines[0]["true_conversions"] as? Double, "simulated units carry their true effects")
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 1, "value against spend")
        XCTAssertTrue(html.contains("highest predicted response"))
        let experiment = try XCTUnwrap(documents.first { $0["experiment"] as? String == "levels-eval" && $0["held_out"] != nil })
        XCTAssertGreaterThan(try XCTUnwrap(experiment["held_out"] as? Int), 0)
        let show = try XCTUnwrap(documents.last)
        XCTAssertEqual(show["experiment"] as? String, "levels-eval")

        let dry = try CausewayBinary.run(["--db", url, "-c", "allocate \(policy.path) --model levels-t --experiment x --dry-run"])
        XCTAssertEqual(dry.stderr, "causeway: ERROR: --experiment writes an experiment and its run; it cannot be a --dry-run\n")
    }
}
