extension Connection {
    /// COPY takes no `$n` parameters, so a COPY statement's bound values travel another way: each
    /// is bound (never spliced) into `set_config('causeway.copy_N', $1, …)`, and the statement reads
    /// it back as `current_setting('causeway.copy_N')::TYPE`. No value ever becomes SQL text, so
    /// quoting rules (`standard_conforming_strings`, backslashes) cannot matter. Inside a
    /// transaction the settings are local to it; outside, they last for the session and are
    /// overwritten by the next COPY. Returns the statement text to run.
    func copyText(_ statement: SQLQuery) throws -> String {
        guard !statement.parameters.isEmpty else { return statement.sql }
        // One round trip sets them all.
        var setup: SQLQuery = "SELECT "
        for (index, value) in statement.parameters.enumerated() {
            guard let value else {
                throw PostgresError.client("COPY cannot carry NULL parameter $\(index + 1); filter NULLs in SQL", sql: statement.sql)
            }
            if index > 0 { setup.append(unsafeSQL: ", ") }
            setup.append("set_config(\(Self.copySetting(index)), \(value), \(isInTransaction))")
        }
        try execute(setup)
        return statement.sql(replacingParameters: { index in
            let read = "current_setting('\(Self.copySetting(index))')"
            guard let type = Self.castName(statement.parameterTypes[index]) else { return read }
            return "(\(read))::\(type)"
        })
    }

    /// The setting that carries a COPY statement's parameter `index` (0-based).
    static func copySetting(_ index: Int) -> String { "causeway.copy_\(index + 1)" }

    /// The type a parameter's text is cast to when read back: its SQL name, except for text-like
    /// types, which stay the text `current_setting` returns (a cast to `character` would cut it).
    static func castName(_ oid: PostgresOID) -> String? {
        switch oid {
        case 0, PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name, PostgresType.unknown: nil
        default: PostgresType.sqlName(of: oid)
        }
    }
}
