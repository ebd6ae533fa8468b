/// One row of `COPY … TO STDOUT` in text format, read in place: fields are found and decoded
/// without copying unless they hold backslash escapes.
public struct CopyRow {
    /// The row's bytes without the trailing newline.
    public let bytes: UnsafeRawBufferPointer

    init(line: UnsafeRawBufferPointer) {
        var end = line.count
        if end > 0, line[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        bytes = UnsafeRawBufferPointer(rebasing: line[0..<end])
    }

    /// The number of fields. O(n) in the row's length.
    public var count: Int { bytes.reduce(1) { $0 + ($1 == 9 ? 1 : 0) } }

    /// Decodes the row into a tuple; the tuple's arity must match the field count.
    public func decode<each Field: PostgresDecodable>(_ types: (repeat each Field).Type) throws -> (repeat each Field) {
        var cursor = 0
        var index = 0
        func next<T: PostgresDecodable>(_ type: T.Type) throws -> T {
            defer { index += 1 }
            guard cursor <= bytes.count else {
                throw PostgresError.client("COPY row has \(index) fields; expected more")
            }
            var end = cursor
            while end < bytes.count, bytes[end] != 9 { end += 1 }
            let field = UnsafeRawBufferPointer(rebasing: bytes[cursor..<end])
            cursor = end + 1
            return try Self.decodeField(field, as: type, index: index)
        }
        let row = (repeat try next((each Field).self))
        guard cursor > bytes.count else {
            throw PostgresError.client("COPY row has more than \(index) fields")
        }
        return row
    }

    /// Decodes a one-field row.
    public func decode<T: PostgresDecodable>(_ type: T.Type) throws -> T {
        guard !bytes.contains(9) else { throw PostgresError.client("COPY row has more than 1 field") }
        return try Self.decodeField(bytes, as: type, index: 0)
    }

    /// One field of a row, decoded on demand.
    public struct Field {
        public let bytes: UnsafeRawBufferPointer
        public let index: Int

        public func decode<T: PostgresDecodable>(_ type: T.Type) throws -> T { try CopyRow.decodeField(bytes, as: type, index: index) }
    }

    /// Calls `body` with each field in turn, without allocating: for wide rows of numbers that go
    /// straight into a buffer.
    public func forEachField(_ body: (Field) throws -> Void) throws {
        var cursor = 0, index = 0
        while cursor <= bytes.count {
            var end = cursor
            while end < bytes.count, bytes[end] != 9 { end += 1 }
            try body(Field(bytes: UnsafeRawBufferPointer(rebasing: bytes[cursor..<end]), index: index))
            cursor = end + 1
            index += 1
        }
    }

    /// The unescaped fields (nil for NULL). Allocates; `decode` does not.
    public var fields: [[UInt8]?] {
        bytes.split(separator: 9, omittingEmptySubsequences: false).map { slice in
            let field = UnsafeRawBufferPointer(rebasing: slice)
            if Self.isNull(field) { return nil }
            return Self.unescape(field)
        }
    }

    static func isNull(_ field: UnsafeRawBufferPointer) -> Bool {
        field.count == 2 && field[0] == UInt8(ascii: "\\") && field[1] == UInt8(ascii: "N")
    }

    static func decodeField<T: PostgresDecodable>(_ field: UnsafeRawBufferPointer, as type: T.Type, index: Int) throws -> T {
        do throws(PostgresDecodingFailure) {
            if isNull(field) { return try T.decodeNull() }
            guard field.contains(UInt8(ascii: "\\")) else { return try T.decode(field, type: PostgresType.unknown) }
            let plain = unescape(field)
            let decoded: Result<T, PostgresDecodingFailure> = plain.withUnsafeBytes { bytes in
                Result { () throws(PostgresDecodingFailure) in try T.decode(bytes, type: PostgresType.unknown) }
            }
            return try decoded.get()
        } catch {
            throw PostgresDecodingError(failure: error, column: "field \(index + 1)", columnIndex: index,
                                        targetType: String(describing: T.self), postgresType: PostgresType.unknown)
        }
    }

    /// Undoes COPY text escapes: `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, and `\X` for any other X.
    static func unescape(_ field: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var index = 0
        while index < field.count {
            let byte = field[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < field.count else { out.append(byte); index += 1; continue }
            switch field[index + 1] {
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "v"): out.append(11)
            case let other: out.append(other)
            }
            index += 2
        }
        return out
    }
}
