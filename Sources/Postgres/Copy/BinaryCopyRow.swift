/// One row of `COPY … TO STDOUT (FORMAT binary)`: fields as length-prefixed big-endian values,
/// read in place. Binary COPY spares the server from formatting numbers as text (for floating
/// point, the costliest part of a text COPY out).
public struct BinaryCopyRow {
    /// The row's bytes: a 16-bit field count, then each field's 32-bit length (−1 for NULL) and bytes.
    public let bytes: UnsafeRawBufferPointer

    /// One field's raw bytes, or nil for NULL.
    public struct Field {
        public let bytes: UnsafeRawBufferPointer?
        public let index: Int

        func value<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            guard let bytes else { throw PostgresError.client("binary COPY field \(index + 1) is NULL") }
            guard bytes.count == MemoryLayout<T>.size else {
                throw PostgresError.client("binary COPY field \(index + 1) has \(bytes.count) bytes; expected \(MemoryLayout<T>.size)")
            }
            return T(bigEndian: bytes.loadUnaligned(as: T.self))
        }

        /// A `real` (float4) field.
        public func float() throws -> Float { Float(bitPattern: try value(UInt32.self)) }
        /// A `double precision` (float8) field.
        public func double() throws -> Double { Double(bitPattern: try value(UInt64.self)) }
        /// An `integer` (int4) field.
        public func int32() throws -> Int32 { try value(Int32.self) }
        /// A `bigint` (int8) field.
        public func int64() throws -> Int64 { try value(Int64.self) }
        /// A `text` field (UTF-8).
        public func string() throws -> String {
            guard let bytes else { throw PostgresError.client("binary COPY field \(index + 1) is NULL") }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Calls `body` with each field in turn.
    public func forEachField(_ body: (Field) throws -> Void) throws {
        guard bytes.count >= 2 else { throw PostgresError.client("binary COPY row is truncated") }
        let count = Int(Int16(bigEndian: bytes.loadUnaligned(as: Int16.self)))
        var cursor = 2
        for index in 0..<count {
            guard cursor + 4 <= bytes.count else { throw PostgresError.client("binary COPY row is truncated") }
            let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: cursor, as: Int32.self)))
            cursor += 4
            if length < 0 { try body(Field(bytes: nil, index: index)); continue }
            guard cursor + length <= bytes.count else { throw PostgresError.client("binary COPY row is truncated") }
            try body(Field(bytes: UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + length)]), index: index))
            cursor += length
        }
    }
}

extension Connection {
    /// Runs `COPY … TO STDOUT (FORMAT binary)` and hands `body` each row. The statement must ask for
    /// the binary format. Returns the rows copied.
    @discardableResult
    public func copyOutBinaryRows(_ statement: SQLQuery, _ body: (BinaryCopyRow) throws -> Void) throws -> Int {
        let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
        var headerSeen = false
        return try copyOut(statement) { message in
            var row = message
            if !headerSeen {
                // The first message starts with the 11-byte signature, 32-bit flags and a header extension.
                guard message.count >= 19, Array(message[0..<11]) == signature else {
                    throw PostgresError.client("COPY did not send binary format; add (FORMAT binary)")
                }
                let extensionLength = Int(UInt32(bigEndian: message.loadUnaligned(fromByteOffset: 15, as: UInt32.self)))
                row = UnsafeRawBufferPointer(rebasing: message[(19 + extensionLength)...])
                headerSeen = true
                if row.isEmpty { return }
            }
            // The trailer is a field count of −1.
            if row.count == 2, Int16(bigEndian: row.loadUnaligned(as: Int16.self)) == -1 { return }
            try body(BinaryCopyRow(bytes: row))
        }
    }
}
