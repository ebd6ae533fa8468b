/// Raw bytes as a `bytea` value: sent and read in PostgreSQL's hex text form (`\x0a1b…`).
public struct Bytea: Sendable, Equatable, PostgresEncodable, PostgresDecodable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static var postgresType: PostgresOID { PostgresType.bytea }

    public var postgresText: String? {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + 2 * bytes.count)
        out[0] = UInt8(ascii: "\\"); out[1] = UInt8(ascii: "x")
        for (i, b) in bytes.enumerated() {
            out[2 + 2 * i] = digits[Int(b >> 4)]
            out[3 + 2 * i] = digits[Int(b & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: UnsafeRawBufferPointer, type: PostgresOID) throws(PostgresDecodingFailure) -> Bytea {
        guard type == PostgresType.bytea || type == PostgresType.unknown else { throw .typeMismatch }
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else {
            throw .invalidValue
        }
        func nibble(_ c: UInt8) throws(PostgresDecodingFailure) -> UInt8 {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: throw .invalidValue
            }
        }
        var bytes = [UInt8](repeating: 0, count: (text.count - 2) / 2)
        for i in bytes.indices { bytes[i] = try nibble(text[2 + 2 * i]) << 4 | nibble(text[3 + 2 * i]) }
        return Bytea(bytes)
    }
}

/// A `double precision[]` field for COPY text format: `{1.5,-2,…}`. Values must be finite.
public struct CopyDoubleArray<Values: Collection>: CopyTextEncodable where Values.Element: BinaryFloatingPoint {
    public let values: Values
    public init(_ values: Values) { self.values = values }

    public func appendCopyText(to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        var first = true
        for v in values {
            if !first { buffer.append(UInt8(ascii: ",")) }
            first = false
            buffer.append(contentsOf: Double.postgresLiteral(Double(v)).utf8)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
