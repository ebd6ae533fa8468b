import CLibPQ

/// Feeds rows to a running `COPY … FROM STDIN`, buffering writes.
public final class CopyInWriter {
    private let connection: Connection
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 18
    /// Rows written with `writeRow`.
    public private(set) var rowsWritten = 0
    /// Called after each batch is handed to libpq (about every 256 KiB) with `rowsWritten`: a
    /// progress hook.
    public var onFlush: ((Int) -> Void)?

    init(connection: Connection) {
        self.connection = connection
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    /// Writes raw bytes in the format the COPY statement names.
    public func write(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Writes raw text in the format the COPY statement names.
    public func write(_ text: String) throws { try write(text.utf8) }

    /// Writes one row in COPY text format: fields escaped, tab-separated, newline-terminated.
    public func writeRow<each Field: CopyTextEncodable>(_ fields: repeat each Field) throws {
        var first = true
        for field in repeat each fields {
            if !first { buffer.append(UInt8(ascii: "\t")) }
            first = false
            field.appendCopyText(to: &buffer)
        }
        buffer.append(UInt8(ascii: "\n"))
        rowsWritten += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Writes one row of optional strings (nil is NULL) in COPY text format.
    public func writeRow(fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: "\t")) }
            field.appendCopyText(to: &buffer)
        }
        buffer.append(UInt8(ascii: "\n"))
        rowsWritten += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection.handle, $0.baseAddress, Int32($0.count)) }
        }
        buffer.removeAll(keepingCapacity: true)
        guard status == 1 else { throw connection.connectionError(sql: nil) }
        onFlush?(rowsWritten)
    }
}

@available(*, unavailable)
extension CopyInWriter: Sendable {}

extension Connection {
    /// Runs `COPY … FROM STDIN` and lets `body` write the data; returns the rows copied.
    ///
    /// When `body` throws, the COPY is aborted with `PQputCopyEnd(conn, message)`, so no row
    /// of it is kept, and the error is rethrown. Interpolated values are bound, never spliced
    /// (`copyText`).
    @discardableResult
    public func copyIn(_ statement: SQLQuery, _ body: (CopyInWriter) throws -> Void) throws -> Int {
        try startCopy(try copyText(statement), expecting: PGRES_COPY_IN)
        let writer = CopyInWriter(connection: self)
        do {
            try body(writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(handle, "aborted by client: \(error)")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError(sql: statement.sql) }
        return try finishCopy(statement.sql)
    }

    /// Runs `COPY … TO STDOUT` and hands `body` each row as sent (text format: one line with its newline).
    /// Returns the rows copied. When `body` throws, the COPY is cancelled and the error rethrown.
    @discardableResult
    public func copyOut(_ statement: SQLQuery, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try startCopy(try copyText(statement), expecting: PGRES_COPY_OUT)
        var bodyError: Error?
        while true {
            var data: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &data, 0)
            if length == -1 { break }
            if length == -2 { throw connectionError(sql: statement.sql) }
            guard let data else { continue }
            defer { PQfreemem(data) }
            guard bodyError == nil else { continue }
            do {
                try body(UnsafeRawBufferPointer(start: data, count: Int(length)))
            } catch {
                bodyError = error
                cancel()
            }
        }
        if let bodyError {
            drainResults()
            throw bodyError
        }
        return try finishCopy(statement.sql)
    }

    /// Runs `COPY … TO STDOUT` in text format and hands `body` each row, to decode in place:
    /// `try row.decode((Int64, Int32, Double).self)`.
    @discardableResult
    public func copyOutRows(_ statement: SQLQuery, _ body: (CopyRow) throws -> Void) throws -> Int {
        try copyOut(statement) { line in try body(CopyRow(line: line)) }
    }

    private func startCopy(_ sql: String, expecting status: ExecStatusType) throws {
        guard let raw = PQexec(handle, sql) else { throw connectionError(sql: sql) }
        let result = QueryResult(raw)
        try check(result, sql: sql)
        guard PQresultStatus(raw) == status else {
            drainResults()
            throw PostgresError.client(status == PGRES_COPY_IN ? "statement is not COPY … FROM STDIN"
                                                                  : "statement is not COPY … TO STDOUT", sql: sql)
        }
    }

    private func finishCopy(_ sql: String) throws -> Int {
        var failure: PostgresError?
        var rows = 0
        while let raw = PQgetResult(handle) {
            let result = QueryResult(raw)
            if PQresultStatus(raw) == PGRES_COMMAND_OK { rows = result.affectedRows } else if failure == nil {
                failure = error(from: result, sql: sql)
            }
        }
        if let failure { throw failure }
        return rows
    }

    /// Asks the server to cancel the statement in progress.
    func cancel() {
        guard let cancel = PQgetCancel(handle) else { return }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
        PQfreeCancel(cancel)
    }

    /// Reads and discards what is left of the current command.
    func drainResults() {
        while let raw = PQgetResult(handle) {
            if PQresultStatus(raw) == PGRES_COPY_OUT {
                var data: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &data, 0) >= 0 { if let data { PQfreemem(data) }; data = nil }
            }
            PQclear(raw)
        }
    }
}
