import Foundation
import Stats

/// `ingest-data DIR ROWS`: the files `tools/bench ingest` feeds the release console (issue 17).
/// ROWS (default 1,000,000) is the unit of size; the big files hold ten times as many rows.
///   units-1.csv … units-3.csv  ROWS new unit ids each (three rounds of `assign --units`)
///   outcomes-new.csv           ROWS rows of a new metric for the first round's units
///   outcomes-more.csv          ROWS more rows of that metric for the same units
///   outcomes-big.csv           10 × ROWS rows of another new metric (the first 3 × ROWS units assigned)
///   outcomes-bad.csv           outcomes-big.csv with a bad value on its last line
///   qini.csv                   10 × ROWS rows: outcome, treatment, score (shortest round-trip doubles)
///   scores.csv, policy.toml    ROWS units × 4 arms of uplift, and a policy with one budget
enum IngestBench {
    /// Buffered text output to a file.
    final class Output {
        let handle: FileHandle
        var buffer: [UInt8] = []
        init(_ path: String) throws {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
            self.handle = handle
            buffer.reserveCapacity(1 << 20)
        }
        func line(_ text: String) {
            buffer.append(contentsOf: text.utf8)
            buffer.append(10)
            if buffer.count >= 1 << 20 { flush() }
        }
        func flush() { handle.write(Data(buffer)); buffer.removeAll(keepingCapacity: true) }
        func close() { flush(); handle.closeFile() }
    }

    static func unit(_ k: Int) -> String { "user-\(k)" }

    static func write(directory: String, rows n: Int) throws {
        func path(_ name: String) -> String { URL(fileURLWithPath: directory).appendingPathComponent(name).path }
        var g = SplitMix64(seed: 17)
        for round in 1...3 {
            let out = try Output(path("units-\(round).csv"))
            out.line("unit")
            for k in ((round - 1) * n)..<(round * n) { out.line(unit(k)) }
            out.close()
        }
        for (name, shift) in [("outcomes-new.csv", 0.0), ("outcomes-more.csv", 1.0)] {
            let out = try Output(path(name))
            out.line("unit,value")
            for k in 0..<n { out.line("\(unit(k)),\(String(format: "%.2f", shift + 10 * g.uniform()))") }
            out.close()
        }
        let big = try Output(path("outcomes-big.csv")), bad = try Output(path("outcomes-bad.csv"))
        big.line("unit,value"); bad.line("unit,value")
        for k in 0..<(10 * n) {
            let row = "\(unit(k)),\(String(format: "%.3f", 100 * g.uniform()))"
            big.line(row)
            bad.line(k == 10 * n - 1 ? "\(unit(k)),NaN" : row)
        }
        big.close(); bad.close()
        let qini = try Output(path("qini.csv"))
        qini.line("outcome,treatment,score")
        for _ in 0..<(10 * n) {
            let treated = g.uniform() < 0.5, x = g.normal()
            let p = 0.1 + (treated ? 0.05 * (1 + tanh(x)) : 0)
            qini.line("\(g.uniform() < p ? 1 : 0),\(treated ? 1 : 0),\(0.05 * (1 + tanh(x + 0.5 * g.normal())))")
        }
        qini.close()
        let scores = try Output(path("scores.csv"))
        scores.line("unit,arm,uplift")
        let costs = [1.0, 2, 3, 5]
        for i in 0..<n {
            let responsiveness = max(0, g.normal() * 0.03 + 0.02)
            for k in 0..<4 {
                let value = responsiveness * log1p(costs[k]) * (0.8 + 0.4 * g.uniform()) - (g.uniform() < 0.05 ? 0.05 : 0)
                scores.line("\(unit(i)),a\(k + 1),\(value)")
            }
        }
        scores.close()
        try """
            name = "bench"
            objective = "max_incremental_conversions"
            budget = \(Int(Double(n) * 0.8))
            [[arms]]
            name = "a1"
            cost = 1
            [[arms]]
            name = "a2"
            cost = 2
            [[arms]]
            name = "a3"
            cost = 3
            [[arms]]
            name = "a4"
            cost = 5

            """.write(toFile: path("policy.toml"), atomically: true, encoding: .utf8)
    }
}
