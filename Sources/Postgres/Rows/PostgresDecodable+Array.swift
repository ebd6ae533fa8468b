/// One-dimensional arrays in text format (`{a,"b c",NULL}`): `text[]` (and `varchar[]`) as
/// `[String]`, `float8[]` (and `float4[]`, `numeric[]`) as `[Double]`, `int8[]` (and `int2[]`,
/// `int4[]`) as `[Int64]` or `[Int]`. A NULL element is `invalidValue`; decode `[T]?` for a NULL
/// array.
extension Array: PostgresDecodable where Element: PostgresDecodableArrayElement {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> [Element] {
        guard let elementType = Element.elementType(ofArray: type) else { throw .typeMismatch }
        var out: [Element] = []
        try PostgresArrayText.forEachElement(bytes) { (element: UnsafeRawBufferPointer?) throws(PostgresDecodingFailure) in
            guard let element else { throw .invalidValue }
            out.append(try Element.decode(element, type: elementType))
        }
        return out
    }
}

/// A type arrays of which decode: it names the element type of the array types it accepts.
public protocol PostgresDecodableArrayElement: PostgresDecodable {
    /// The element OID for an accepted array OID, nil for any other.
    static func elementType(ofArray type: PostgresOID) -> PostgresOID?
}

extension String: PostgresDecodableArrayElement {
    public static func elementType(ofArray type: PostgresOID) -> PostgresOID? {
        switch type {
        case PostgresType.textArray: PostgresType.text
        case 1015: PostgresType.varchar  // varchar[]
        default: nil
        }
    }
}

extension Double: PostgresDecodableArrayElement {
    public static func elementType(ofArray type: PostgresOID) -> PostgresOID? {
        switch type {
        case PostgresType.float8Array: PostgresType.float8
        case 1021: PostgresType.float4   // float4[]
        case 1231: PostgresType.numeric  // numeric[]
        default: nil
        }
    }
}

extension Int64: PostgresDecodableArrayElement {
    public static func elementType(ofArray type: PostgresOID) -> PostgresOID? {
        switch type {
        case PostgresType.int8Array: PostgresType.int8
        case 1005: PostgresType.int2     // int2[]
        case 1007: PostgresType.int4     // int4[]
        default: nil
        }
    }
}

extension Int: PostgresDecodableArrayElement {
    public static func elementType(ofArray type: PostgresOID) -> PostgresOID? { Int64.elementType(ofArray: type) }
}

/// PostgreSQL's array text output, one dimension: `{}`, `{1,2}`, `{"a,b",NULL,"say \"hi\""}`.
enum PostgresArrayText {
    /// Calls `body` with each element's unquoted, unescaped bytes (nil for NULL).
    static func forEachElement(_ bytes: UnsafeRawBufferPointer,
                               _ body: (UnsafeRawBufferPointer?) throws(PostgresDecodingFailure) -> Void) throws(PostgresDecodingFailure) {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""),
            backslash = UInt8(ascii: "\\")
        guard bytes.count >= 2, bytes[0] == open, bytes[bytes.count - 1] == close else { throw .invalidValue }
        var i = 1
        let end = bytes.count - 1
        guard i < end else { return }  // {}
        var element: [UInt8] = []
        while true {
            element.removeAll(keepingCapacity: true)
            var quoted = false
            if bytes[i] == quote {
                quoted = true
                i += 1
                while i < end, bytes[i] != quote {
                    if bytes[i] == backslash { i += 1; guard i < end else { throw .invalidValue } }
                    element.append(bytes[i])
                    i += 1
                }
                guard i < end else { throw .invalidValue }
                i += 1  // the closing quote
            } else {
                while i < end, bytes[i] != comma {
                    guard bytes[i] != open, bytes[i] != quote else { throw .invalidValue }  // several dimensions, stray quote
                    element.append(bytes[i])
                    i += 1
                }
            }
            if !quoted, element.count == 4, element.elementsEqual("NULL".utf8) {
                try body(nil)
            } else {
                var failure: PostgresDecodingFailure?
                element.withUnsafeBytes { raw in
                    do throws(PostgresDecodingFailure) { try body(raw) } catch { failure = error }
                }
                if let failure { throw failure }
            }
            if i == end { return }
            guard bytes[i] == comma else { throw .invalidValue }
            i += 1
        }
    }
}
