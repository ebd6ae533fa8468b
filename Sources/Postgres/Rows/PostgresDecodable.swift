import Foundation

/// Why one value could not be decoded; `PostgresDecodingError` adds where.
public enum PostgresDecodingFailure: Error, Sendable, Equatable {
    /// The column is NULL and the target type is not optional.
    case unexpectedNull
    /// The column's type cannot become the target type.
    case typeMismatch
    /// The text could not be parsed as the target type.
    case invalidValue
}

/// A Swift type that can be decoded from a column in text format.
public protocol PostgresDecodable {
    /// Decodes the column's text (not NUL-terminated) of the given type OID.
    static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Self
    /// The value for SQL NULL; non-optional types throw `unexpectedNull`.
    static func decodeNull() throws(PostgresDecodingFailure) -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self { throw .unexpectedNull }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Self {
        try Wrapped.decode(bytes, type: type)
    }
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self { nil }
}

extension String: PostgresDecodable {
    /// Any column decodes as its text representation, as psql shows it.
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

enum IntegerText {
    /// Whether a column of this type may decode as an integer (a switch: this runs per value).
    @inline(__always)
    static func accepts(_ type: PostgresOID) -> Bool {
        switch type {
        case PostgresType.int2, PostgresType.int4, PostgresType.int8, PostgresType.oid, PostgresType.unknown, PostgresType.text: true
        default: false
        }
    }

    /// Parses an optionally signed decimal integer; nil on overflow or any other byte.
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") { negative = true; index = 1 } else if bytes[0] == UInt8(ascii: "+") { index = 1 }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(digit)) : m.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = s
            index += 1
        }
        return value
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Int64 {
        guard IntegerText.accepts(type) else { throw .typeMismatch }
        guard let value = IntegerText.parse(bytes) else { throw .invalidValue }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Int {
        Int(try Int64.decode(bytes, type: type))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Int32 {
        guard let value = Int32(exactly: try Int64.decode(bytes, type: type)) else { throw .invalidValue }
        return value
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Double {
        switch type {
        case PostgresType.float4, PostgresType.float8, PostgresType.numeric: break
        default: guard IntegerText.accepts(type) else { throw .typeMismatch }
        }
        guard let value = parseDouble(bytes) else { throw .invalidValue }
        return value
    }

    /// Parses PostgreSQL's float text, including `NaN`, `Infinity` and `-Infinity`.
    static func parseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if let value = fastParseDouble(bytes) { return value }
        guard !bytes.isEmpty, bytes.count < 64 else { return bytes.isEmpty ? nil : Double(String(decoding: bytes, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer -> Double? in
            for i in 0..<bytes.count { buffer[i] = CChar(bitPattern: bytes[i]) }
            buffer[bytes.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end) // never nil: capacity ≥ 1
            guard let end, end == buffer.baseAddress! + bytes.count else { return nil }
            return value
        }
    }
}

private let exactPowersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

extension Double {
    /// Clinger's fast path: `[-]digits[.digits]` with at most 15 significant digits and at most 22
    /// decimals is one exactly rounded division of two exact doubles. Nil sends the text to strtod.
    @inline(__always)
    static func fastParseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var decimals = 0
        var seenPoint = false
        var any = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
            } else {
                let digit = byte &- 48
                guard digit < 10 else { return nil }
                any = true
                if mantissa != 0 || digit != 0 { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(digit)
                if seenPoint { decimals += 1 }
            }
            index += 1
        }
        guard any, decimals <= 22 else { return nil }
        let value = Double(mantissa) / exactPowersOfTen[decimals]
        return negative ? -value : value
    }
}

extension Float: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Float {
        Float(try Double.decode(bytes, type: type))
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Bool {
        guard type == PostgresType.bool || type == PostgresType.unknown || type == PostgresType.text else { throw .typeMismatch }
        switch bytes.count == 1 ? bytes[0] : 0 {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw .invalidValue
        }
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Date {
        guard [PostgresType.timestamptz, PostgresType.timestamp, PostgresType.date, PostgresType.text, PostgresType.unknown].contains(type) else {
            throw .typeMismatch
        }
        guard let date = PostgresTimestamp.parse(bytes.bindMemory(to: UInt8.self)) else { throw .invalidValue }
        return date
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> UUID {
        guard type == PostgresType.uuid || type == PostgresType.text else { throw .typeMismatch }
        guard let uuid = UUID(uuidString: String(decoding: bytes, as: UTF8.self)) else { throw .invalidValue }
        return uuid
    }
}

/// A value that could not be decoded, with the column that held it.
public struct PostgresDecodingError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var failure: PostgresDecodingFailure
    /// The column's name.
    public var column: String
    /// The column's zero-based index.
    public var columnIndex: Int
    /// The Swift type that was asked for.
    public var targetType: String
    /// The column's PostgreSQL type.
    public var postgresType: PostgresOID

    public var description: String {
        let pgType = PostgresType.name(of: postgresType)
        let what: String
        switch failure {
        case .unexpectedNull: what = "is NULL but \(targetType) is not optional"
        case .typeMismatch: what = "of type \(pgType) cannot be decoded as \(targetType)"
        case .invalidValue: what = "of type \(pgType) holds a value that is not a valid \(targetType)"
        }
        return "column \"\(column)\" (index \(columnIndex)) \(what)"
    }
}
