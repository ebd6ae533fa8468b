extension Connection {
    /// COPY takes no `$n` parameters, so a COPY statement's bound values travel another way: each
    /// is bound (never spliced) into `set_config('causeway.copy_N', $1, …)`, and the statement reads
    /// it back as `current_setting('causeway.copy_N')::TYPE`. No value ever becomes SQL text, so
    /// quoting rules (`standard_conforming_strings`, backslashes) cannot matter. Inside a
    /// transaction the settings are local to it; outside, they last for the session and are
    /// overwritten by the next COPY. Returns the statement text to run.
    func copyText(_ statement: SQLQuery) throws -> String {
        guard !statement.parameters.isEmpty else { return statement.sql }
        var names: [String] = []
        for (index, value) in statement.parameters.enumerated() {
            guard let value else {
                throw PostgresError.client("COPY cannot carry NULL parameter $\(index + 1); filter NULLs in SQL", sql: statement.sql)
            }
            let name = "causeway.copy_\(index + 1)"
            try execute("SELECT set_config(\(name), \(value), \(isInTransaction))")
            names.append(name)
        }
        return statement.sql(replacingParameters: { index in
            let read = "current_setting('\(names[index])')"
            guard let type = Self.castName(statement.parameterTypes[index]) else { return read }
            return "(\(read))::\(type)"
        })
    }

    /// The type a parameter's text is cast to when read back (nil: leave it text).
    static func castName(_ oid: PostgresOID) -> String? {
        switch oid {
        case PostgresType.bool: "bool"
        case PostgresType.int2: "int2"
        case PostgresType.int4: "int4"
        case PostgresType.int8: "int8"
        case PostgresType.float4: "float4"
        case PostgresType.float8: "float8"
        case PostgresType.numeric: "numeric"
        case PostgresType.timestamptz: "timestamptz"
        case PostgresType.timestamp: "timestamp"
        case PostgresType.date: "date"
        case PostgresType.bytea: "bytea"
        case PostgresType.jsonb: "jsonb"
        case PostgresType.textArray: "text[]"
        case PostgresType.int8Array: "int8[]"
        case PostgresType.float8Array: "float8[]"
        case PostgresType.boolArray: "bool[]"
        default: nil
        }
    }
}
