import Foundation

/// Formats and parses PostgreSQL's ISO timestamp text (`2026-11-22 21:54:04.123456+00`).
///
/// Connections set `TimeZone` to UTC and `DateStyle` to ISO, so timestamps arrive in one shape.
public enum PostgresTimestamp {
    /// Formats a date as UTC text with microseconds.
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DD HH:MM:SS.ffffff+00` (UTC, microseconds) as UTF-8, digit by digit: COPY
    /// writes one per row, and `String(format:)` cost microseconds each.
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let micros = Int64(totalMicros)
        var seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        seconds -= days * 86_400
        let (y, m, d) = civil(fromDays: days)
        // Zero-padded to `width`, written from the right in place (no buffer per field).
        func digits(_ value: Int64, _ width: Int) {
            var v = value < 0 ? -value : value
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var count = 1
            var rest = v / 10
            while rest > 0 { count += 1; rest /= 10 }
            let end = bytes.count + max(width, count)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(width, count)))
            var k = end
            repeat {
                k -= 1
                bytes[k] = UInt8(48 + v % 10)
                v /= 10
            } while v > 0
        }
        digits(y, 4); bytes.append(UInt8(ascii: "-")); digits(m, 2); bytes.append(UInt8(ascii: "-")); digits(d, 2)
        bytes.append(UInt8(ascii: " "))
        digits(seconds / 3600, 2); bytes.append(UInt8(ascii: ":")); digits((seconds / 60) % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2); bytes.append(UInt8(ascii: ".")); digits(fraction, 6)
        bytes.append(contentsOf: [UInt8(ascii: "+"), UInt8(ascii: "0"), UInt8(ascii: "0")])
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH[:MM[:SS]]]`; nil when the text has another shape
    /// or names a time that does not exist (February 30, hour 24, an offset past ±15:59 or with 60
    /// minutes): such text is refused, never shifted to a neighbouring date.
    public static func parse<C: Collection<UInt8>>(_ bytes: C) -> Date? where C.Index == Int {
        var index = bytes.startIndex
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.endIndex else { return nil }
            var value: Int64 = 0
            for _ in 0..<width {
                let b = bytes[index]
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int64(b - 48)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.endIndex, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              (1...12).contains(month), (1...daysIn(month, of: year)).contains(day) else { return nil }
        var seconds = days(fromCivil: year, month, day) * 86_400
        var micros: Int64 = 0
        if index < bytes.endIndex, bytes[index] == 32 || bytes[index] == 84 {
            index += 1
            guard let h = number(2), expect(58), let mi = number(2), expect(58), let s = number(2),
                  h < 24, mi < 60, s < 61 else { return nil }
            seconds += h * 3600 + mi * 60 + s
            if expect(46) {
                var scale: Int64 = 100_000
                var digits = 0
                while index < bytes.endIndex, bytes[index] >= 48, bytes[index] <= 57 {
                    if digits < 6 { micros += Int64(bytes[index] - 48) * scale; scale /= 10 }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        if index < bytes.endIndex {
            let sign: Int64
            if expect(43) { sign = 1 } else if expect(45) { sign = -1 } else if expect(90) { sign = 0 } else { return nil }
            if sign != 0 {
                guard let oh = number(2), oh <= 15 else { return nil }
                var offset = oh * 3600
                if expect(58) { guard let om = number(2), om < 60 else { return nil }; offset += om * 60 }
                if expect(58) { guard let os = number(2), os < 60 else { return nil }; offset += os }
                seconds -= sign * offset
            }
        }
        guard index == bytes.endIndex else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// The days of a month in the proleptic Gregorian calendar.
    static func daysIn(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
