import Foundation
import XCTest
import _TestSupport

/// With no database configured, the console creates, reuses and stops a private cluster.
final class EmbeddedDefaultTests: XCTestCase {
    func testCreatesReusesAndStopsTheEmbeddedCluster() throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("cw-emb-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let environment = CausewayBinary.environmentWithoutDatabase()
        defer {
            _ = try? CausewayBinary.run(["db", "stop"], environment: environment, workingDirectory: directory)
            try? FileManager.default.removeItem(at: directory)
        }

        let first = try CausewayBinary.run(["--format", "json", "-c", "db migrate", "-c", "db status"],
                                           environment: environment, workingDirectory: directory)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("\"source\":\"embedded default\""), first.stdout)
        XCTAssertTrue(first.stdout.contains(directory.path + "/.causeway/postgres"), first.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path + "/.causeway/postgres/data/PG_VERSION"))

        let start = try CausewayBinary.run(["--format", "json", "db", "start"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(start.status, 0, start.stderr)
        XCTAssertTrue(start.stdout.contains("\"started\":false"), "already running: " + start.stdout)

        let reused = try CausewayBinary.run(["db", "migrate"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(reused.stdout, "schema is up to date\n", "the data survives between invocations")

        let stop = try CausewayBinary.run(["db", "stop"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(stop.stdout, "embedded database stopped\n", stop.stderr)
        let again = try CausewayBinary.run(["db", "stop"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(again.stdout, "embedded database was not running\n")

        let restarted = try CausewayBinary.run(["db", "migrate"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(restarted.status, 0, restarted.stderr)
        XCTAssertEqual(restarted.stdout, "schema is up to date\n", "a stopped cluster starts again on use")
    }

    func testUnreachableFolderFallsBackToTempAndSaysWhere() throws {
        guard geteuid() == 0 else { throw XCTSkip("the fallback for an unreachable folder applies when running as root") }
        // A folder of mode 700 owned by root, like /root: the server user cannot enter it.
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("cw-priv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let environment = CausewayBinary.environmentWithoutDatabase()
        defer {
            _ = try? CausewayBinary.run(["db", "stop"], environment: environment, workingDirectory: directory)
            try? FileManager.default.removeItem(at: directory)
        }
        let run = try CausewayBinary.run(["--format", "json", "db", "status"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("causeway: note: the embedded database is at "), run.stderr)
        XCTAssertTrue(run.stderr.contains("cannot reach"), run.stderr)
        XCTAssertFalse(run.stdout.contains(directory.path + "/.causeway"), run.stdout)
        let fallback = run.stderr.components(separatedBy: " is at ")[1].components(separatedBy: ":")[0]
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: fallback).deletingLastPathComponent().path) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: fallback + "/data/PG_VERSION"), fallback)
        let stop = try CausewayBinary.run(["db", "stop"], environment: environment, workingDirectory: directory)
        XCTAssertEqual(stop.stdout, "embedded database stopped\n", stop.stderr)
    }
}
