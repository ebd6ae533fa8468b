import Foundation
import XCTest
@testable import Platform
import Postgres
import Randomization
import _TestSupport

/// Writers racing each other (issue 16): every caller succeeds and prints the one stored, sticky arm.
final class ConcurrencyTests: ExperimentTestCase {
    /// Runs `work(k)` for k in 0..<n on n threads of their own, each with its own connection, all
    /// at once; returns the errors they threw.
    func race(_ n: Int, _ work: @escaping @Sendable (Int, Store) throws -> Void) -> [String] {
        let url = self.url
        let errors = Locked<[String]>([])
        let group = DispatchGroup()
        for k in 0..<n {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do { try work(k, Store(connection: try Connection(.url(url)))) } catch { errors.mutate { $0.append("\(k): \(error)") } }
            }
        }
        group.wait()
        return errors.value
    }

    func testSingleAndBulkAssignmentsOfTheSameUnitsAllSucceedWithTheStoredArm() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        try HoldoutSettings.set(percent: 5, seed: "h", in: store)
        let file = try unitsFile(0..<30_000)
        let contested = (0..<60).map { "u\($0 * 499)" }
        let printed = Locked<[String: Set<String>]>([:])
        let errors = race(9) { k, s in
            if k == 0 || k == 5 {
                try Assigner.assignBulk("e", unitsFile: file, in: s)
                return
            }
            for unit in k % 2 == 0 ? contested : contested.reversed() {
                let r = try Assigner.assign("e", unit: unit, in: s)
                let text: String
                switch r.outcome {
                case .arm(let arm): text = arm
                case .heldOut: text = "held out"
                case .notInExperiment: text = "not in experiment"
                }
                printed.mutate { $0[unit, default: []].insert(text) }
            }
        }
        XCTAssertEqual(errors, [], "no caller fails because another got to a unit first")
        XCTAssertEqual(try count("SELECT count(*) FROM assignments"), 30_000, "one assignment per unit: the bulk wrote what the singles had not")
        let experiment = try Experiment.load("e", on: store.connection)
        let holdout = try HoldoutSettings.current(on: store.connection)
        for unit in contested {
            let stored = try store.connection.query("SELECT coalesce(arm, 'held out') FROM assignments WHERE unit = \(unit)").decodeOne(String.self)
            XCTAssertEqual(printed.value[unit], [stored], "every caller printed the stored arm of \(unit)")
            let hashed: String
            switch try Assigner.decide(unit: unit, cluster: nil, experiment: experiment, holdout: holdout) {
            case .arm(let arm): hashed = arm
            case .heldOut: hashed = "held out"
            case .notInExperiment: hashed = "not in experiment"
            }
            XCTAssertEqual(stored, hashed, "the stored arm is the hash's")
        }
        try assertSumsMatchARebuild("after racing writers")
    }
}

extension ConcurrencyTests {
    /// Several processes creating one new object at once (issue 16, defect 3): imports into a new
    /// metric, feature set or mapping all succeed; of several creates of one experiment exactly one
    /// does and the others hear the sequential refusal; two migrators on a fresh database both succeed.
    /// A large addition swaps a metric's totals table in at its commit while bulk and single
    /// assignments (which read unit_totals for the sums) and lift reports (which read it beside the
    /// sums) run: nobody deadlocks or fails, the reports see the metric whole, the sums match a
    /// rebuild.
    func testALargeImportSwapsItsTotalsBesideAssignersAndReports() throws {
        try ExperimentCatalog.create(.init(name: "e", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("e", in: store)
        try Assigner.assignBulk("e", unitsFile: try unitsFile(0..<60_000), in: store)
        let rows = { (range: Range<Int>, value: Double) in
            try self.csv("unit,value\n" + range.map { "u\($0),\(value)" }.joined(separator: "\n") + "\n")
        }
        try Metrics.importOutcomes(path: try rows(0..<60_000, 1), metric: "revenue", kind: nil, in: store)
        // Capped: the report reads the totals themselves, beside the sums.
        try Metrics.setCap("revenue", to: .value(10), in: store)
        let more = try rows(0..<60_000, 1), later = try unitsFile(60_000..<70_000)
        let seen = Locked<Set<Int>>([])
        let errors = race(4) { k, s in
            switch k {
            case 0: try Metrics.importOutcomes(path: more, metric: "revenue", kind: nil, in: s)
            case 1: try Assigner.assignBulk("e", unitsFile: later, in: s)
            case 2: for u in 70_000..<70_040 { _ = try Assigner.assign("e", unit: "u\(u)", in: s) }
            default:
                for _ in 0..<20 {
                    let report = try LiftReport.run("e", options: .init(metrics: ["revenue"]), in: s)
                    // Every assigned unit of the first 60,000 has total 1 before the import, 2 after.
                    seen.mutate { $0.insert(Int(report.rows.reduce(0) { $0 + $1.mean * Double($1.units) }.rounded())) }
                }
            }
        }
        XCTAssertEqual(errors, [])
        XCTAssertTrue(seen.value.isSubset(of: [60_000, 120_000]), "a report saw part of the metric: \(seen.value)")
        try assertSumsMatchARebuild("after the race")
    }

    func testCreatingTheSameNewObjectAtOnce() throws {
        let outcomes = try csv("unit,value\n" + (0..<2000).map { "u\($0),\($0 % 3)" }.joined(separator: "\n") + "\n")
        let features = try csv("unit,f1,f2\n" + (0..<2000).map { "u\($0),\($0 % 7),0.5" }.joined(separator: "\n") + "\n")
        let clusters = try csv("unit,cluster\n" + (0..<2000).map { "u\($0),c\($0 % 9)" }.joined(separator: "\n") + "\n")
        let created = Locked(0)
        let refusals = Locked<[String]>([])
        let errors = race(8) { k, s in
            switch k % 4 {
            case 0: try Metrics.importOutcomes(path: outcomes, metric: "orders", kind: nil, in: s)
            case 1: try FeatureStore.importCSV(path: features, set: "profile", in: s)
            case 2: try ClusterImport.run(path: clusters, mapping: "cells", in: s)
            default:
                do {
                    try ExperimentCatalog.create(.init(name: "twin", arms: [Arm(name: "a", weight: 50), Arm(name: "b", weight: 50)]), in: s)
                    created.mutate { $0 += 1 }
                } catch let e as PlatformError where e.code == .conflict {
                    refusals.mutate { $0.append(e.description) }
                }
            }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(created.value, 1, "one create of the experiment wins")
        XCTAssertEqual(refusals.value, ["experiment \"twin\" already exists"], "the other hears the sequential refusal")
        XCTAssertEqual(try count("SELECT count(*) FROM outcomes WHERE metric = 'orders'"), 4000, "both imports appended")
        XCTAssertEqual(try count("SELECT count(*) FROM unit_features WHERE feature_set = 'profile'"), 2000)
        XCTAssertEqual(try count("SELECT count(*) FROM unit_clusters WHERE mapping = 'cells'"), 2000, "the second import replaced the first")
        try assertSumsMatchARebuild("after racing imports")

        let (fresh, freshURL) = try TestDatabase.createDatabase()
        defer { TestDatabase.dropDatabase(fresh) }
        let migrated = Locked<[Int]>([])
        let group = DispatchGroup(), failures = Locked<[String]>([])
        for _ in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let applied = try DatabaseAdmin.migrate(Store(connection: try Connection(.url(freshURL))))
                    migrated.mutate { $0.append(applied.count) }
                } catch { failures.mutate { $0.append("\(error)") } }
            }
        }
        group.wait()
        XCTAssertEqual(failures.value, [], "migrators on a fresh database wait for each other")
        XCTAssertEqual(migrated.value.sorted().last, try DatabaseAdmin.migrator().migrations.count, "one applied everything")
        XCTAssertEqual(migrated.value.reduce(0, +), try DatabaseAdmin.migrator().migrations.count, "the others found nothing to do")
    }
}

/// A value several threads change under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
