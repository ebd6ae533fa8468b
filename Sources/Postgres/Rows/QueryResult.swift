import CLibPQ

/// The rows of one statement (`PGresult`), freed in `deinit`.
public final class QueryResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    /// The number of rows returned.
    public var count: Int { Int(PQntuples(handle)) }

    /// The column names, in order.
    public var columns: [String] {
        (0..<Int(PQnfields(handle))).map { String(cString: PQfname(handle, Int32($0))) }
    }

    /// The columns' type OIDs, in order.
    public var columnTypes: [PostgresOID] {
        (0..<Int(PQnfields(handle))).map { PQftype(handle, Int32($0)) }
    }

    /// Rows affected by an INSERT, UPDATE, DELETE, COPY, …; 0 when the command reports none.
    public var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// The row at `index` (0-based).
    public subscript(index: Int) -> Row {
        precondition(index >= 0 && index < count, "row index \(index) out of range 0..<\(count)")
        return Row(result: self, index: Int32(index))
    }

    /// Decodes every row into a tuple: `try result.decode((Int, String?).self)`.
    public func decode<each Column: PostgresDecodable>(_ types: (repeat each Column).Type) throws -> [(repeat each Column)] {
        var rows: [(repeat each Column)] = []
        rows.reserveCapacity(count)
        for index in 0..<count { rows.append(try self[index].decode(types)) }
        return rows
    }

    /// Decodes the single column of every row: `try result.decode(String.self)`.
    public func decode<T: PostgresDecodable>(_ type: T.Type) throws -> [T] {
        try (0..<count).map { try self[$0].decode(type) }
    }

    /// Decodes the one value of a one-row, one-column result.
    public func decodeOne<T: PostgresDecodable>(_ type: T.Type) throws -> T {
        guard count == 1 else { throw PostgresError.client("expected exactly one row, got \(count)") }
        return try self[0].decode(type)
    }

    /// Decodes the single row of a one-row result; throws when there is not exactly one row.
    public func decodeOne<each Column: PostgresDecodable>(_ types: (repeat each Column).Type) throws -> (repeat each Column) {
        guard count == 1 else {
            throw PostgresError.client("expected exactly one row, got \(count)")
        }
        return try self[0].decode(types)
    }
}

@available(*, unavailable)
extension QueryResult: Sendable {}

extension QueryResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
}

/// One row of a `QueryResult`.
public struct Row {
    let result: QueryResult
    let index: Int32

    /// The number of columns.
    public var count: Int { Int(PQnfields(result.handle)) }

    /// True when the column is SQL NULL.
    public func isNull(_ column: Int) -> Bool { PQgetisnull(result.handle, index, Int32(column)) == 1 }

    /// Decodes one column by index.
    public func decode<T: PostgresDecodable>(column: Int, as type: T.Type = T.self) throws -> T {
        let handle = result.handle
        guard column >= 0, column < count else {
            throw PostgresError.client("column index \(column) out of range: the row has \(count) columns")
        }
        let c = Int32(column)
        do throws(PostgresDecodingFailure) {
            if PQgetisnull(handle, index, c) == 1 { return try T.decodeNull() }
            // never nil: libpq returns "" rather than NULL for an in-range non-null value
            let value = PQgetvalue(handle, index, c)!
            let length = Int(PQgetlength(handle, index, c))
            return try T.decode(UnsafeRawBufferPointer(start: value, count: length), type: PQftype(handle, c))
        } catch {
            throw PostgresDecodingError(failure: error, column: String(cString: PQfname(handle, c)), columnIndex: column,
                                        targetType: String(describing: T.self), postgresType: PQftype(handle, c))
        }
    }

    /// Decodes one column by name.
    public func decode<T: PostgresDecodable>(column name: String, as type: T.Type = T.self) throws -> T {
        let column = Int(PQfnumber(result.handle, SQLQuery.quoteIdentifier(name)))
        guard column >= 0 else { throw PostgresError.client("no column named \"\(name)\" in the result") }
        return try decode(column: column, as: type)
    }

    /// Decodes a one-column row.
    public func decode<T: PostgresDecodable>(_ type: T.Type) throws -> T {
        guard count == 1 else { throw PostgresError.client("cannot decode a row of \(count) columns as one value") }
        return try decode(column: 0, as: type)
    }

    /// Decodes the whole row into a tuple whose arity must match the column count.
    public func decode<each Column: PostgresDecodable>(_ types: (repeat each Column).Type) throws -> (repeat each Column) {
        var arity = 0
        for _ in repeat (each Column).self { arity += 1 }
        guard arity == count else {
            throw PostgresError.client("cannot decode a row of \(count) columns as a tuple of \(arity)")
        }
        var column = 0
        func next<T: PostgresDecodable>(_ type: T.Type) throws -> T {
            defer { column += 1 }
            return try decode(column: column, as: type)
        }
        return (repeat try next((each Column).self))
    }
}
