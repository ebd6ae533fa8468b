import Foundation
import XCTest
import Postgres
import _TestSupport

/// The built `causeway` binary against the throwaway PostgreSQL: stdout, stderr and exit codes.
final class ConsoleEndToEndTests: XCTestCase {
    var database = ""
    var url = ""

    override func setUpWithError() throws {
        (database, url) = try TestDatabase.createDatabase()
    }

    override func tearDown() {
        TestDatabase.dropDatabase(database)
    }

    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    func testMigrateThenStatusAsJSON() throws {
        let first = try CausewayBinary.run(["--db", url, "--format", "json", "-c", "db migrate", "-c", "db status"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stderr, "")
        let documents = first.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(documents.count, 2, "one JSON document per command")
        let migrated = try json(documents[0]) as? [String: Any]
        // Every file of schema/, in order (read from the checkout, so a new migration needs no edit here).
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path).filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 11)
        XCTAssertEqual(migrated?["applied"] as? [String], files)
        let status = try json(documents[1]) as? [String: Any]
        XCTAssertEqual(status?["pending"] as? Int, 0)
        XCTAssertEqual(status?["source"] as? String, "--db")
        XCTAssertTrue((status?["database"] as? String)?.contains(database) ?? false)
        let migrations = status?["migrations"] as? [[String: Any]]
        XCTAssertEqual(migrations?.first?["state"] as? String, "applied")

        let again = try CausewayBinary.run(["--db", url, "db", "migrate"])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.stdout, "schema is up to date\n")

        let tables = try Connection(.url(url)).query("""
            SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1
            """).decode(String.self)
        // The tables every part of Causeway writes (later migrations add more).
        XCTAssertTrue(Set(tables).isSuperset(of: ["allocation_runs", "allocations", "arm_metric_products", "arm_metric_sums", "arm_units",
                                                  "arm_weights", "arms", "assignments", "experiment_phases", "experiments", "exposures",
                                                  "feature_sets", "graph_edges", "graphs", "holdout", "metric_units", "metrics",
                                                  "model_components", "models", "outcomes", "schema_migrations", "scores", "series",
                                                  "series_metrics", "serve_keys", "true_effects", "unit_clusters", "unit_features",
                                                  "unit_totals", "units"]), "\(tables)")
    }

    func testDatabaseURLFromEnvironmentIsUsed() throws {
        var environment = CausewayBinary.environmentWithoutDatabase()
        environment["DATABASE_URL"] = url
        let run = try CausewayBinary.run(["--format", "csv", "db", "status"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "database,source,server_version,pending,migrations")
        XCTAssertTrue(lines[1].contains(",DATABASE_URL,"), String(lines[1]))
    }

    func testChangedMigrationIsRefused() throws {
        XCTAssertEqual(try CausewayBinary.run(["--db", url, "db", "migrate"]).status, 0)
        try Connection(.url(url)).execute("UPDATE schema_migrations SET checksum = 'tampered'")
        let run = try CausewayBinary.run(["--db", url, "db", "migrate"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr,
                       "causeway: ERROR: schema file 0001_core.sql changed after it was applied; restore it and add a new migration instead\n")
        let status = try CausewayBinary.run(["--db", url, "--format", "json", "db", "status"])
        XCTAssertTrue(status.stdout.contains("\"state\":\"changed\""), status.stdout)
    }

    func testScriptFromFileReportsFileAndLineAndContinues() throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("cw-\(UUID().uuidString).cw")
        try """
            # a comment line
            \\echo start
            db migrate --bogus
            db status \\
              --format
            \\echo end
            """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let run = try CausewayBinary.run(["--db", url, "-f", script.path])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stdout, "start\nend\n")
        let errors = run.stderr.split(separator: "\n")
        XCTAssertEqual(errors.count, 2, run.stderr)
        XCTAssertTrue(errors[0].hasPrefix("causeway:\(script.path):3: ERROR: "), String(errors[0]))
        XCTAssertTrue(errors[1].hasPrefix("causeway:\(script.path):4: ERROR: "), String(errors[1]))

        let stopped = try CausewayBinary.run(["--db", url, "--on-error-stop", "-f", script.path])
        XCTAssertEqual(stopped.status, 3)
        XCTAssertEqual(stopped.stdout, "start\n")
        XCTAssertEqual(stopped.stderr.split(separator: "\n").count, 1)
    }

    func testPipedStandardInputAndDashFile() throws {
        let input = "\\echo one\nnope\n\\format json\ndb migrate\n"
        for arguments in [["--db", url], ["--db", url, "-f", "-"]] {
            let run = try CausewayBinary.run(arguments, input: input)
            XCTAssertEqual(run.status, 1)
            XCTAssertTrue(run.stdout.hasPrefix("one\n"), run.stdout)
            XCTAssertEqual(run.stderr, "causeway:<stdin>:2: ERROR: unknown command \"nope\"; type help for the list\n")
        }
    }

    /// A directory is no script, and a file with no line breaks stops in bounded memory with a
    /// clear error (issue 16, defect 7): both used to exit 0 or grow to gigabytes.
    func testDirectoriesAndEndlessLinesAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.path
        let dash = try CausewayBinary.run(["--db", url, "-f", directory])
        XCTAssertEqual(dash.status, 1)
        XCTAssertEqual(dash.stderr, "causeway: ERROR: \(directory): is a directory, not a script\n")
        let include = try CausewayBinary.run(["--db", url], input: "\\i \(directory)\n\\echo after\n")
        XCTAssertEqual(include.status, 1)
        XCTAssertEqual(include.stdout, "after\n")
        XCTAssertEqual(include.stderr, "causeway:<stdin>:1: ERROR: \(directory): is a directory, not a script\n")
        let zero = try CausewayBinary.run(["--db", url, "-f", "/dev/zero"])
        XCTAssertEqual(zero.status, 1)
        XCTAssertEqual(zero.stderr, "causeway:/dev/zero:1: ERROR: line 1 is longer than 1 MiB; a script line holds one command\n")
    }

    /// Negative numbers, hexadecimal, names that start with a dash or are blank (issue 16, defect 9):
    /// each message says what is wrong ("Missing value" and "needs a subcommand" said nothing).
    func testArgumentMessagesSayWhatIsWrong() throws {
        _ = try CausewayBinary.run(["--db", url, "-c", "db migrate"])
        let run = try CausewayBinary.run(["--db", url, "-c", "holdout set --percent -1", "-c", "holdout set --percent 0x10",
                                          "-c", "experiment create x --arms a:50,b:50 --coverage -0.1",
                                          "-c", "experiment create -dash --arms a:50,b:50", "-c", "experiment create '  ' --arms a:50,b:50",
                                          "-c", "experiment create --arms a:50,b:50 -- -dash"])
        XCTAssertEqual(run.stderr.split(separator: "\n").map(String.init), [
            "causeway: ERROR: holdout percent -1.0 is outside 0 to 50",
            "causeway: ERROR: The value '0x10' is invalid for '--percent <percent>': \"0x10\" is not a decimal number",
            "causeway: ERROR: coverage must be between 0 and 1",
            "causeway: ERROR: experiment create has no option \"-dash\"; a value that starts with - goes after --, as in experiment create -- -dash",
            "causeway: ERROR: an experiment needs a name",
        ])
        XCTAssertTrue(run.stdout.contains("created experiment -dash"), run.stdout)
    }

    func testEchoAllAndTimingAndCommandOrder() throws {
        let run = try CausewayBinary.run(["--db", url, "-a", "-c", "\\echo a", "-c", "\\timing on", "-c", "db migrate"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(5)), ["\\echo a", "a", "\\timing on", "Timing is on.", "db migrate"])
        XCTAssertTrue(lines.last?.hasPrefix("Time: ") ?? false, run.stdout)
        XCTAssertTrue(lines.last?.hasSuffix(" ms") ?? false, run.stdout)
    }

    func testHostileTextIsPrintedLiterally() throws {
        let hostile = "x'); DROP TABLE experiments; --"
        let run = try CausewayBinary.run(["--db", url, "-c", "db migrate", "-c", "\\echo \"\(hostile)\""])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasSuffix(hostile + "\n"), run.stdout)
        let bad = try CausewayBinary.run(["--db", url, "db", hostile])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains(hostile), bad.stderr)
        let count = try Connection(.url(url)).query("SELECT count(*) FROM experiments").decodeOne(Int.self)
        XCTAssertEqual(count, 0, "the experiments table is still there")
    }

    func testBadFlagsExit64WithOneLine() throws {
        for arguments in [["--bogus"], ["--format", "xml", "db", "status"], ["-c"]] {
            let run = try CausewayBinary.run(arguments)
            XCTAssertEqual(run.status, 64, "\(arguments)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertEqual(run.stdout, "")
        }
        let help = try CausewayBinary.run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: causeway"))
    }

    func testConnectionRefusedExits2NamingHostAndDatabaseNotPassword() throws {
        let run = try CausewayBinary.run(["--db", "postgresql://someone:s3cr3t-pw@127.0.0.1:1/analytics", "-c", "db status", "-c", "\\echo never"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stdout, "")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("127.0.0.1"), run.stderr)
        XCTAssertTrue(run.stderr.contains("analytics"), run.stderr)
        XCTAssertFalse(run.stderr.contains("s3cr3t-pw"), run.stderr)
    }

    func testWrongPasswordExits2WithoutThePassword() throws {
        try TestDatabase.ensurePasswordRole()
        let port = URLComponents(string: url)!.port!
        var environment = CausewayBinary.environmentWithoutDatabase()
        environment["PGPASSWORD"] = "env-wr0ng-pass"
        environment["PGHOST"] = "127.0.0.1"
        environment["PGPORT"] = String(port)
        environment["PGUSER"] = "causeway_pw"
        environment["PGDATABASE"] = database
        let fromEnvironment = try CausewayBinary.run(["db", "status"], environment: environment)
        XCTAssertEqual(fromEnvironment.status, 2)
        XCTAssertTrue(fromEnvironment.stderr.contains("password authentication failed"), fromEnvironment.stderr)
        XCTAssertTrue(fromEnvironment.stderr.contains(database), fromEnvironment.stderr)
        XCTAssertFalse(fromEnvironment.stderr.contains("env-wr0ng-pass"), fromEnvironment.stderr)

        let fromFlag = try CausewayBinary.run(["--db", "postgresql://causeway_pw:flag-wr0ng@127.0.0.1:\(port)/\(database)", "db", "status"])
        XCTAssertEqual(fromFlag.status, 2)
        XCTAssertFalse(fromFlag.stderr.contains("flag-wr0ng"), fromFlag.stderr)
    }

    func testStartAndStopRefuseANonEmbeddedDatabase() throws {
        let run = try CausewayBinary.run(["--db", url, "db", "stop"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("manage the embedded database"), run.stderr)
    }
}
