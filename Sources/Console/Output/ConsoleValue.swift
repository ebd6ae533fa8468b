/// One value in a command's output: a cell, a record field or a JSON member.
public enum ConsoleValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A number people read rounded (aligned output and HTML pages); JSON and CSV carry it whole.
    case number(Double, Rounding)
    case string(String)
    case array([ConsoleValue])
    /// Ordered members.
    case object([(String, ConsoleValue)])

    public static func == (lhs: ConsoleValue, rhs: ConsoleValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.double(a), .double(b)): a == b || (a.isNaN && b.isNaN)
        case let (.number(a, r), .number(b, q)): r == q && (a == b || (a.isNaN && b.isNaN))
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// True for numbers, which aligned output right-aligns.
    var isNumeric: Bool {
        switch self {
        case .int, .double, .number: true
        default: false
        }
    }

    /// The value as a table cell for people: text as is, numbers in shortest form (rounded ones
    /// rounded), nested values as JSON, NULL empty.
    public var text: String {
        switch self {
        case .number(let value, let rounding): NumberFormat.shortest(rounding.apply(value))
        default: dataText
        }
    }

    /// The value as a CSV field: like `text`, but every number whole.
    public var dataText: String {
        switch self {
        case .null: ""
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value), .number(let value, _): NumberFormat.shortest(value)
        case .string(let value): value
        case .array, .object: json
        }
    }

    /// The value as JSON text.
    public var json: String {
        var out = ""
        appendJSON(to: &out)
        return out
    }

    func appendJSON(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value), .number(let value, _): out += value.isFinite ? NumberFormat.shortest(value) : "null"
        case .string(let value): Self.appendJSONString(value, to: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.appendJSON(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                Self.appendJSONString(key, to: &out)
                out += ":"
                value.appendJSON(to: &out)
            }
            out += "}"
        }
    }

    static func appendJSONString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension ConsoleValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension ConsoleValue {
    /// A string, or null for nil.
    public static func optional(_ value: String?) -> ConsoleValue { value.map(ConsoleValue.string) ?? .null }
}

extension ConsoleValue {
    /// The paths of numbers that are not finite (JSON carries them as null), such as `rows[2].lift`.
    func nonFinitePaths(at path: String = "") -> [String] {
        switch self {
        case .double(let v), .number(let v, _): v.isFinite ? [] : [path]
        case .array(let values): values.enumerated().flatMap { $0.element.nonFinitePaths(at: "\(path)[\($0.offset)]") }
        case .object(let members): members.flatMap { $0.1.nonFinitePaths(at: path.isEmpty ? $0.0 : "\(path).\($0.0)") }
        default: []
        }
    }
}
