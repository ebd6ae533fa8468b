import Foundation
import Platform
import Randomization

/// Parses console values: durations (`30m`), times (`2026-11-22T10:15Z`), ranges (`0:0.5`).
enum ValueParsing {
    /// `90s`, `30m`, `1h`, `2d` (one number, one unit) as seconds.
    static func duration(_ text: String, flag: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last, let scale = units[unit], let number = Int64(text.dropLast()), number >= 0 else {
            throw ConsoleError("\(flag) \"\(text)\" is not a duration such as 90s, 30m, 1h or 1d")
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw ConsoleError("\(flag) \"\(text)\" is too long") }
        return seconds
    }

    /// `now`, or `YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]]` with an optional `Z` or `±HH[:MM]` (UTC when none).
    static func time(_ text: String, flag: String) throws -> Date {
        if text == "now" { return Date() }
        var value = text
        // Accept HH:MM without seconds.
        if let timeStart = value.firstIndex(where: { $0 == "T" || $0 == " " }) {
            let rest = value[value.index(after: timeStart)...]
            let clock = rest.prefix { $0.isNumber || $0 == ":" }
            if clock.count == 5 { value.insert(contentsOf: ":00", at: clock.endIndex) }
        }
        guard let date = Timestamps.parse(value) else {
            throw ConsoleError("\(flag) \"\(text)\" is not a time such as 2026-11-22T10:15:00Z")
        }
        return date
    }

    /// A comma-separated list (`a,b, c`): the items with spaces trimmed; nil when the option is absent.
    static func list(_ text: String?) -> [String]? {
        text.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
    }

    /// A decimal number (`-0.1`, `5`, `2e-3`), for every numeric option: hexadecimal (`0x10`), `nan`
    /// and `inf`, which Swift's `Double(String)` also reads, are refused.
    static func decimal(_ text: String) throws -> Double {
        guard let value = DecimalNumber.parse(text) else {
            throw ConsoleError("\"\(text)\" is not a decimal number")
        }
        return value
    }

    /// `A:B` with 0 ≤ A < B ≤ 1.
    static func range(_ text: String) throws -> (Double, Double) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), 0 <= a, a < b, b <= 1 else {
            throw ConsoleError("--range \"\(text)\" must be A:B with 0 ≤ A < B ≤ 1, such as 0:0.5")
        }
        return (a, b)
    }

    static func arms(_ text: String) throws -> [Arm] {
        do { return try Arm.parseList(text) } catch { throw ConsoleError("--arms: \(error)") }
    }

    /// `90s` style text for a number of seconds.
    static func formatDuration(_ seconds: Int64) -> String {
        if seconds % 86_400 == 0, seconds > 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// `2026-11-22 10:15:00` (UTC, to the second).
    static func formatTime(_ date: Date) -> String { Timestamps.format(date) }
}
