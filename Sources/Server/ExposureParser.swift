import Foundation
import Platform

/// Reads `POST /api/exposures` bodies: a JSON array of events, or NDJSON (one event per line). An
/// event is `{"unit": "u1", "experiment": "checkout", "variation": 1 | "treatment", "timestamp":
/// "2026-12-06T10:15:00Z" | 1796551500}` (a number is Unix seconds); other members are ignored.
/// Anything else is a one-line reason naming the event.
///
/// A strict JSON reader over the body's bytes (RFC 8259: strings with every escape, numbers,
/// literals, nesting), which builds the events directly: Foundation's `JSONSerialization` made a
/// dictionary of boxed values per event and took most of a batch's time.
enum ExposureParser {
    struct Failure: Error {
        let message: String
    }

    static func parse(_ body: Data) throws -> [Exposures.Event] {
        try body.withUnsafeBytes { raw in
            var r = Reader(bytes: raw.bindMemory(to: UInt8.self))
            r.skipSpace()
            guard r.index < r.bytes.count else { throw Failure(message: "the body is empty; send a JSON array or NDJSON of events") }
            if r.peek == UInt8(ascii: "[") {
                r.index += 1
                var events: [Exposures.Event] = []
                r.skipSpace()
                if r.peek == UInt8(ascii: "]") {
                    r.index += 1
                } else {
                    while true {
                        r.skipSpace()
                        events.append(try r.event(at: "event \(events.count + 1)"))
                        r.skipSpace()
                        let c = try r.next()
                        if c == UInt8(ascii: "]") { break }
                        guard c == UInt8(ascii: ",") else { throw r.invalid() }
                    }
                }
                r.skipSpace()
                guard r.index == r.bytes.count else { throw r.invalid() }
                return events
            }
            // NDJSON: one event per line; blank lines are skipped.
            var events: [Exposures.Event] = []
            var line = 1
            while r.index < r.bytes.count {
                r.skipSpace(newlines: false)
                if r.index == r.bytes.count { break }
                if r.peek == UInt8(ascii: "\n") { r.index += 1; line += 1; continue }
                events.append(try r.event(at: "line \(line)"))
                r.skipSpace(newlines: false)
                guard r.index == r.bytes.count || r.peek == UInt8(ascii: "\n") else {
                    throw Failure(message: "line \(line) is not valid JSON: one event per line")
                }
            }
            return events
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// The last experiment name and time text read, with their values: events of a batch mostly
        /// share them, and the bytes compare faster than they decode.
        var lastExperiment: (range: Range<Int>, value: String)?
        var lastTime: (range: Range<Int>, value: Date)?

        enum Member { case unit, experiment, variation, timestamp, other }

        /// A member name, matched on its bytes (an escaped name is decoded first).
        mutating func member() throws -> Member {
            let start = index + 1
            var k = start
            while k < bytes.count, bytes[k] != UInt8(ascii: "\""), bytes[k] != UInt8(ascii: "\\") { k += 1 }
            if k < bytes.count, bytes[k] == UInt8(ascii: "\"") {
                index = k + 1
                let name = UnsafeBufferPointer(rebasing: bytes[start..<k])
                if name.elementsEqual("unit".utf8) { return .unit }
                if name.elementsEqual("experiment".utf8) { return .experiment }
                if name.elementsEqual("variation".utf8) { return .variation }
                if name.elementsEqual("timestamp".utf8) { return .timestamp }
                for b in name where b < 0x20 { _ = b; throw invalid() }
                return .other
            }
            switch try string() {
            case "unit": return .unit
            case "experiment": return .experiment
            case "variation": return .variation
            case "timestamp": return .timestamp
            default: return .other
            }
        }

        /// The raw bytes of a string without escapes (its range), or nil when it has escapes; the
        /// index is left where it was.
        func plainRange() -> Range<Int>? {
            var k = index + 1
            while k < bytes.count {
                let c = bytes[k]
                if c == UInt8(ascii: "\"") { return (index + 1)..<k }
                if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
                k += 1
            }
            return nil
        }

        func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            a.count == b.count && UnsafeBufferPointer(rebasing: bytes[a]).elementsEqual(UnsafeBufferPointer(rebasing: bytes[b]))
        }

        /// An experiment name, which often repeats the previous event's.
        mutating func repeatedExperiment() throws -> String {
            if let range = plainRange() {
                if let previous = lastExperiment, same(previous.range, range) {
                    index = range.upperBound + 1
                    return previous.value
                }
                let value = try string()
                lastExperiment = (range, value)
                return value
            }
            return try string()
        }

        /// A time string, parsed from its bytes (and reused when it repeats the previous one).
        mutating func time(at position: String) throws -> Date {
            if let range = plainRange() {
                if let previous = lastTime, same(previous.range, range) {
                    index = range.upperBound + 1
                    return previous.value
                }
                index = range.upperBound + 1
                guard let date = Timestamps.parse(utf8: UnsafeBufferPointer(rebasing: bytes[range])) else {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                    throw Failure(message: "\(position): \"timestamp\" is \"\(text.prefix(40))\", not a time such as 2026-12-06T10:15:00Z")
                }
                lastTime = (range, date)
                return date
            }
            let text = try string()
            guard let date = Timestamps.parse(text) else {
                throw Failure(message: "\(position): \"timestamp\" is \"\(text.prefix(40))\", not a time such as 2026-12-06T10:15:00Z")
            }
            return date
        }

        var peek: UInt8 { bytes[index] }

        func invalid() -> Failure { Failure(message: "the body is not valid JSON (at byte \(index + 1))") }

        mutating func next() throws -> UInt8 {
            guard index < bytes.count else { throw invalid() }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func skipSpace(newlines: Bool = true) {
            while index < bytes.count {
                let c = bytes[index]
                guard c == 0x20 || c == 0x09 || c == 0x0D || (newlines && c == 0x0A) else { return }
                index += 1
            }
        }

        /// One event object: the four members taken, others skipped.
        mutating func event(at position: String) throws -> Exposures.Event {
            guard index < bytes.count, peek == UInt8(ascii: "{") else { throw Failure(message: "\(position) is not an object") }
            index += 1
            var unit: String?, experiment: String?, variation: Exposures.Event.Variation?, timestamp: Date?
            skipSpace()
            if index < bytes.count, peek == UInt8(ascii: "}") { index += 1 } else {
                while true {
                    skipSpace()
                    guard index < bytes.count, peek == UInt8(ascii: "\"") else { throw invalid() }
                    let key = try member()
                    skipSpace()
                    guard try next() == UInt8(ascii: ":") else { throw invalid() }
                    skipSpace()
                    guard index < bytes.count else { throw invalid() }
                    switch key {
                    case .unit:
                        guard peek == UInt8(ascii: "\"") else { throw Failure(message: "\(position): \"unit\" must be a string") }
                        unit = try string()
                    case .experiment:
                        guard peek == UInt8(ascii: "\"") else { throw Failure(message: "\(position): \"experiment\" must be a string") }
                        experiment = try repeatedExperiment()
                    case .variation:
                        if peek == UInt8(ascii: "\"") {
                            variation = .name(try string())
                        } else if peek == UInt8(ascii: "-") || (peek >= 0x30 && peek <= 0x39) {
                            let n = try number()
                            guard let k = Int(exactly: n) else { throw Failure(message: "\(position): \"variation\" must be an arm's index or name") }
                            variation = .index(k)
                        } else {
                            throw Failure(message: "\(position): \"variation\" must be an arm's index or name")
                        }
                    case .timestamp:
                        if peek == UInt8(ascii: "\"") {
                            timestamp = try time(at: position)
                        } else if peek == UInt8(ascii: "-") || (peek >= 0x30 && peek <= 0x39) {
                            let seconds = try number()
                            guard seconds >= 0, seconds < 32_503_680_000 else {
                                throw Failure(message: "\(position): \"timestamp\" \(seconds) is not a time")
                            }
                            timestamp = Date(timeIntervalSince1970: seconds)
                        } else {
                            throw Failure(message: "\(position): \"timestamp\" must be an ISO 8601 time or Unix seconds")
                        }
                    case .other:
                        try skipValue(depth: 0)
                    }
                    skipSpace()
                    let c = try next()
                    if c == UInt8(ascii: "}") { break }
                    guard c == UInt8(ascii: ",") else { throw invalid() }
                }
            }
            guard let unit else { throw Failure(message: "\(position): \"unit\" is missing") }
            guard let experiment else { throw Failure(message: "\(position): \"experiment\" is missing") }
            guard let variation else { throw Failure(message: "\(position): \"variation\" is missing") }
            guard let timestamp else { throw Failure(message: "\(position): \"timestamp\" is missing") }
            return Exposures.Event(unit: unit, experiment: experiment, variation: variation, timestamp: timestamp)
        }

        /// A string at `index` (which holds the opening quote), escapes decoded; UTF-8 checked.
        mutating func string() throws -> String {
            index += 1
            let start = index
            var escaped = false
            while true {
                guard index < bytes.count else { throw invalid() }
                let c = bytes[index]
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { throw invalid() }
                if c == UInt8(ascii: "\\") { escaped = true; index += 2; continue }
                index += 1
            }
            let end = index
            index += 1
            if !escaped {
                guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) else { throw invalid() }
                return text
            }
            var out: [UInt8] = []
            out.reserveCapacity(end - start)
            var k = start
            while k < end {
                let c = bytes[k]
                guard c == UInt8(ascii: "\\") else { out.append(c); k += 1; continue }
                guard k + 1 < end else { throw invalid() }
                let e = bytes[k + 1]
                k += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(at: k)
                    k += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard k + 6 <= end, bytes[k] == UInt8(ascii: "\\"), bytes[k + 1] == UInt8(ascii: "u") else { throw invalid() }
                        let low = try hex4(at: k + 2)
                        guard (0xDC00...0xDFFF).contains(low) else { throw invalid() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        k += 6
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw invalid() }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw invalid()
                }
            }
            guard let text = String(validating: out, as: UTF8.self) else { throw invalid() }
            return text
        }

        func hex4(at k: Int) throws -> UInt32 {
            guard k + 4 <= bytes.count else { throw invalid() }
            var v: UInt32 = 0
            for j in k..<k + 4 {
                let c = bytes[j]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw invalid()
                }
                v = v << 4 | d
            }
            return v
        }

        /// A JSON number (`-? int frac? exp?`), finite.
        mutating func number() throws -> Double {
            let start = index
            if peek == UInt8(ascii: "-") { index += 1 }
            func digits() -> Int {
                let s = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
                return index - s
            }
            guard digits() > 0 else { throw invalid() }
            if index < bytes.count, peek == UInt8(ascii: ".") { index += 1; guard digits() > 0 else { throw invalid() } }
            if index < bytes.count, peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw invalid() }
            }
            guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)), value.isFinite else {
                throw invalid()
            }
            return value
        }

        /// Skips any value (an ignored member).
        mutating func skipValue(depth: Int) throws {
            guard depth < 64 else { throw invalid() }
            skipSpace()
            guard index < bytes.count else { throw invalid() }
            switch peek {
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = peek == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                let object = close == UInt8(ascii: "}")
                index += 1
                skipSpace()
                if index < bytes.count, peek == close { index += 1; return }
                while true {
                    skipSpace()
                    if object {
                        guard index < bytes.count, peek == UInt8(ascii: "\"") else { throw invalid() }
                        _ = try string()
                        skipSpace()
                        guard try next() == UInt8(ascii: ":") else { throw invalid() }
                    }
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    let c = try next()
                    if c == close { return }
                    guard c == UInt8(ascii: ",") else { throw invalid() }
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: _ = try number()
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard index + n <= bytes.count else { throw invalid() }
            for j in 0..<n where bytes[index + j] != word.utf8Start[j] { throw invalid() }
            index += n
        }
    }
}
