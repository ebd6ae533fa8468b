import CLibPQ
import Foundation

/// Where to connect: a `postgresql://` URL, a libpq conninfo string, or libpq's `PG*` environment.
public struct ConnectionConfiguration: Sendable, Equatable {
    /// The text handed to libpq as `dbname` (expanded as URL or conninfo); empty for the environment.
    public let connectionString: String
    /// Seconds before a connection attempt gives up.
    public var connectTimeout: Int = 10
    /// Reported to the server as `application_name` unless the string names one.
    public var applicationName: String = "causeway"

    /// A `postgresql://` or `postgres://` URL.
    public static func url(_ url: String) -> ConnectionConfiguration { .init(connectionString: url) }
    /// A libpq conninfo string such as `host=/tmp port=5432 dbname=causeway`.
    public static func conninfo(_ text: String) -> ConnectionConfiguration { .init(connectionString: text) }
    /// libpq's defaults and `PG*` environment variables.
    public static let environment = ConnectionConfiguration(connectionString: "")

    /// Builds a conninfo string from keyword/value pairs, quoting values as libpq requires.
    public static func conninfo(_ pairs: KeyValuePairs<String, String>) -> ConnectionConfiguration {
        .conninfo(pairs.map { "\($0.key)=\(quoteConninfoValue($0.value))" }.joined(separator: " "))
    }

    /// Quotes one conninfo value: single quotes around it, backslash before `'` and `\`.
    public static func quoteConninfoValue(_ value: String) -> String {
        var out = "'"
        for ch in value {
            if ch == "'" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        out.append("'")
        return out
    }

    /// The options this configuration resolves to (after `PG*` variables and defaults), password removed.
    ///
    /// Throws when libpq cannot parse the string; the error never repeats the string itself.
    public func resolvedOptions() throws -> [String: String] {
        var options: [String: String] = [:]
        var errorMessage: UnsafeMutablePointer<CChar>?
        let parsed: UnsafeMutablePointer<PQconninfoOption>?
        if connectionString.isEmpty {
            parsed = PQconndefaults()
        } else {
            parsed = PQconninfoParse(connectionString, &errorMessage)
        }
        guard let parsed else {
            let message = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(code: .sqlClientUnableToEstablishConnection,
                                message: "invalid connection settings: " + Self.firstLine(message))
        }
        defer { PQconninfoFree(parsed) }
        var option = parsed
        while let keyword = option.pointee.keyword {
            let key = String(cString: keyword)
            if key != "password", let value = option.pointee.val {
                options[key] = String(cString: value)
            }
            option += 1
        }
        if !connectionString.isEmpty {
            // A parsed string carries only what it names; fill the rest from the environment.
            let defaults = try ConnectionConfiguration.environment.resolvedOptions()
            for (key, value) in defaults where options[key] == nil { options[key] = value }
        }
        return options
    }

    /// A URL-like description of the target, never with the password.
    public func redactedDescription() -> String {
        guard let options = try? resolvedOptions() else { return "(invalid connection settings)" }
        return Self.describe(options)
    }

    static func describe(_ options: [String: String]) -> String {
        let user = options["user"].map { $0 + "@" } ?? ""
        let host = options["host"] ?? options["hostaddr"] ?? "localhost"
        let port = options["port"].map { ":" + $0 } ?? ""
        let dbname = options["dbname"] ?? options["user"] ?? ""
        if host.hasPrefix("/") {
            return "postgresql://\(user)/\(dbname)?host=\(host)\(port.isEmpty ? "" : "&port=" + port.dropFirst())"
        }
        return "postgresql://\(user)\(host)\(port)/\(dbname)"
    }

    static func firstLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
    }
}

