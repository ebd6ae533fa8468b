import Foundation
import Observational

/// Reads the fixtures: delimited text with a header, RFC 4180 quotes allowed.
enum Fixture {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!
    }

    static func table(_ name: String, separator: Character = ",") throws -> [String: [String]] {
        let text = try String(contentsOf: url(name), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = fields(lines.removeFirst(), separator)
        var columns = [String: [String]]()
        for name in header { columns[name] = [] }
        for line in lines where !line.isEmpty {
            let values = fields(line, separator)
            for (name, value) in zip(header, values) { columns[name]!.append(value) }
        }
        return columns
    }

    static func fields(_ line: String, _ separator: Character) -> [String] {
        var out: [String] = [], current = "", quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if c == "\"" { quoted.toggle(); continue }
            if c == separator && !quoted { out.append(current); current = ""; continue }
            current.append(c)
        }
        out.append(current)
        return out
    }

    static func numbers(_ table: [String: [String]], _ name: String) -> [Double] {
        table[name]!.map { Double($0)! }
    }

    /// Lalonde (causalinference's copy): outcome re78 (thousands), treatment t.
    static func lalonde(_ covariates: [String]) throws -> StudyData {
        let t = try table("lalonde.txt", separator: "\t")
        let columns = covariates.map { numbers(t, $0) }
        return try StudyData(covariates: ColumnMatrix(rows: columns[0].count, columns: columns), names: covariates,
                             treatment: numbers(t, "t"), outcome: numbers(t, "re78"))
    }
}
