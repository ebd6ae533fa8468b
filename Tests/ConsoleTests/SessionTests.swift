import Foundation
import XCTest
@testable import Console
@testable import Platform

/// The session's grammar, meta-commands and error handling, without a database.
final class SessionTests: XCTestCase {
    /// A target that is never reached: these tests run no database command.
    let unreachable = DatabaseTarget.flag("host=/nonexistent-causeway-test port=1 connect_timeout=1")

    private func run(_ script: String, name: String? = "script.cw", onErrorStop: Bool = false,
                     format: OutputFormatName = .aligned) -> (CapturedIO, Int32) {
        let io = CapturedIO()
        let session = Session(context: CommandContext(target: unreachable, note: { _ in }), io: io,
                              format: format, onErrorStop: onErrorStop)
        var halt: Session.Halt?
        do { try session.run(StringLineSource(script, name: name)) } catch { halt = error }
        return (io, session.exitStatus(after: halt))
    }

    func testErrorsNameFileAndLineAndScriptGoesOn() {
        let (io, status) = run("\\echo one\n\n# comment\nfrobnicate now\n\\echo two")
        XCTAssertEqual(io.stdout, "one\ntwo\n")
        XCTAssertEqual(io.stderr, "causeway:script.cw:4: ERROR: unknown command \"frobnicate\"; type help for the list\n")
        XCTAssertEqual(status, 1)
    }

    func testOnErrorStopHaltsWithStatus3() {
        let (io, status) = run("\\echo one\ndb migrate --no-such-flag\n\\echo never", onErrorStop: true)
        XCTAssertEqual(io.stdout, "one\n")
        XCTAssertTrue(io.stderr.hasPrefix("causeway:script.cw:2: ERROR: "), io.stderr)
        XCTAssertTrue(io.stderr.contains("--no-such-flag"), io.stderr)
        XCTAssertEqual(io.stderr.filter { $0 == "\n" }.count, 1, "one line")
        XCTAssertEqual(status, 3)
    }

    func testFailedHelpObeysOnErrorStop() {
        let (io, status) = run("help nope\n\\echo never", onErrorStop: true)
        XCTAssertEqual(io.stdout, "")
        XCTAssertEqual(status, 3)
    }

    func testUnknownSubcommandAndMissingSubcommand() {
        let (io, status) = run("db frob\ndb")
        XCTAssertEqual(io.stderr, """
            causeway:script.cw:1: ERROR: unknown command "db frob"; type help for the list
            causeway:script.cw:2: ERROR: db needs a subcommand: migrate, status, rebuild-sums, distribute, start, stop

            """)
        XCTAssertEqual(status, 1)
    }

    func testContinuationJoinsLinesAndReportsTheFirst() {
        let (io, _) = run("\\echo a \\\nb \\\nc\nnope")
        XCTAssertEqual(io.stdout, "a b c\n")
        XCTAssertTrue(io.stderr.hasPrefix("causeway:script.cw:4:"), io.stderr)
    }

    func testQuitStopsWithoutError() {
        let (io, status) = run("\\echo a\n\\q\n\\echo b")
        XCTAssertEqual(io.stdout, "a\n")
        XCTAssertEqual(status, 0)
    }

    func testFormatAndTimingMetaCommands() {
        let (io, status) = run("\\format\n\\format json\n\\format\n\\format xml\n\\timing on\n\\timing\n\\timing maybe")
        XCTAssertEqual(io.stdout, "Output format is aligned.\nOutput format is json.\nTiming is on.\nTiming is off.\n")
        XCTAssertEqual(io.stderr.split(separator: "\n").count, 2)
        XCTAssertTrue(io.stderr.contains("unknown format \"xml\""))
        XCTAssertEqual(status, 1)
    }

    func testHelpListsCommandsAndShowsUsage() {
        let (io, status) = run("help\nhelp db migrate\ndb status --help\nhelp nope")
        XCTAssertNotNil(io.stdout.range(of: #"\n  db migrate +Apply pending schema migrations"#, options: .regularExpression), io.stdout)
        XCTAssertNotNil(io.stdout.range(of: #"\n  assign +Assign a unit"#, options: .regularExpression), io.stdout)
        XCTAssertTrue(io.stdout.contains("USAGE: causeway db migrate"), io.stdout)
        XCTAssertTrue(io.stdout.contains("USAGE: causeway db status"), io.stdout)
        XCTAssertTrue(io.stdout.contains("\\format [aligned|csv|json]"))
        XCTAssertEqual(io.stderr, "causeway:script.cw:4: ERROR: no help for \"nope\": unknown command; type help for the list\n")
        XCTAssertEqual(status, 1)
    }

    func testUnterminatedQuoteAndUnknownMetaAreErrors() {
        let (io, status) = run("\\echo 'open\n\\frob")
        XCTAssertEqual(io.stderr, """
            causeway:script.cw:1: ERROR: unterminated quoted string
            causeway:script.cw:2: ERROR: invalid command \\frob; try \\? for help

            """)
        XCTAssertEqual(status, 1)
    }

    func testIncludeRunsAFileWithItsOwnName() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cw-include-\(UUID().uuidString).cw").path
        try "\\echo inside\nbad-command\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (io, status) = run("\\echo before\n\\i \(path)\n\\i /nonexistent/x.cw\n\\echo after")
        XCTAssertEqual(io.stdout, "before\ninside\nafter\n")
        let lines = io.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("causeway:\(path):2: ERROR:"), String(lines[0]))
        XCTAssertTrue(lines[1].hasPrefix("causeway:script.cw:3: ERROR: /nonexistent/x.cw:"), String(lines[1]))
        XCTAssertEqual(status, 1)
    }

    func testIncludeRecursionIsBounded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cw-loop-\(UUID().uuidString).cw").path
        try "\\i \(path)\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (io, status) = run("\\i \(path)")
        XCTAssertTrue(io.stderr.contains("more than 16 deep"), io.stderr)
        XCTAssertEqual(status, 1)
    }

    func testCommandStringsReportWithoutFileName() {
        let (io, _) = run("nope", name: nil)
        XCTAssertEqual(io.stderr, "causeway: ERROR: unknown command \"nope\"; type help for the list\n")
    }

    func testEveryLineOfGarbageIsAnErrorNotACrash() {
        let garbage = ["\\", "'", "\"", "\\\\\\", "--help", "-", "db --", "db migrate extra words", "\u{0}", "help help help",
                       "\\i", "\\format a b", String(repeating: "x", count: 10_000), "db status --format", "💥 'é'",
                       "experiment create x --arms a:50,b:50 --window 99999999999999999d", "experiment create x --arms \(String(repeating: "a:0,", count: 40_000))b:100",
                       "experiment create x --arms a:50,b:50 --coverage nan", "assign x --at 99999-01-01 --region r"]
        let (io, status) = run(garbage.joined(separator: "\n"))
        // 1 when every line failed on its own; 2 once a line got far enough to need the (unreachable) database.
        XCTAssertTrue([1, 2].contains(status), "\(status)")
        XCTAssertFalse(io.stderr.isEmpty)
        XCTAssertTrue(io.stderr.contains("--window \"99999999999999999d\" is too long"), io.stderr)
        XCTAssertTrue(io.stderr.contains("appears twice"), io.stderr)
    }
}

final class HistoryFileTests: XCTestCase {
    /// As psql's HISTFILE: /dev/null turns history off (saving would chmod it to 0600 for everyone).
    func testDevNullMeansNoHistory() {
        XCTAssertNil(TerminalLineSource.historyFile("/dev/null"))
        XCTAssertNil(TerminalLineSource.historyFile(""))
        XCTAssertNil(TerminalLineSource.historyFile(nil))
        XCTAssertEqual(TerminalLineSource.historyFile("/home/me/.causeway_history"), "/home/me/.causeway_history")
    }
}
