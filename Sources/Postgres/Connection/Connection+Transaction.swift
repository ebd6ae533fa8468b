/// How much a transaction sees of other transactions' commits (PostgreSQL's isolation levels).
public enum IsolationLevel: String, Sendable {
    /// Each statement sees what was committed when it began (PostgreSQL's default).
    case readCommitted = "READ COMMITTED"
    /// Every statement sees one snapshot, taken at the transaction's first statement.
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension Connection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Nested calls use savepoints, so an inner failure undoes only the inner work; they run at the
    /// outer transaction's isolation level and access mode. `.repeatableRead` gives every statement
    /// of `body` one snapshot (a report whose figures must agree); `readOnly` refuses writes.
    @discardableResult
    public func transaction<R>(_ isolation: IsolationLevel = .readCommitted, readOnly: Bool = false,
                               _ body: (Connection) throws -> R) throws -> R {
        let depth = transactionDepth
        let savepoint = "causeway_sp_\(depth)"
        let begin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)" + (readOnly ? " READ ONLY" : "")
        try execute(unsafeScript: depth == 0 ? begin : "SAVEPOINT \(savepoint)")
        transactionDepth += 1
        defer { transactionDepth = depth }
        do {
            let value = try body(self)
            try execute(unsafeScript: depth == 0 ? "COMMIT" : "RELEASE SAVEPOINT \(savepoint)")
            return value
        } catch {
            let rollback = depth == 0 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT \(savepoint); RELEASE SAVEPOINT \(savepoint)"
            do { try execute(unsafeScript: rollback) } catch {
                logger.debug("rollback failed", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }

    /// True while inside `transaction { }`.
    public var isInTransaction: Bool { transactionDepth > 0 }
}
