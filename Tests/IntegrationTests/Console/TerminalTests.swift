import Foundation
import XCTest
import Postgres
import _TestSupport

/// The console on a real pseudo-terminal (util-linux `script`): prompts, continuation and history.
final class TerminalTests: XCTestCase {
    func testPromptContinuationAndHistory() throws {
        let history = FileManager.default.temporaryDirectory.appendingPathComponent("cw-history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: history) }
        let (text, status) = try typed(url: "postgresql://nobody@127.0.0.1:1/none", ["\\echo hi there\ndb \\\nstatus --bogus\n\\q\n"],
                                       history: history)

        XCTAssertTrue(text.contains("causeway=> \\echo hi there\nhi there\n"), text)
        XCTAssertTrue(text.contains("causeway=> db \\\ncauseway-> status --bogus\nERROR: Unknown option '--bogus'\n"), text)
        XCTAssertEqual(status, 0, "as psql, an interactive session that ends normally exits 0")
        let saved = try String(contentsOf: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("hi"), saved)
        XCTAssertTrue(saved.contains("status"), saved)
    }

    /// Ctrl-C while a command waits on the server cancels its statement, as in psql: the command
    /// fails with one line and the session goes on. The wait: another connection holds the
    /// migrator's lock ("CAUSEWAY" as a bigint), so `db migrate` blocks until cancelled.
    func testControlCCancelsTheRunningStatementAndTheSessionGoesOn() throws {
        let (database, url) = try TestDatabase.createDatabase()
        defer { TestDatabase.dropDatabase(database) }
        let holder = try Connection(.url(url))
        try holder.execute("SELECT pg_advisory_lock(\(Int64(0x4341_5553_4557_4159)))")
        let (text, status) = try typed(url: url, ["db migrate\n", "\u{3}", "\\echo still here\n\\q\n"])
        _ = try? holder.execute("SELECT pg_advisory_unlock_all()")

        XCTAssertTrue(text.contains("Cancel request sent"), text)
        XCTAssertTrue(text.contains("ERROR: canceling statement due to user request"), text)
        XCTAssertTrue(text.contains("still here"), text)
        XCTAssertEqual(status, 0, text)
    }

    /// A command busy in Swift has no statement to cancel: a second Ctrl-C ends the console (130).
    /// Meanwhile its progress bar shows which phase it is in.
    func testSecondControlCStopsACommandBusyInSwift() throws {
        let (database, url) = try TestDatabase.createDatabase()
        defer { TestDatabase.dropDatabase(database) }
        // Each press lands two seconds after the one before, while the simulation (half a minute) runs.
        let (text, status) = try typed(url: url, ["db migrate\n", "simulate units 1000000 --setup binary --name busy\n", "\u{3}",
                                                  "\u{3}", "\\echo still here\n\\q\n"])
        XCTAssertTrue(text.contains("Cancel request sent"), text)
        XCTAssertTrue(text.contains("interrupted; what the command had not committed is rolled back"), text)
        // On a terminal, long work draws a progress bar on stderr (after half a second).
        XCTAssertTrue(text.contains("generating units  "), text)
        XCTAssertFalse(text.contains("still here"), text)
        XCTAssertEqual(status, 130, text)
        let experiments = try Connection(.url(url)).query("SELECT count(*) FROM experiments").decodeOne(Int.self)
        XCTAssertEqual(experiments, 0, "nothing of the simulation was kept")
    }

    /// Types each chunk into the console on a pseudo-terminal, two seconds apart; returns what it
    /// printed and its exit status. History goes to `history`, or to a file removed afterwards.
    private func typed(url: String, _ chunks: [String], history given: URL? = nil) throws -> (String, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        // `script` runs the command with `$SHELL -c`; `exec` keeps a shell from sitting between the
        // terminal and the console (dash, /bin/sh here, would itself die of the Ctrl-C and report 130).
        process.arguments = ["-qec", "exec \(try CausewayBinary.url().path) --db \(url)", "/dev/null"]
        let history = given ?? FileManager.default.temporaryDirectory.appendingPathComponent("cw-history-\(UUID().uuidString)")
        defer { if given == nil { try? FileManager.default.removeItem(at: history) } }
        var environment = ProcessInfo.processInfo.environment
        environment["CAUSEWAY_HISTORY"] = history.path
        environment["SHELL"] = "/bin/sh"  // the same on every machine: CI's environment has no SHELL
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // If the console died, writing to it fails (EPIPE) instead of killing the test runner.
        signal(SIGPIPE, SIG_IGN)
        let writer = input.fileHandleForWriting
        for (k, chunk) in chunks.enumerated() {
            if k > 0 { Thread.sleep(forTimeInterval: 2) }
            try? writer.write(contentsOf: Data(chunk.utf8))
        }
        try? writer.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .replacingOccurrences(of: "\r", with: "")
        process.waitUntilExit()
        return (text, process.terminationStatus)
    }
}
