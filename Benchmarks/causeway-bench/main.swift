import Dispatch
import Foundation
import Postgres

// causeway-bench copy-in ROWS | copy-out
// Times Postgres.copyIn/copyOutRows on `bench_copy (id bigint, arm int, value double precision)`
// at DATABASE_URL. tools/bench runs it beside psql's \copy of the same rows.

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
    default:
        FileHandle.standardError.write(Data("causeway-bench: unknown mode \(mode)\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("causeway-bench: \(error)\n".utf8))
    exit(1)
}
