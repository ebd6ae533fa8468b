import Foundation
import Platform

/// Reads `POST /api/exposures` bodies: a JSON array of events, or NDJSON (one event per line). An
/// event is `{"unit": "u1", "experiment": "checkout", "variation": 1 | "treatment", "timestamp":
/// "2026-12-06T10:15:00Z" | 1796551500}` (a number is Unix seconds). Anything else is a one-line
/// reason naming the event.
enum ExposureParser {
    struct Failure: Error {
        let message: String
    }

    static func parse(_ body: Data) throws -> [Exposures.Event] {
        let first = body.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        guard let first else { throw Failure(message: "the body is empty; send a JSON array or NDJSON of events") }
        if first == UInt8(ascii: "[") {
            guard let array = try? JSONSerialization.jsonObject(with: body) as? [Any] else {
                throw Failure(message: "the body is not valid JSON")
            }
            return try array.enumerated().map { try event($0.element, at: "event \($0.offset + 1)") }
        }
        var events: [Exposures.Event] = []
        for (k, line) in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !($0 == 0x20 || $0 == 0x0D || $0 == 0x09) }) else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) else {
                throw Failure(message: "line \(k + 1) is not valid JSON")
            }
            events.append(try event(object, at: "line \(k + 1)"))
        }
        return events
    }

    static func event(_ value: Any, at position: String) throws -> Exposures.Event {
        guard let object = value as? [String: Any] else { throw Failure(message: "\(position) is not an object") }
        func string(_ key: String) throws -> String {
            guard let text = object[key] as? String, !isNumber(object[key]) else {
                throw Failure(message: "\(position): \"\(key)\" must be a string")
            }
            return text
        }
        let unit = try string("unit"), experiment = try string("experiment")
        let variation: Exposures.Event.Variation
        switch object["variation"] {
        case let n as NSNumber where isNumber(n) && !isBool(n):
            guard let index = Int(exactly: n.doubleValue) else { throw Failure(message: "\(position): \"variation\" must be an arm's index or name") }
            variation = .index(index)
        case let name as String:
            variation = .name(name)
        default:
            throw Failure(message: "\(position): \"variation\" must be an arm's index or name")
        }
        let timestamp: Date
        switch object["timestamp"] {
        case let n as NSNumber where isNumber(n) && !isBool(n):
            let seconds = n.doubleValue
            guard seconds.isFinite, seconds >= 0, seconds < 32_503_680_000 else {
                throw Failure(message: "\(position): \"timestamp\" \(seconds) is not a time")
            }
            timestamp = Date(timeIntervalSince1970: seconds)
        case let text as String:
            guard let date = Timestamps.parse(text) else {
                throw Failure(message: "\(position): \"timestamp\" is \"\(text.prefix(40))\", not a time such as 2026-12-06T10:15:00Z")
            }
            timestamp = date
        default:
            throw Failure(message: "\(position): \"timestamp\" must be an ISO 8601 time or Unix seconds")
        }
        return Exposures.Event(unit: unit, experiment: experiment, variation: variation, timestamp: timestamp)
    }

    private static func isNumber(_ value: Any?) -> Bool {
        guard let n = value as? NSNumber else { return false }
        return !(value is String) && String(cString: n.objCType) != "" 
    }

    private static func isBool(_ n: NSNumber) -> Bool {
        let type = String(cString: n.objCType)
        return type == "c" || type == "B"
    }
}
