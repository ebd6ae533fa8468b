/// A five-character SQLSTATE code, as PostgreSQL reports it.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Class 08: the connection failed or was lost.
    public var isConnectionError: Bool { rawValue.hasPrefix("08") }

    public static let successfulCompletion = SQLState(rawValue: "00000")
    public static let connectionFailure = SQLState(rawValue: "08006")
    public static let connectionDoesNotExist = SQLState(rawValue: "08003")
    public static let sqlClientUnableToEstablishConnection = SQLState(rawValue: "08001")
    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let badCopyFileFormat = SQLState(rawValue: "22P04")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let invalidPassword = SQLState(rawValue: "28P01")
    public static let invalidAuthorization = SQLState(rawValue: "28000")
    /// Not a server code: the client library misused or refused an operation.
    public static let clientError = SQLState(rawValue: "XXCLI")
}

/// An error reported by PostgreSQL or by libpq.
///
/// `description` shows the message, detail, hint and SQLSTATE, and the statement text with its
/// `$n` placeholders; it never shows bound parameter values or a password.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The SQLSTATE code (`clientError` for libpq-side failures without one).
    public var code: SQLState
    /// The primary message, one line.
    public var message: String
    /// Optional secondary detail.
    public var detail: String?
    /// Optional hint.
    public var hint: String?
    /// The statement text (placeholders, not values), when a statement failed.
    public var sql: String?

    public init(code: SQLState, message: String, detail: String? = nil, hint: String? = nil, sql: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.sql = sql
    }

    /// True when the connection failed or was lost (SQLSTATE class 08).
    public var isConnectionError: Bool { code.isConnectionError }

    public var description: String {
        var text = message
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let hint, !hint.isEmpty { text += " Hint: \(hint)" }
        if code != .clientError { text += " [SQLSTATE \(code.rawValue)]" }
        return text
    }

    /// The description followed by the statement, for logs.
    public var debugDescription: String {
        guard let sql else { return description }
        return description + " in: " + sql
    }

    static func client(_ message: String, sql: String? = nil) -> PostgresError {
        PostgresError(code: .clientError, message: message, sql: sql)
    }
}
