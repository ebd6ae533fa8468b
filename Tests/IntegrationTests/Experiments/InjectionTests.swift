import Foundation
import XCTest
@testable import Platform
import Postgres
import Randomization
import _TestSupport

/// Names shaped like SQL (issue 16, defect 2) never reach SQL text, whatever
/// `standard_conforming_strings` says: under `off`, a backslash escapes the quote that a
/// quote-doubling filter added, and a COPY built from the name ran the `CREATE TABLE` in it.
final class InjectionTests: ExperimentTestCase {
    static let hostile = [
        #"x\')) TO STDOUT; CREATE TABLE pwned AS SELECT 1 AS a; --"#,
        #"x')) TO STDOUT; CREATE TABLE pwned AS SELECT 1 AS a; --"#,
        #"x\"; CREATE TABLE pwned AS SELECT 1 AS a; --"#,
    ]

    /// Reconnects with `standard_conforming_strings` set as asked for the database's new sessions.
    func reconnect(conformingStrings: Bool) throws {
        try store.connection.execute("ALTER DATABASE \(identifier: database) SET standard_conforming_strings = \(unsafeRaw: conformingStrings ? "on" : "off")")
        store = Store(connection: try Connection(.url(url)))
        let setting = try store.connection.query("SHOW standard_conforming_strings").decodeOne(String.self)
        XCTAssertEqual(setting, conformingStrings ? "on" : "off")
    }

    func assertNothingRan(_ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try count("SELECT count(*) FROM pg_class WHERE relname = 'pwned'"), 0, "\(what) ran SQL from a name", file: file, line: line)
    }

    func testMetricNamesInTheHoldoutReport() throws {
        for conforming in [false, true] {
            try reconnect(conformingStrings: conforming)
            try HoldoutSettings.set(percent: 20, seed: "h", in: store)
            let outcomes = try csv("unit,value\n" + (0..<400).map { "u\($0),\($0 % 5)" }.joined(separator: "\n") + "\n")
            for (k, name) in Self.hostile.enumerated() {
                let metric = name + (conforming ? " on" : " off") + " \(k)"
                try Metrics.importOutcomes(path: outcomes, metric: metric, kind: nil, in: store)
                let report = try HoldoutReport.run(metrics: [metric], in: store)
                XCTAssertEqual(report.lines.first?.metric, metric)
                try assertNothingRan("report holdout --metric (standard_conforming_strings \(conforming ? "on" : "off"))")
            }
        }
    }

    func testMappingNamesInClusterAssignment() throws {
        for conforming in [false, true] {
            try reconnect(conformingStrings: conforming)
            for (k, name) in Self.hostile.enumerated() {
                let mapping = name + (conforming ? " on" : " off") + " \(k)"
                let file = try csv("unit,cluster\n" + (0..<60).map { "u\($0),cell-\($0 % 6)" }.joined(separator: "\n") + "\n")
                try ClusterImport.run(path: file, mapping: mapping, in: store)
                var d = ExperimentCatalog.Definition(name: "geo-\(conforming)-\(k)", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)])
                d.design = .cluster
                d.parameters.clusters = mapping
                try ExperimentCatalog.create(d, in: store)
                try ExperimentCatalog.start(d.name, in: store)
                let result = try Assigner.assignBulk(d.name, unitsFile: try unitsFile(0..<60), in: store)
                XCTAssertEqual(result.new, 60)
                try assertNothingRan("assign --units with a cluster mapping (standard_conforming_strings \(conforming ? "on" : "off"))")
            }
        }
    }

    /// Every name-like argument of the console through an SQL-shaped name, with
    /// standard_conforming_strings off and on: nothing it holds runs, and no command fails with an
    /// SQL syntax error (a sign of spliced text).
    func testEveryNameLikeArgumentThroughTheConsole() throws {
        let name = #"x\')) TO STDOUT; CREATE TABLE pwned AS SELECT 1 AS a; --"#  // in the script: x\') …, read as x\') …
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cw-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hostileUnit = #"u\'); DROP TABLE assignments; --"#
        func file(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let units = try file("units.csv", "unit\n" + (0..<200).map { "u\($0)\n" }.joined() + "\"\(hostileUnit)\"\n")
        let outcomes = try file("outcomes.csv", "unit,value,ts,region\n" + (0..<200).map { "u\($0),\($0 % 4),2026-11-22T08:10:00Z,\"\(name)\"\n" }.joined())
        let clusters = try file("clusters.csv", "unit,cluster\n" + (0..<200).map { "u\($0),\"\(name)\($0 % 5)\"\n" }.joined())
        let edges = try file("edges.csv", "source,target\n" + (0..<199).map { "n\($0),n\($0 + 1)\n" }.joined())
        let features = try file("features.csv", "unit,\"\(name)\"\n" + (0..<200).map { "u\($0),\($0 % 3)\n" }.joined())
        for conforming in [false, true] {
            try reconnect(conformingStrings: conforming)
            let q = "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + (conforming ? " on" : " off") + "\""
            let script = """
                holdout set --percent 10 --seed \(q)
                experiment create \(q) --arms control:50,treatment:50 --layer \(q) --range 0:0.5 --seed \(q)
                experiment start \(q)
                assign \(q) \(q)
                assign \(q) --units \(units)
                import outcomes \(outcomes) --metric \(q)
                report lift \(q) --metric \(q)
                report holdout --metric \(q)
                import clusters \(clusters) --mapping \(q)
                import units \(units) --unit-type \(q)
                graph import \(q) \(edges) --unit-type \(q)
                graph list
                import features \(features) --set \(q)
                experiment create sb-\(conforming) --design switchback --regions \(q) --window 30m --burn-in 5m --start 2026-11-22T08:00Z
                experiment start sb-\(conforming)
                assign sb-\(conforming) --at 2026-11-22T08:20Z --region \(q)
                report lift sb-\(conforming) --metric \(q)
                experiment list
                metric list
                """
            let run = try CausewayBinary.run(["--db", url, "-f", "-"], input: script)
            XCTAssertFalse(run.stderr.contains("SQLSTATE 42"), "an SQL syntax error means spliced text:\n\(run.stderr)")
            XCTAssertFalse(run.stderr.contains("syntax error"), run.stderr)
            try assertNothingRan("the console's name-like arguments (standard_conforming_strings \(conforming ? "on" : "off"))")
            XCTAssertGreaterThan(try count("SELECT count(*) FROM assignments"), 0, "the assignments table is still there and used")
        }
    }
}
