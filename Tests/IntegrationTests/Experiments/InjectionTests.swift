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
}
