import Foundation

/// A PostgreSQL type OID.
public typealias PostgresOID = UInt32

/// Well-known type OIDs (pg_type.dat).
public enum PostgresType {
    public static let bool: PostgresOID = 16
    public static let bytea: PostgresOID = 17
    public static let name: PostgresOID = 19
    public static let int8: PostgresOID = 20
    public static let int2: PostgresOID = 21
    public static let int4: PostgresOID = 23
    public static let text: PostgresOID = 25
    public static let oid: PostgresOID = 26
    public static let json: PostgresOID = 114
    public static let float4: PostgresOID = 700
    public static let float8: PostgresOID = 701
    public static let unknown: PostgresOID = 705
    public static let bpchar: PostgresOID = 1042
    public static let varchar: PostgresOID = 1043
    public static let date: PostgresOID = 1082
    public static let timestamp: PostgresOID = 1114
    public static let timestamptz: PostgresOID = 1184
    public static let interval: PostgresOID = 1186
    public static let numeric: PostgresOID = 1700
    public static let uuid: PostgresOID = 2950
    public static let jsonb: PostgresOID = 3802
    public static let boolArray: PostgresOID = 1000
    public static let int8Array: PostgresOID = 1016
    public static let textArray: PostgresOID = 1009
    public static let float8Array: PostgresOID = 1022

    /// A readable name for an OID, for error messages.
    public static func name(of oid: PostgresOID) -> String { sqlName(of: oid) ?? "type \(oid)" }

    /// The SQL name of a type this module knows (usable in a cast), nil for any other.
    public static func sqlName(of oid: PostgresOID) -> String? {
        switch oid {
        case bool: "boolean"
        case bytea: "bytea"
        case PostgresType.name: "name"
        case int8: "bigint"
        case int2: "smallint"
        case int4: "integer"
        case text: "text"
        case PostgresType.oid: "oid"
        case json: "json"
        case float4: "real"
        case float8: "double precision"
        case unknown: "unknown"
        case bpchar: "character"
        case varchar: "character varying"
        case date: "date"
        case timestamp: "timestamp"
        case timestamptz: "timestamp with time zone"
        case interval: "interval"
        case numeric: "numeric"
        case uuid: "uuid"
        case jsonb: "jsonb"
        case boolArray: "boolean[]"
        case int8Array: "bigint[]"
        case textArray: "text[]"
        case float8Array: "double precision[]"
        default: nil
        }
    }
}

/// A Swift value that can be bound as a statement parameter (text format).
public protocol PostgresEncodable {
    /// The parameter's type OID, or 0 to let the server infer it.
    static var postgresType: PostgresOID { get }
    /// The value in PostgreSQL's text input format, or nil for SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.text }
    public var postgresText: String? { self }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.text }
    public var postgresText: String? { String(self) }
}

extension Int: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.int8 }
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.int8 }
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.int4 }
    public var postgresText: String? { String(self) }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.int2 }
    public var postgresText: String? { String(self) }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.float8 }
    public var postgresText: String? { Self.postgresLiteral(self) }

    static func postgresLiteral(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }
}

extension Float: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.float4 }
    public var postgresText: String? { Double.postgresLiteral(Double(self)) }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.bool }
    public var postgresText: String? { self ? "t" : "f" }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.timestamptz }
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresOID { PostgresType.uuid }
    public var postgresText: String? { uuidString }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresOID { Wrapped.postgresType }
    public var postgresText: String? { self.flatMap(\.postgresText) }
}

/// Arrays bind as PostgreSQL array literals (`text[]`, `bigint[]`, `double precision[]`, …).
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresOID { Element.postgresArrayType }
    public var postgresText: String? {
        var out = "{"
        for (index, element) in enumerated() {
            if index > 0 { out += "," }
            guard let text = element.postgresText else { out += "NULL"; continue }
            out += "\""
            for ch in text {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }
}

/// An element type that has a matching PostgreSQL array type.
public protocol PostgresArrayElement: PostgresEncodable {
    /// The OID of the array type whose elements are `Self`.
    static var postgresArrayType: PostgresOID { get }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresOID { PostgresType.textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresOID { PostgresType.int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresOID { PostgresType.int8Array } }
extension Double: PostgresArrayElement { public static var postgresArrayType: PostgresOID { PostgresType.float8Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayType: PostgresOID { PostgresType.boolArray } }
