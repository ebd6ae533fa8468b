import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import _TestSupport
@testable import Platform
import Randomization
import Stats

/// `causeway serve` as a child process on a free loopback port, spoken to over HTTP.
final class ServeTests: ExperimentTestCase {
    /// A running server; stopped (SIGTERM) at the end of the test unless a test kills it.
    final class Served {
        let process = Process()
        let stderr: URL
        private(set) var base = ""

        init(url: String) throws {
            stderr = FileManager.default.temporaryDirectory.appendingPathComponent("cw-serve-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process.executableURL = try CausewayBinary.url()
            process.arguments = ["--db", url, "serve", "--listen", "127.0.0.1:0"]
            process.standardError = try FileHandle(forWritingTo: stderr)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("serving on http://") }) {
                    base = String(line.dropFirst("serving on ".count).split(separator: " ")[0])
                    return
                }
                guard process.isRunning else { throw TestSupportError("serve exited: \(log)") }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw TestSupportError("serve did not start: \(log)")
        }

        var log: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

        func stop(_ signal: Int32 = SIGTERM) {
            guard process.isRunning else { return }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: stderr)
        }
    }

    /// One HTTP request: status, headers (lowercased names) and body.
    static func http(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil) throws
        -> (status: Int, headers: [String: String], body: String) {
        var request = URLRequest(url: try XCTUnwrap(URL(string: url)))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        request.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, [String: String], String)?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else if let response = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (k, v) in response.allHeaderFields { fields["\(k)".lowercased()] = "\(v)" }
                result = (response.statusCode, fields, String(decoding: data ?? Data(), as: UTF8.self))
            }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        return try XCTUnwrap(result)
    }

    static func events(_ list: [(String, String, Any)], at time: String = "2026-12-06T10:00:00Z") -> Data {
        // never fails: strings and numbers
        try! JSONSerialization.data(withJSONObject: list.map { ["unit": $0.0, "experiment": $0.1, "variation": $0.2, "timestamp": time] })
    }

    func testTheHTTPContract() throws {
        try HoldoutSettings.set(percent: 5, seed: nil, in: store)
        try ExperimentCatalog.create(.init(name: "checkout", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("checkout", in: store)
        try Assigner.assignBulk("checkout", unitsFile: try unitsFile(0..<200), in: store)
        let sdk = try ServeKeys.create(kind: .sdk, name: "web", in: store).secret
        let ingest = try ServeKeys.create(kind: .ingest, in: store).secret
        let served = try Served(url: url)
        let base = served.base

        XCTAssertEqual(try Self.http("GET", base + "/healthz").status, 200)
        let features = try Self.http("GET", base + "/api/features/" + sdk)
        XCTAssertEqual(features.status, 200)
        let etag = try XCTUnwrap(features.headers["etag"])
        XCTAssertNotNil(features.headers["cache-control"])
        let payload = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(features.body.utf8)) as? [String: Any])
        XCTAssertNotNil((payload["features"] as? [String: Any])?["checkout"])
        XCTAssertEqual(try Self.http("GET", base + "/api/features/" + sdk, headers: ["If-None-Match": etag]).status, 304)
        XCTAssertEqual(try Self.http("GET", base + "/api/features/" + ingest).status, 401, "an ingest key is not an SDK key")
        XCTAssertEqual(try Self.http("GET", base + "/api/features/nope").status, 401)

        let post = { (body: Data, key: String) in try Self.http("POST", base + "/api/exposures", headers: ["Authorization": "Bearer " + key], body: body) }
        let arms = Dictionary(uniqueKeysWithValues: try store.connection.query("SELECT unit, arm FROM assignments WHERE NOT held_out")
            .decode((String, String).self))
        let units = Array(arms.keys.sorted().prefix(50))
        let batch = Self.events(units.map { ($0, "checkout", arms[$0]!) })
        XCTAssertEqual(try post(batch, ingest).status, 204)
        XCTAssertEqual(try post(batch, ingest).status, 204, "a retried batch")
        XCTAssertEqual(try count("SELECT count(*) FROM exposures"), 50, "stored once")
        XCTAssertEqual(try post(batch, sdk).status, 401)
        let bad = try post(Data("[{\"unit\": \"u1\", \"experiment\": \"checkout\"".utf8), ingest)
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.body.hasPrefix("{\"error\":\"the body is not valid JSON (at byte "), bad.body)
        let unknownArm = try post(Self.events([("u1", "checkout", "control"), ("u2", "checkout", "purple")]), ingest)
        XCTAssertEqual(unknownArm.status, 400)
        XCTAssertTrue(unknownArm.body.contains("event 2: experiment \\\"checkout\\\" has no arm \\\"purple\\\""), unknownArm.body)
        XCTAssertEqual(try post(Data("{\"unit\": \"u1\", \"experiment\": \"checkout\", \"variation\": 0, \"timestamp\": 1796551500}\nnot json\n".utf8),
                                ingest).status, 400)
        XCTAssertEqual(try count("SELECT count(*) FROM exposures"), 50, "nothing of a refused batch")
        XCTAssertEqual(try post(Data(repeating: UInt8(ascii: " "), count: 17 * 1024 * 1024), ingest).status, 413)
        // An SDK that disagreed: a unit reported in the other arm.
        let other = units[0], otherArm = arms[other] == "control" ? "treatment" : "control"
        XCTAssertEqual(try post(Self.events([(other, "checkout", otherArm)], at: "2026-12-06T11:00:00Z"), ingest).status, 204)
        let shown = try XCTUnwrap(try ExperimentCatalog.show("checkout", in: store).counts?.exposures)
        XCTAssertEqual(shown.arms.map(\.exposed).reduce(0, +), 50)
        XCTAssertEqual(shown.disagreeing, 1)

        // A revoked key is refused within a refresh; the log never holds a key.
        try ServeKeys.revoke("1", in: store)
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(try Self.http("GET", base + "/api/features/" + sdk).status, 401)
        served.stop()
        XCTAssertFalse(served.log.contains(sdk) || served.log.contains(ingest))
        XCTAssertTrue(served.log.contains("path=/api/features/{key}"))
    }

    func testExportRefusesSwitchbacksAndChangedWeightsAndImportsExposures() throws {
        var switchback = ExperimentCatalog.Definition(name: "surge", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)])
        switchback.design = .switchback
        switchback.parameters = .init(regions: ["north"], windowSeconds: 1800)
        try ExperimentCatalog.create(switchback, in: store)
        XCTAssertThrowsError(try GrowthBookExport.payload(names: ["surge"], in: store)) {
            XCTAssertTrue("\($0)".hasPrefix("experiment \"surge\" is a switchback: GrowthBook's SDKs assign by unit"), "\($0)")
        }
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        XCTAssertEqual(try GrowthBookExport.payload(in: store).payload.experiments, ["e"])
        _ = try ExperimentCatalog.set("e", arms: [Arm(name: "control", weight: 20), Arm(name: "treatment", weight: 80)], coverage: nil, in: store)
        XCTAssertThrowsError(try GrowthBookExport.payload(names: ["e"], in: store)) {
            XCTAssertEqual("\($0)", "experiment \"e\" changed its weights in phase 1: units assigned before keep their arm here but an SDK would hash them under the new weights; start a new phase (experiment phase e) to export it")
        }
        XCTAssertEqual(try GrowthBookExport.payload(in: store).skipped.map(\.0), ["e"], "left out of the running set, and said")
        _ = try ExperimentCatalog.newPhase("e", seed: nil, in: store)
        XCTAssertEqual(try GrowthBookExport.payload(in: store).payload.experiments, ["e"], "a new phase exports again")

        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<10), in: store)
        let path = try csv("unit,experiment,variation,timestamp\nu1,e,0,2026-12-06T10:00:00Z\nu2,e,treatment,2026-12-06T10:00:00Z\nu1,e,0,2026-12-06T10:00:00Z\n")
        XCTAssertEqual(try Exposures.importCSV(path: path, in: store).new, 2)
        let bad = try csv("unit,experiment,variation,timestamp\nu1,e,0,2026-12-06T10:00:00Z\nu3,e,7,2026-12-06T10:00:00Z\n")
        XCTAssertThrowsError(try Exposures.importCSV(path: bad, in: store)) {
            XCTAssertEqual("\($0)", "\(bad):3: variation 7 is out of range for experiment \"e\" (2 arms)")
        }
        XCTAssertEqual(try count("SELECT count(*) FROM exposures"), 2)
    }

    /// `report lift --exposed`: only exposed units, and their outcome rows from their first exposure
    /// on (rows without a time count), against the same sums in memory.
    func testReportLiftOnExposedUnitsFromTheirFirstExposure() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<600), in: store)
        let arms = Dictionary(uniqueKeysWithValues: try store.connection.query("SELECT unit, arm FROM assignments").decode((String, String).self))
        var outcomes = "unit,value,ts\n", exposures = "unit,experiment,variation,timestamp\n"
        var values: [String: [String: Double]] = [:]  // arm → unit → value since first exposure
        for i in 0..<600 {
            let unit = "u\(i)", arm = arms[unit]!
            // Two rows a day apart; units exposed on day 2 count only the second; a third of units never exposed.
            let early = Double(i % 7), late = Double(i % 5) + (arm == "treatment" ? 1 : 0)
            outcomes += "\(unit),\(early),2026-12-01T10:00:00Z\n\(unit),\(late),2026-12-02T10:00:00Z\n"
            switch i % 3 {
            case 0:
                exposures += "\(unit),e,\(arm),2026-12-01T09:00:00Z\n\(unit),e,\(arm),2026-12-02T09:00:00Z\n"
                values[arm, default: [:]][unit] = early + late
            case 1:
                exposures += "\(unit),e,\(arm),2026-12-02T09:00:00Z\n"
                values[arm, default: [:]][unit] = late
            default:
                break
            }
        }
        try Metrics.importOutcomes(path: try csv(outcomes), metric: "revenue", kind: nil, in: store)
        _ = try Exposures.importCSV(path: try csv(exposures), in: store)
        var options = LiftReport.Options(metrics: ["revenue"])
        options.exposed = true
        let report = try LiftReport.run("e", options: options, in: store)
        let row = try XCTUnwrap(report.rows.first { $0.arm == "treatment" })
        let c = SampleSummary(Array(values["control"]!.values)), t = SampleSummary(Array(values["treatment"]!.values))
        XCTAssertEqual(row.units, Int(t.count))
        XCTAssertEqual(report.rows.first { $0.arm == "control" }?.units, Int(c.count))
        let expected = Welch.absolute(control: c, treatment: t)
        XCTAssertEqual(try XCTUnwrap(row.absolute).estimate, expected.estimate, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(row.absolute).pValue, expected.pValue, accuracy: 1e-9)
        XCTAssertTrue(report.method.contains("exposed units only"))
    }

    /// SIGTERM while a large batch is in flight: the batch is committed and acknowledged, or refused,
    /// never half-stored; the server exits.
    func testSIGTERMDrainsInFlightBatches() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        let ingest = try ServeKeys.create(kind: .ingest, in: store).secret
        let served = try Served(url: url)
        final class Answer: @unchecked Sendable { var status: Int? }
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        let base = served.base
        let body = Self.events((0..<50_000).map { ("s\($0)", "e", 1) })
        Thread.detachNewThread {
            answer.status = try? Self.http("POST", base + "/api/exposures", headers: ["Authorization": "Bearer " + ingest], body: body).status
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.15)
        served.stop(SIGTERM)
        done.wait()
        XCTAssertFalse(served.process.isRunning)
        let stored = try count("SELECT count(*) FROM exposures")
        if answer.status == 204 { XCTAssertEqual(stored, 50_000) } else { XCTAssertEqual(stored, 0, "refused, so nothing") }
        XCTAssertTrue(stored == 0 || stored == 50_000)
    }

    /// Every acknowledged event survives `kill -9` of the server mid-stream.
    func testAcknowledgedEventsSurviveKillDashNine() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        let ingest = try ServeKeys.create(kind: .ingest, in: store).secret
        let served = try Served(url: url)
        final class Acknowledged: @unchecked Sendable {
            let lock = NSLock()
            var units: [String] = []
        }
        let acknowledged = Acknowledged()
        let done = DispatchSemaphore(value: 0)
        let base = served.base
        Thread.detachNewThread {
            var k = 0
            while true {
                let units = (0..<1000).map { "b\(k)-\($0)" }
                guard let status = try? Self.http("POST", base + "/api/exposures", headers: ["Authorization": "Bearer " + ingest],
                                                  body: Self.events(units.map { ($0, "e", 0) })).status else { break }
                if status == 204 { acknowledged.lock.withLock { acknowledged.units += units } }
                k += 1
            }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 1.5)
        served.stop(SIGKILL)
        done.wait()
        let stored = Set(try store.connection.query("SELECT unit FROM exposures").decode(String.self))
        let acked = acknowledged.lock.withLock { acknowledged.units }
        XCTAssertGreaterThan(acked.count, 1000, "batches were acknowledged before the kill")
        XCTAssertTrue(Set(acked).isSubset(of: stored), "\(Set(acked).subtracting(stored).count) acknowledged events are missing")
        XCTAssertEqual(stored.count % 1000, 0, "whole batches only")
    }

    /// A Python with GrowthBook's SDK, growthbook==4.0.0 from PyPI, in `.build-test-venv` at the
    /// package's root (tools/test makes it; made here when missing).
    static func growthBookPython() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".build-test-venv")
        let python = venv.appendingPathComponent("bin/python").path
        func sh(_ arguments: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = arguments
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestSupportError("failed: \(arguments.joined(separator: " "))") }
        }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import importlib.metadata as m; assert m.version('growthbook') == '4.0.0'"]
        if FileManager.default.isExecutableFile(atPath: python), (try? check.run()) != nil {
            check.waitUntilExit()
            if check.terminationStatus == 0 { return python }
        }
        try sh(["python3", "-m", "venv", venv.path])
        try sh([python, "-m", "pip", "install", "--quiet", "growthbook==4.0.0"])
        return python
    }

    /// GrowthBook's Python SDK, pointed at `causeway serve`, assigns 100,000 ids exactly as Causeway
    /// does: 2 and 3 arms, unequal weights, coverage below 1, hash versions 1 and 2, two experiments in
    /// one layer, the universal holdout, a cluster design. Its tracking callbacks, posted as
    /// exposures, come back in `experiment show`.
    func testGrowthBookSDKAssignsExactlyAsCauseway() throws {
        let python = try Self.growthBookPython()
        let n = 100_000
        try HoldoutSettings.set(percent: 5, seed: nil, in: store)
        let mapping = try csv("unit,cluster\n" + (0..<n).map { "u\($0),cell-\($0 % 97)" }.joined(separator: "\n") + "\n")
        try ClusterImport.run(path: mapping, mapping: "cells", in: store)
        func arms(_ text: String) throws -> [Arm] { try Arm.parseList(text) }
        var definitions: [ExperimentCatalog.Definition] = []
        definitions.append(.init(name: "two", arms: try arms("control:50,treatment:50")))
        var three = ExperimentCatalog.Definition(name: "three", arms: try arms("a:20,b:30,c:50"))
        three.coverage = 0.8
        three.hashVersion = .v1
        definitions.append(three)
        definitions.append(.init(name: "unequal", arms: try arms("control:10,treatment:90")))
        var left = ExperimentCatalog.Definition(name: "left", arms: try arms("control:50,treatment:50"))
        left.layer = Namespace(id: "homepage", start: 0, end: 0.4)
        var right = ExperimentCatalog.Definition(name: "right", arms: try arms("control:34,treatment:66"))
        right.layer = Namespace(id: "homepage", start: 0.4, end: 1)
        right.hashVersion = .v1
        definitions += [left, right]
        var geo = ExperimentCatalog.Definition(name: "geo", arms: try arms("control:50,treatment:50"))
        geo.design = .cluster
        geo.parameters.clusters = "cells"
        definitions.append(geo)
        let units = try unitsFile(0..<n)
        for d in definitions {
            try ExperimentCatalog.create(d, in: store)
            try ExperimentCatalog.start(d.name, in: store)
            try Assigner.assignBulk(d.name, unitsFile: units, in: store)
        }
        var causeway: [String: [String: String]] = [:]
        for (unit, name, arm) in try store.connection.query("""
            SELECT a.unit, e.name, a.arm FROM assignments a JOIN experiments e ON e.id = a.experiment_id WHERE NOT a.held_out
            """).decode((String, String, String).self) {
            causeway[name, default: [:]][unit] = arm
        }
        let sdk = try ServeKeys.create(kind: .sdk, in: store).secret
        let ingest = try ServeKeys.create(kind: .ingest, in: store).secret
        let served = try Served(url: url)
        let ids = try csv((0..<n).map { "u\($0),cell-\($0 % 97)" }.joined(separator: "\n") + "\n")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cw-sdk-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("growthbook_interop.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, served.base, sdk, ingest, ids, "cells", out.path] + definitions.map(\.name)
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, served.log.suffix(2000).description)

        var disagreements = 0, inExperiment: [String: [String: Int]] = [:], evaluated = 0
        for line in try String(contentsOf: out, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let (unit, name, arm) = (parts[0], parts[1], parts[2])
            evaluated += 1
            let expected = causeway[name]?[unit] ?? ""
            if arm != expected {
                disagreements += 1
                if disagreements <= 5 { XCTFail("\(name) \(unit): SDK \"\(arm)\", Causeway \"\(expected)\"") }
            }
            if !arm.isEmpty { inExperiment[name, default: [:]][arm, default: 0] += 1 }
        }
        XCTAssertEqual(evaluated, n * definitions.count)
        XCTAssertEqual(disagreements, 0)
        // Every branch was exercised: held-out units, units outside coverage and outside each layer range.
        XCTAssertEqual(Double(n - causeway["two"]!.count) / Double(n), 0.05, accuracy: 0.005, "the holdout")
        XCTAssertEqual(Double(causeway["three"]!.count) / Double(n), 0.95 * 0.8, accuracy: 0.01, "coverage")
        XCTAssertEqual(Double(causeway["left"]!.count) / Double(n), 0.95 * 0.4, accuracy: 0.01, "the layer")
        for d in definitions {
            let shown = try XCTUnwrap(try ExperimentCatalog.show(d.name, in: store).counts?.exposures, d.name)
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: shown.arms.map { ($0.name, $0.exposed) }).filter { $0.value > 0 },
                           inExperiment[d.name] ?? [:], "\(d.name): exposures posted by the SDK's tracking callback")
            XCTAssertEqual(shown.disagreeing, 0, d.name)
        }
    }
}
