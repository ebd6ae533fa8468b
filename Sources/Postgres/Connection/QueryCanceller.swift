import CLibPQ

/// Asks the server to cancel whatever statement a connection is running, from any thread (libpq's
/// `PQcancel` is thread-safe). The statement then fails with SQLSTATE 57014; the connection stays
/// usable. Asking while nothing runs does nothing.
public final class QueryCanceller: @unchecked Sendable {
    private let handle: OpaquePointer

    init?(_ connection: OpaquePointer) {
        guard let handle = PQgetCancel(connection) else { return nil }
        self.handle = handle
    }

    deinit { PQfreeCancel(handle) }

    /// Sends the cancel request; false when it could not be delivered.
    @discardableResult
    public func cancel() -> Bool {
        var message = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &message, Int32(message.count)) == 1
    }
}

extension Connection {
    /// A canceller for this connection's statements (nil if libpq has none to give, which happens
    /// only on a broken connection).
    public func canceller() -> QueryCanceller? { QueryCanceller(handle) }
}
