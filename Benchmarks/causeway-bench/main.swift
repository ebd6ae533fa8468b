import Dispatch
import Foundation
import Platform
import Postgres
import Randomization
import Stats

// causeway-bench copy-in ROWS | copy-out | assign-memory UNITS | assign-bulk UNITS
// copy-*: times Postgres.copyIn/copyOutRows on `bench_copy (id bigint, arm int, value double precision)`
// at DATABASE_URL; tools/bench runs them beside psql's \copy of the same rows.
// assign-memory: user-split assignments per second on one core, no I/O.
// assign-bulk: Assigner.assignBulk of a CSV of UNITS ids into a fresh experiment, end to end.

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func report(_ label: String, rows: Int, seconds: Double) {
    let rate = Double(rows) / seconds
    print(String(format: "%@\t%d\t%.3f\t%.0f", label, rows, seconds, rate))
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "synthetic" {
    let rest = Array(arguments.dropFirst())
    do {
        try syntheticBench(donors: Int(rest.first ?? "") ?? 1000, periods: Int(rest.dropFirst().first ?? "") ?? 200, csv: rest.dropFirst(2).first)
    } catch {
        FileHandle.standardError.write(Data("causeway-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if arguments.first == "synthetic-inference" {
    do { try syntheticInferenceBench(panels: Int(arguments.dropFirst().first ?? "") ?? 200) } catch {
        FileHandle.standardError.write(Data("causeway-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if arguments.first == "impact" {
    let rest = Array(arguments.dropFirst())
    do { try impactBench(series: Int(rest.first ?? "") ?? 200, directory: rest.dropFirst().first) } catch {
        FileHandle.standardError.write(Data("causeway-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if arguments.first == "sequential" {
    sequentialBench(replications: Int(arguments.dropFirst().first ?? "") ?? 10_000)
    exit(0)
}
if arguments.first == "assign-memory" {
    let count = Int(arguments.dropFirst().first ?? "") ?? 10_000_000
    let units = (0..<1_000_000).map { "user-\($0)" }
    // never fails: valid arms
    let split = try! UserSplit(arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)], seed: "bench")
    var tally = [0, 0, 0]
    let time = seconds {
        var i = 0
        while i < count {
            for unit in units where i < count {
                tally[(split.assign(unit) ?? 2)] += 1
                i += 1
            }
        }
    }
    precondition(tally[0] + tally[1] == count && tally[2] == 0)
    report("user-split assign (memory, 1 core)", rows: count, seconds: time)
    exit(0)
}
/// Runs a mode that needs no database, exiting 1 with the error on one line, or 64 without its directory.
func offline(_ usage: String, needsDirectory: Bool = false, _ body: ([String]) throws -> Void) -> Never {
    let args = Array(arguments.dropFirst())
    if needsDirectory, args.isEmpty { FileHandle.standardError.write(Data("usage: causeway-bench \(usage)\n".utf8)); exit(64) }
    do { try body(args) } catch {
        FileHandle.standardError.write(Data("causeway-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
func number(_ args: [String], _ index: Int, _ fallback: Int) -> Int { args.count > index ? Int(args[index]) ?? fallback : fallback }

switch arguments.first {
case "allocate-glpk":
    offline("allocate-glpk [UNITS [DIR [no-glpk]]]") { args in
        try AllocateBench.yardstick(units: number(args, 0, 100_000), directory: args.count > 1 ? args[1] : nil,
                                    glpk: !(args.count > 2 && args[2] == "no-glpk"))
    }
case "allocate":
    offline("allocate [UNITS]") { args in try AllocateBench.run(units: number(args, 0, 1_000_000)) }
case "exposure":
    offline("exposure [NODES [EDGES]]") { args in try ExposureBench.run(nodes: number(args, 0, 1_000_000), edges: number(args, 1, 10_000_000)) }
case "observational-coverage":
    offline("observational-coverage [REPS [UNITS]]") { args in try ObservationalBench.coverage(replications: number(args, 0, 200), units: number(args, 1, 2000)) }
case "observational-speed":
    offline("observational-speed DIR [UNITS]", needsDirectory: true) { args in try ObservationalBench.speed(directory: args[0], units: number(args, 1, 1_000_000)) }
case "qini":
    offline("qini DIR [ROWS]", needsDirectory: true) { args in try QiniBench.run(directory: args[0], rows: number(args, 1, 10_000_000)) }
case "qini-parts":
    offline("qini-parts FILE", needsDirectory: true) { args in try QiniBench.parts(path: args[0]) }
case "ingest-data":
    offline("ingest-data DIR [ROWS]", needsDirectory: true) { args in try IngestBench.write(directory: args[0], rows: number(args, 1, 1_000_000)) }
case "uplift-fit":
    offline("uplift-fit DIR [UNITS]", needsDirectory: true) { args in try UpliftBench.fit(directory: args[0], units: number(args, 1, 1_000_000)) }
default:
    break
}
guard let mode = arguments.first, let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
    FileHandle.standardError.write(Data("usage: DATABASE_URL=… causeway-bench copy-in ROWS | copy-out\n".utf8))
    exit(64)
}
do {
    let connection = try Connection(.url(url))
    switch mode {
    case "copy-in":
        let rows = Int(arguments.dropFirst().first ?? "") ?? 10_000_000
        try connection.execute("DROP TABLE IF EXISTS bench_copy")
        try connection.execute("CREATE TABLE bench_copy (id bigint, arm int, value double precision)")
        let time = try seconds {
            try connection.copyIn("COPY bench_copy (id, arm, value) FROM STDIN") { writer in
                for i in 0..<rows {
                    try writer.writeRow(Int64(i), Int32(i & 3), Double(i) * 0.001)
                }
            }
        }
        report("swift copy in", rows: rows, seconds: time)
    case "copy-out":
        var count = 0
        var checksum = 0.0
        let time = try seconds {
            try connection.copyOutRows("COPY bench_copy (id, arm, value) TO STDOUT") { row in
                let (id, arm, value) = try row.decode((Int64, Int32, Double).self)
                checksum += Double(id) + Double(arm) + value
                count += 1
            }
        }
        precondition(checksum.isFinite)
        report("swift copy out (decoded)", rows: count, seconds: time)
        var raw = 0
        var bytes = 0
        let rawTime = try seconds {
            try connection.copyOut("COPY bench_copy (id, arm, value) TO STDOUT") { line in
                bytes += line.count
                raw += 1
            }
        }
        precondition(bytes > 0)
        report("swift copy out (raw)", rows: raw, seconds: rawTime)
    case "assign-bulk":
        let count = Int(arguments.dropFirst().first ?? "") ?? 1_000_000
        let path = NSTemporaryDirectory() + "causeway-bench-units.csv"
        var text = "unit\n"
        text.reserveCapacity(count * 14)
        for i in 0..<count { text += "user-\(i)\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = Store(connection: connection)
        _ = try DatabaseAdmin.migrate(store)
        let name = "bench-\(UUID().uuidString.prefix(8))"
        try ExperimentCatalog.create(.init(name: name, arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start(name, in: store)
        var result: Assigner.BulkResult?
        let time = try seconds { result = try Assigner.assignBulk(name, unitsFile: path, in: store) }
        precondition(result?.new == count)
        report("bulk assign from CSV into PostgreSQL", rows: count, seconds: time)
    case "report":
        // report lift on UNITS assigned units and 3 metrics (two means, one proportion), built with SQL.
        let count = Int(arguments.dropFirst().first ?? "") ?? 10_000_000
        let store = Store(connection: connection)
        _ = try DatabaseAdmin.migrate(store)
        let name = "report-\(UUID().uuidString.prefix(8))"
        try ExperimentCatalog.create(.init(name: name, arms: [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]), in: store)
        try ExperimentCatalog.start(name, in: store)
        let id = try connection.query("SELECT id FROM experiments WHERE name = \(name)").decodeOne(Int64.self)
        // Each step's time goes to standard error. The rows are written by SQL, as a user's own
        // script would, so the kept sums are rebuilt after them (db rebuild-sums).
        func step(_ label: String, _ body: () throws -> Void) throws {
            let time = try seconds(body)
            FileHandle.standardError.write(Data(String(format: "setup: %@ %.1f s\n", label, time).utf8))
        }
        try step("assign \(count) units") {
            try connection.execute("""
                INSERT INTO assignments (unit, experiment_id, phase, arm)
                SELECT 'u' || g, \(id), 1, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'treatment' END FROM generate_series(1, \(count)) g
                """)
        }
        for metric in ["bench_revenue", "bench_sessions"] {
            try connection.execute("INSERT INTO metrics (name) VALUES (\(metric)) ON CONFLICT DO NOTHING")
            try connection.execute("SELECT causeway_metric_partitions(\(metric))")
            try step("\(count) outcome rows of \(metric)") {
                try connection.execute("""
                    INSERT INTO outcomes (unit, metric, value) SELECT 'u' || g, \(metric), random() * 10 + (g % 2) * 0.1
                    FROM generate_series(1, \(count)) g
                    """)
            }
        }
        try connection.execute("INSERT INTO metrics (name, kind) VALUES ('bench_converted', 'proportion') ON CONFLICT DO NOTHING")
        try connection.execute("SELECT causeway_metric_partitions('bench_converted')")
        try step("\(count / 3) outcome rows of bench_converted") {
            try connection.execute("""
                INSERT INTO outcomes (unit, metric, value) SELECT 'u' || g, 'bench_converted', (random() < 0.1)::int
                FROM generate_series(1, \(count)) g WHERE g % 3 = 0
                """)
        }
        try step("analyze") {
            try connection.execute("ANALYZE assignments")
            try connection.execute("ANALYZE outcomes")
        }
        try step("db rebuild-sums") { _ = try DatabaseAdmin.rebuildSums(store) }
        for _ in 0..<2 {
            let time = try seconds {
                _ = try LiftReport.run(name, options: .init(metrics: ["bench_revenue", "bench_sessions", "bench_converted"]), in: store)
            }
            report("report lift, 3 metrics", rows: count, seconds: time)
        }
        var cuped = LiftReport.Options(metrics: ["bench_revenue", "bench_converted"], cuped: "bench_sessions")
        cuped.correction = .benjaminiHochberg
        let cupedTime = try seconds { _ = try LiftReport.run(name, options: cuped, in: store) }
        report("report lift, 2 metrics with CUPED", rows: count, seconds: cupedTime)
        // The yardstick: the same per-arm sums by scanning the rows (what report lift did before the
        // store kept them), checked against what the report read.
        var scanned: [(String, Double, Double, Double)] = []
        let scanTime = try seconds {
            scanned = try connection.query("""
                WITH u AS (SELECT unit, sum(value) FILTER (WHERE metric = 'bench_revenue') AS r,
                                  max(value) FILTER (WHERE metric = 'bench_converted') AS c
                           FROM outcomes WHERE metric IN ('bench_revenue', 'bench_converted') GROUP BY unit)
                SELECT a.arm, count(*)::float8, coalesce(sum(r), 0), coalesce(sum(c), 0)
                FROM assignments a LEFT JOIN u ON u.unit = a.unit WHERE a.experiment_id = \(id) AND NOT a.held_out GROUP BY a.arm
                """).decode((String, Double, Double, Double).self)
        }
        report("the same sums by scanning outcomes and assignments", rows: count, seconds: scanTime)
        let result = try LiftReport.run(name, options: .init(metrics: ["bench_revenue", "bench_converted"]), in: store)
        for (arm, n, revenue, converted) in scanned {
            let rows = result.rows.filter { $0.arm == arm }
            for (metric, sum) in [("bench_revenue", revenue), ("bench_converted", converted)] {
                guard let row = rows.first(where: { $0.metric == metric }), row.units == Int(n),
                      abs(row.mean - sum / n) <= 1e-9 * max(1, abs(sum / n)) else {
                    throw PlatformError("\(metric) in \(arm): the kept sums disagree with the scan")
                }
            }
        }
        try reportEngines(experiment: name, id: id, count: count, store: store, connection: connection)
    case "report-engines":
        // report-engines UNITS: the issue 18 part of `report` again, on the store `report` left behind.
        let count = Int(arguments.dropFirst().first ?? "") ?? 10_000_000
        let store = Store(connection: connection)
        let (id, name) = try connection.query("SELECT id, name FROM experiments WHERE name LIKE 'report-%' ORDER BY id DESC LIMIT 1")
            .decode((Int64, String).self)[0]
        try connection.execute("DELETE FROM units")
        try connection.execute("UPDATE metrics SET cap = NULL, cap_percentile = NULL")
        try reportEngines(experiment: name, id: id, count: count, store: store, connection: connection)
    case "stress":
        // stress SECONDS WORKERS CAUSEWAY
        let rest = Array(arguments.dropFirst())
        guard rest.count == 3, let seconds = Double(rest[0]), let workers = Int(rest[1]) else {
            FileHandle.standardError.write(Data("usage: causeway-bench stress SECONDS WORKERS CAUSEWAY\n".utf8))
            exit(64)
        }
        exit(try StressBench.run(adminURL: url, seconds: seconds, workers: workers, causeway: rest[2]) ? 0 : 1)
    case "uplift-score":
        try UpliftBench.score(units: Int(arguments.dropFirst().first ?? "") ?? 1_000_000, connection: connection)
    default:
        FileHandle.standardError.write(Data("causeway-bench: unknown mode \(mode)\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("causeway-bench: \(error)\n".utf8))
    exit(1)
}

/// Issue 18 in `report`: the engines read the same kept sums; caps and breakdowns read the rows.
func reportEngines(experiment name: String, id: Int64, count: Int, store: Store, connection: Connection) throws {
    func step(_ label: String, _ body: () throws -> Void) throws {
        let time = try seconds(body)
        FileHandle.standardError.write(Data(String(format: "setup: %@ %.1f s\n", label, time).utf8))
    }
    for (label, engine, tuning) in [("sequential", LiftReport.Engine.frequentist, 5000.0), ("bayesian", .bayesian, nil)] as [(String, LiftReport.Engine, Double?)] {
        var options = LiftReport.Options(metrics: ["bench_revenue", "bench_sessions", "bench_converted"])
        options.engine = engine
        options.sequential = tuning
        let time = try seconds { _ = try LiftReport.run(name, options: options, in: store) }
        report("report lift, 3 metrics, \(label)", rows: count, seconds: time)
    }
    try Metrics.setCap("bench_revenue", to: .percentile(0.99), in: store)
    for _ in 0..<2 {
        let time = try seconds { _ = try LiftReport.run(name, options: .init(metrics: ["bench_revenue"]), in: store) }
        report("report lift, revenue capped at its 99th percentile", rows: count, seconds: time)
    }
    var cappedCUPED = LiftReport.Options(metrics: ["bench_revenue"], cuped: "bench_sessions")
    cappedCUPED.sequential = 5000
    let cappedCUPEDTime = try seconds { _ = try LiftReport.run(name, options: cappedCUPED, in: store) }
    report("report lift, capped revenue, CUPED, sequential", rows: count, seconds: cappedCUPEDTime)
    try Metrics.setCap("bench_revenue", to: .value(9), in: store)
    let fixedTime = try seconds { _ = try LiftReport.run(name, options: .init(metrics: ["bench_revenue"]), in: store) }
    report("report lift, revenue capped at 9", rows: count, seconds: fixedTime)
    try Metrics.setCap("bench_revenue", to: nil, in: store)
    // The yardstick for the capped report: the percentile alone, as psql would run it.
    let percentileTime = try seconds {
        _ = try connection.query("""
            SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY t.value) FROM assignments a
            JOIN unit_totals t ON t.unit = a.unit AND t.metric = 'bench_revenue' WHERE a.experiment_id = \(id) AND NOT a.held_out
            """).decode(Double?.self)
    }
    report("the 99th percentile alone (SQL)", rows: count, seconds: percentileTime)
    try step("50 countries as unit attributes") {
        try connection.execute("""
            INSERT INTO units (unit, attributes) SELECT 'u' || g, jsonb_build_object('country', 'c' || (hashint8(g) & 2147483647) % 50)
            FROM generate_series(1, \(count)) g
            """)
        try connection.execute("ANALYZE units")
    }
    var by = LiftReport.Options(metrics: ["bench_revenue"])
    by.by = "country"
    for _ in 0..<2 {
        let time = try seconds { _ = try LiftReport.run(name, options: by, in: store) }
        report("report lift --by country (50 slices)", rows: count, seconds: time)
    }
    by.metrics = ["bench_revenue", "bench_sessions", "bench_converted"]
    let threeTime = try seconds { _ = try LiftReport.run(name, options: by, in: store) }
    report("report lift --by country, 3 metrics", rows: count, seconds: threeTime)
}
