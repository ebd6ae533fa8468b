extension Connection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Nested calls use savepoints, so an inner failure undoes only the inner work.
    @discardableResult
    public func transaction<R>(_ body: (Connection) throws -> R) throws -> R {
        let depth = transactionDepth
        let savepoint = "causeway_sp_\(depth)"
        try execute(unsafeScript: depth == 0 ? "BEGIN" : "SAVEPOINT \(savepoint)")
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
