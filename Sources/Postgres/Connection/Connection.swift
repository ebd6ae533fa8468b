import CLibPQ
import Foundation
import Logging

/// One libpq connection (`PGconn`), closed in `deinit`.
///
/// Not thread-safe: use a connection from one thread at a time.
public final class Connection {
    let handle: OpaquePointer
    /// Receives statement timings and transaction events at `.debug`/`.trace`.
    public let logger: Logger
    var transactionDepth = 0

    /// Opens a connection, or throws a `PostgresError` naming host and database (never the password).
    public init(_ configuration: ConnectionConfiguration = .environment,
                logger: Logger = Logger(label: "causeway.postgres")) throws {
        self.logger = logger
        var keywords = ["connect_timeout", "fallback_application_name", "client_encoding"]
        var values = [String(configuration.connectTimeout), configuration.applicationName, "UTF8"]
        if !configuration.connectionString.isEmpty {
            keywords.append("dbname")
            values.append(configuration.connectionString)
        }
        let connection: OpaquePointer? = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .sqlClientUnableToEstablishConnection, message: "out of memory while connecting")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let host = PQhost(connection).map { String(cString: $0) } ?? "localhost"
            let port = PQport(connection).map { String(cString: $0) } ?? ""
            let database = PQdb(connection).map { String(cString: $0) } ?? ""
            let detail = Self.redact(Self.oneLine(PQerrorMessage(connection).map { String(cString: $0) } ?? ""),
                                     configuration: configuration)
            PQfinish(connection)
            let place = host.hasPrefix("/") ? "socket directory \"\(host)\"" : "host \"\(host)\""
            throw PostgresError(
                code: .sqlClientUnableToEstablishConnection,
                message: "could not connect to database \"\(database)\" on \(place)\(port.isEmpty ? "" : " port \(port)"): \(detail)")
        }
        handle = connection
        PQsetNoticeReceiver(handle, { _, _ in }, nil)
        try execute(unsafeScript: "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'iso_8601'")
    }

    deinit { PQfinish(handle) }

    /// The server's version as an integer (150018 for 15.18).
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// The database's name.
    public var database: String { PQdb(handle).map { String(cString: $0) } ?? "" }

    /// What this connection is connected to, URL-shaped, without the password.
    public var redactedDescription: String {
        var options: [String: String] = [:]
        if let info = PQconninfo(handle) {
            var option = info
            while let keyword = option.pointee.keyword {
                let key = String(cString: keyword)
                if key != "password", let value = option.pointee.val { options[key] = String(cString: value) }
                option += 1
            }
            PQconninfoFree(info)
        }
        return ConnectionConfiguration.describe(options)
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: SQLQuery) throws -> QueryResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let result = try run(query)
        logger.trace("query", metadata: [
            "sql": "\(query.sql)",
            "ms": "\(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)",
        ])
        return result
    }

    /// Runs one statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: SQLQuery) throws -> Int {
        try run(query).affectedRows
    }

    /// Runs a script of one or more statements without parameters (simple query protocol).
    ///
    /// The caller vouches that the text holds no untrusted input.
    public func execute(unsafeScript script: String) throws {
        guard let raw = PQexec(handle, script) else { throw connectionError(sql: script) }
        let result = QueryResult(raw)
        try check(result, sql: script)
    }

    private func run(_ query: SQLQuery) throws -> QueryResult {
        let sql = query.sql
        let raw: OpaquePointer? = query.parameters.withCStringPointers { values in
            query.parameterTypes.withUnsafeBufferPointer { types in
                PQexecParams(handle, sql, Int32(values.count), types.baseAddress, values.baseAddress, nil, nil, 0)
            }
        }
        guard let raw else { throw connectionError(sql: sql) }
        let result = QueryResult(raw)
        try check(result, sql: sql)
        return result
    }

    func check(_ result: QueryResult, sql: String?) throws {
        switch PQresultStatus(result.handle) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return
        default:
            throw error(from: result, sql: sql)
        }
    }

    func error(from result: QueryResult, sql: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let value = PQresultErrorField(result.handle, Int32(ascii)) else { return nil }
            return String(cString: value)
        }
        let code = field("C").map(SQLState.init(rawValue:))
        if code == nil, PQstatus(handle) == CONNECTION_BAD { return connectionError(sql: sql) }
        let message = field("M") ?? PQresultErrorMessage(result.handle).map { Self.oneLine(String(cString: $0)) } ?? "unknown error"
        return PostgresError(code: code ?? .clientError, message: message, detail: field("D"), hint: field("H"), sql: sql)
    }

    func connectionError(sql: String?) -> PostgresError {
        let message = PQerrorMessage(handle).map { Self.oneLine(String(cString: $0)) } ?? ""
        return PostgresError(code: .connectionFailure,
                             message: "lost connection to the database" + (message.isEmpty ? "" : ": " + message), sql: sql)
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// Removes any password the configuration or `PGPASSWORD` carries from a message.
    static func redact(_ message: String, configuration: ConnectionConfiguration) -> String {
        var secrets: [String] = []
        if let password = ProcessInfo.processInfo.environment["PGPASSWORD"], !password.isEmpty { secrets.append(password) }
        var errorMessage: UnsafeMutablePointer<CChar>?
        if !configuration.connectionString.isEmpty, let parsed = PQconninfoParse(configuration.connectionString, &errorMessage) {
            var option = parsed
            while let keyword = option.pointee.keyword {
                if String(cString: keyword) == "password", let value = option.pointee.val {
                    let password = String(cString: value)
                    if !password.isEmpty { secrets.append(password) }
                }
                option += 1
            }
            PQconninfoFree(parsed)
        }
        if let errorMessage { PQfreemem(errorMessage) }
        var out = message
        for secret in secrets { out = out.replacingOccurrences(of: secret, with: "********") }
        return out
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let optionals: [String?] = strings
    return optionals.withCStringPointers { pointers in
        var terminated = Array(pointers)
        terminated.append(nil)
        return terminated.withUnsafeBufferPointer { body($0.baseAddress!) } // never nil: at least one element
    }
}

extension Array where Element == String? {
    /// Calls `body` with C string pointers (nil for nil) into one buffer owned for the call.
    func withCStringPointers<R>(_ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
        var storage: [CChar] = []
        var offsets: [Int?] = []
        offsets.reserveCapacity(count)
        for element in self {
            guard let element else { offsets.append(nil); continue }
            offsets.append(storage.count)
            storage.append(contentsOf: element.utf8CString)
        }
        return storage.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in offset.map { buffer.baseAddress! + $0 } }
            return pointers.withUnsafeBufferPointer(body)
        }
    }
}
