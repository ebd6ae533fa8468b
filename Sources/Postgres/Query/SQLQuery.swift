/// A SQL statement whose interpolated values become `$n` parameters.
///
/// ```swift
/// let query: SQLQuery = "SELECT arm FROM assignments WHERE experiment = \(name) AND unit = \(unit)"
/// // sql: "SELECT arm FROM assignments WHERE experiment = $1 AND unit = $2"
/// ```
/// Identifiers go through `\(identifier: name)` and are double-quoted. Raw SQL text can only be
/// spliced in with `SQLQuery(unsafeSQL:)` or `\(unsafeRaw:)`, names that say what they are.
public struct SQLQuery: Sendable, CustomStringConvertible {
    enum Fragment: Sendable {
        case text(String)
        case parameter(Int)
    }

    private var fragments: [Fragment]
    /// The bound values in placeholder order, in text format (nil is SQL NULL).
    public private(set) var parameters: [String?]
    /// The parameter type OIDs (0 lets the server infer).
    public private(set) var parameterTypes: [PostgresOID]

    /// A statement from raw text, with no parameters. The caller vouches that it holds no untrusted input.
    public init(unsafeSQL sql: String) {
        self.fragments = sql.isEmpty ? [] : [.text(sql)]
        self.parameters = []
        self.parameterTypes = []
    }

    /// The statement text with `$1`, `$2`, … placeholders.
    public var sql: String {
        var out = ""
        for fragment in fragments {
            switch fragment {
            case .text(let text): out += text
            case .parameter(let index): out += "$\(index + 1)"
            }
        }
        return out
    }

    /// The statement text with each placeholder replaced by `replacement(index)` (0-based): for
    /// statements that cannot take parameters, such as COPY (see `Connection.copyText`).
    func sql(replacingParameters replacement: (Int) -> String) -> String {
        var out = ""
        for fragment in fragments {
            switch fragment {
            case .text(let text): out += text
            case .parameter(let index): out += replacement(index)
            }
        }
        return out
    }

    /// Appends a bound value as the next placeholder.
    public mutating func append(value: some PostgresEncodable) {
        fragments.append(.parameter(parameters.count))
        parameters.append(value.postgresText)
        parameterTypes.append(type(of: value).postgresType)
    }

    /// Appends another query; its placeholders are renumbered after this one's.
    public mutating func append(_ other: SQLQuery) {
        let offset = parameters.count
        for fragment in other.fragments {
            switch fragment {
            case .text: fragments.append(fragment)
            case .parameter(let index): fragments.append(.parameter(index + offset))
            }
        }
        parameters += other.parameters
        parameterTypes += other.parameterTypes
    }

    /// Appends raw text. The caller vouches that it holds no untrusted input.
    public mutating func append(unsafeSQL text: String) { fragments.append(.text(text)) }

    /// Joins queries with a raw separator such as `", "`.
    public static func joined(_ parts: [SQLQuery], separator: String) -> SQLQuery {
        var out = SQLQuery(unsafeSQL: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { out.append(unsafeSQL: separator) }
            out.append(part)
        }
        return out
    }

    /// Statement text only; values never appear here.
    public var description: String { sql }

    /// Double-quotes an identifier, doubling embedded quotes.
    public static func quoteIdentifier(_ name: String) -> String {
        var out = "\""
        for ch in name {
            if ch == "\"" { out += "\"\"" } else { out.append(ch) }
        }
        return out + "\""
    }
}

extension SQLQuery: ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) { self.init(unsafeSQL: value) }

    public init(stringInterpolation: StringInterpolation) {
        self = stringInterpolation.query
    }

    /// Builds a query from literal text and interpolated values.
    public struct StringInterpolation: StringInterpolationProtocol {
        var query = SQLQuery(unsafeSQL: "")

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { query.append(unsafeSQL: literal) }

        /// A value, bound as the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            query.append(value: value)
        }

        /// An optional value, bound as the next `$n` parameter (nil is SQL NULL).
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            query.append(value: value)
        }

        /// An identifier (table, column, schema), double-quoted.
        public mutating func appendInterpolation(identifier name: String) {
            query.append(unsafeSQL: SQLQuery.quoteIdentifier(name))
        }

        /// A nested query, its parameters renumbered.
        public mutating func appendInterpolation(_ fragment: SQLQuery) {
            query.append(fragment)
        }

        /// Raw SQL text. The caller vouches that it holds no untrusted input.
        public mutating func appendInterpolation(unsafeRaw text: String) { query.append(unsafeSQL: text) }
    }
}
