/// Rows with named columns.
public struct Table: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[ConsoleValue]]

    public init(columns: [String], rows: [[ConsoleValue]]) {
        precondition(rows.allSatisfy { $0.count == columns.count }, "every row needs one value per column")
        self.columns = columns
        self.rows = rows
    }

    /// Each row as an object keyed by column name, for JSON.
    public var objects: [ConsoleValue] { rows.map { .object(Array(zip(columns, $0))) } }
}

/// What a command prints: a table, a record (one object) or a message.
public enum CommandOutput: Sendable, Equatable {
    /// Rows: aligned as a table, CSV with a header, JSON as an array of objects.
    case table(Table)
    /// One object: aligned as `key | value` lines, CSV as one row, JSON as an object.
    case record([(String, ConsoleValue)])
    /// A sentence: as is, CSV with a `message` header, JSON as `{"message": …}`.
    case message(String)
    /// Text for people in aligned output; the data as a record in CSV and JSON.
    case summary(String, [(String, ConsoleValue)])

    public static func == (lhs: CommandOutput, rhs: CommandOutput) -> Bool {
        switch (lhs, rhs) {
        case let (.table(a), .table(b)): a == b
        case let (.record(a), .record(b)): ConsoleValue.object(a) == ConsoleValue.object(b)
        case let (.message(a), .message(b)): a == b
        case let (.summary(a, x), .summary(b, y)): a == b && ConsoleValue.object(x) == ConsoleValue.object(y)
        default: false
        }
    }
}
