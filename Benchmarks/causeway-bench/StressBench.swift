import Dispatch
import Foundation
import Platform
import Postgres
import Randomization
import Stats

/// `causeway-bench stress SECONDS [WORKERS] CAUSEWAY`: WORKERS threads each run the console binary
/// again and again for SECONDS against a fresh database, mixing single assigns, bulk assigns of
/// overlapping files, outcome imports into new and existing metrics, changes of weights and
/// allocate dry runs; then checks the invariants of issue 16:
/// - every unit has one assignment per experiment and phase, equal to the hash under the weights in
///   force when it arrived (the holdout's units held out), and every single assign printed it;
/// - the kept lift sums equal `causeway_rebuild_lift_sums()`;
/// - no command failed;
/// - the rows each import reported equal what is stored.
enum StressBench {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        var printed: [String: Set<String>] = [:]
        var imported: [String: Int] = [:]
        var failures: [String] = []
        var commands = 0
        func with(_ body: (Log) -> Void) { lock.withLock { body(self) } }
    }

    static let pool = 14_000, files = 6

    static func run(adminURL: String, seconds: Double, workers: Int, causeway: String) throws -> Bool {
        let admin = try Connection(.url(adminURL))
        let database = "causeway_stress_\(ProcessInfo.processInfo.processIdentifier)"
        try admin.execute("DROP DATABASE IF EXISTS \(identifier: database)")
        try admin.execute("CREATE DATABASE \(identifier: database)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(identifier: database) WITH (FORCE)") }
        guard let slash = adminURL.range(of: "/", options: .backwards) else { throw PlatformError("DATABASE_URL has no database") }
        let url = String(adminURL[..<slash.upperBound]) + database
        let directory = try setUp(url: url)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let log = Log()
        let deadline = Date().addingTimeInterval(seconds)
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var i = 0
                while Date() < deadline {
                    step(worker: worker, iteration: i, url: url, causeway: causeway, directory: directory, log: log)
                    i += 1
                }
            }
        }
        group.wait()
        print("stress: \(log.commands) commands by \(workers) workers in \(Int(seconds)) s")
        return try check(url: url, log: log)
    }

    /// A fresh store: the schema, a 5 % holdout, a running 50/50 experiment, a metric with rows,
    /// overlapping unit files, outcome files, a policy and its scores.
    static func setUp(url: String) throws -> String {
        let store = Store(connection: try Connection(.url(url)))
        _ = try DatabaseAdmin.migrate(store)
        try HoldoutSettings.set(percent: 5, seed: "stress-holdout", in: store)
        try ExperimentCatalog.create(.init(name: "stress", arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start("stress", in: store)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cw-stress-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws { try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) }
        for k in 0..<files {
            try write("units-\(k).csv", "unit\n" + (k * 2000..<k * 2000 + 4000).map { "u\($0)\n" }.joined())
            try write("outcomes-\(k).csv", "unit,value\n" + (k * 1000..<k * 1000 + 1500).map { "u\($0),\($0 % 7)\n" }.joined())
        }
        try write("scores.csv", "unit,arm,uplift\n" + (0..<400).flatMap { i in ["u\(i),v5,\(Double(i % 13) / 100 - 0.02)\n",
                                                                                  "u\(i),v10,\(Double(i % 17) / 80 - 0.03)\n"] }.joined())
        try write("policy.toml", """
            name = "stress"
            objective = "max_incremental_conversions"
            budget = 300
            [[arms]]
            name = "v5"
            cost = 5
            [[arms]]
            name = "v10"
            cost = 10
            """)
        return directory
    }

    /// One console command, chosen by worker and iteration, its output recorded.
    static func step(worker: Int, iteration i: Int, url: String, causeway: String, directory: String, log: Log) {
        var g = SplitMix64(seed: UInt64(worker * 1_000_003 + i))
        let command: String
        switch (worker + i) % 6 {
        case 0, 1: command = "assign stress u\(Int(g.uniform() * Double(pool)))"
        case 2: command = "assign stress --units \(directory)/units-\(Int(g.uniform() * Double(files))).csv"
        case 3: command = "import outcomes \(directory)/outcomes-\(Int(g.uniform() * Double(files))).csv --metric "
            + (i % 2 == 0 ? "revenue" : "new_\(i % 3)")
        case 4: command = "experiment set stress --arms " + (i % 2 == 0 ? "control:30,treatment:70" : "control:50,treatment:50")
        default: command = "allocate \(directory)/policy.toml --scores \(directory)/scores.csv --dry-run"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: causeway)
        process.arguments = ["--db", url, "--format", "json", "-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { log.with { $0.failures.append("\(command): \(error)") }; return }
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any]
        log.with { log in
            log.commands += 1
            guard process.terminationStatus == 0, let json else {
                log.failures.append("\(command): \(String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
                return
            }
            if command.hasPrefix("assign stress u"), let unit = json["unit"] as? String {
                let shown = (json["arm"] as? String) ?? ((json["held_out"] as? Bool) == true ? "held out" : "not in experiment")
                log.printed[unit, default: []].insert(shown)
            }
            if command.hasPrefix("import outcomes"), let metric = json["metric"] as? String, let rows = json["rows"] as? Int {
                log.imported[metric, default: 0] += rows
            }
        }
    }

    static func check(url: String, log: Log) throws -> Bool {
        let c = try Connection(.url(url))
        var failed: [String] = []
        func verdict(_ name: String, _ problems: [String]) {
            print("stress: \(problems.isEmpty ? "ok" : "FAILED")  \(name)" + (problems.isEmpty ? "" : ": " + problems.prefix(3).joined(separator: "; ")))
            if !problems.isEmpty { failed.append(name) }
        }
        verdict("no command failed (\(log.failures.count) of \(log.commands))", log.failures)

        // The hash under the weights in force at arrival, and the holdout.
        let (seed, version, coverage) = try c.query("SELECT seed, hash_version, coverage FROM experiments WHERE name = 'stress'")
            .decodeOne((String, Int, Double).self)
        let holdout = try HoldoutSettings.current(in: Store(connection: c))
        let rows = try c.query("""
            SELECT a.unit, a.arm, a.held_out, w.weights FROM assignments a JOIN experiments e ON e.id = a.experiment_id
            JOIN LATERAL (SELECT weights FROM arm_weights x WHERE x.experiment_id = a.experiment_id AND x.phase = a.phase
                          AND x.valid_from <= a.assigned_at ORDER BY x.valid_from DESC LIMIT 1) w ON true
            WHERE e.name = 'stress'
            """).decode((String, String?, Bool, [Double]).self)
        var wrong: [String] = []
        var splits: [[Double]: UserSplit] = [:]
        for (unit, arm, heldOut, weights) in rows {
            if holdout?.group(of: unit) == .heldOut {
                if !heldOut { wrong.append("\(unit) is in the holdout but got \(arm ?? "?")") }
                continue
            }
            let split = try splits[weights] ?? UserSplit(arms: [Arm(name: "control", weight: weights[0]), Arm(name: "treatment", weight: weights[1])],
                                                         seed: seed, hashVersion: HashVersion(rawValue: version) ?? .v2, coverage: coverage)
            splits[weights] = split
            let expected = split.assign(unit).map { ["control", "treatment"][$0] }
            if arm != expected { wrong.append("\(unit): stored \(arm ?? "none"), the hash under \(weights) gives \(expected ?? "none")") }
        }
        verdict("\(rows.count) assignments are the hash under the weights in force at arrival", wrong)
        let stored = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.2 ? "held out" : $0.1 ?? "") })
        verdict("\(log.printed.count) units assigned one at a time printed their stored arm",
                log.printed.compactMap { unit, shown in shown == [stored[unit] ?? "not in experiment"] ? nil : "\(unit) printed \(shown.sorted())" })

        let sums = try DatabaseAdmin.keptSumsMismatches(Store(connection: c)).map { "\($0.table): \($0.rows) rows differ" }
        verdict("the kept lift sums equal a rebuild", sums)

        let counts = Dictionary(uniqueKeysWithValues: try c.query("SELECT metric, count(*)::bigint FROM outcomes GROUP BY metric")
            .decode((String, Int).self))
        verdict("the rows imports reported are stored (\(log.imported.values.reduce(0, +)) rows)",
                log.imported.compactMap { metric, rows in counts[metric] == rows ? nil : "\(metric): reported \(rows), stored \(counts[metric] ?? 0)" })
        print("stress: \(5 - failed.count) passed, \(failed.count) failed")
        return failed.isEmpty
    }
}
