import Foundation
import Logging
import Postgres

/// An open connection to the Causeway database and where it came from.
public final class Store {
    /// The connection; every use case runs its command in one transaction on it. Front ends never
    /// see it: they call use cases.
    let connection: Connection
    /// Which database this is.
    public let target: DatabaseTarget
    /// Where long work reports how far it has come (the console's bar on a terminal).
    public var progress = WorkProgress.silent
    /// Temporary tables this session has made already (a server's connection makes its batch table
    /// once, not per batch).
    var sessionTables: Set<String> = []

    /// Opens the target; for the embedded default, creates and starts the cluster first.
    ///
    /// `note` receives one-line remarks for the user (where the embedded cluster lives). When the
    /// database cannot be reached the error is a `PlatformError` with code `.connectionFailed`.
    public static func open(_ target: DatabaseTarget, logger: Logger = Logger(label: "causeway.store"),
                            note: (String) -> Void = { _ in }) throws -> Store {
        do { return try connect(target, logger: logger, note: note) } catch {
            guard let message = PlatformError.connectionFailure(in: error) else { throw error }
            throw PlatformError(.connectionFailed, "\(message)", cause: error)
        }
    }

    private static func connect(_ target: DatabaseTarget, logger: Logger, note: (String) -> Void) throws -> Store {
        switch target {
        case .embedded(let workingDirectory):
            let server = try EmbeddedServer(workingDirectory: workingDirectory)
            server.notes.forEach(note)
            // The common case, a running server, costs one connection: no lock, no pg_ctl.
            if let connection = try? Connection(server.configuration, logger: logger) {
                return Store(connection: connection, target: target)
            }
            try server.start()
            return Store(connection: try Connection(server.configuration, logger: logger), target: target)
        default:
            // never nil: only .embedded has no configuration
            return Store(connection: try Connection(target.configuration!, logger: logger), target: target)
        }
    }

    init(connection: Connection, target: DatabaseTarget) {
        self.connection = connection
        self.target = target
    }

    /// Wraps an open connection (tests, tools).
    public convenience init(connection: Connection) {
        self.init(connection: connection, target: .flag("(connection)"))
    }

    /// The database this store is connected to, URL-shaped, never with a password.
    public var redactedDescription: String { connection.redactedDescription }

    /// Something another thread can use to cancel the statement this store is running (Ctrl-C);
    /// nil on a broken connection.
    public func statementCanceller() -> StatementCanceller? { connection.canceller().map(StatementCanceller.init) }
}

/// Cancels the statement a store is running, from any thread: the statement fails, its
/// transaction rolls back, the store stays usable. Asking while nothing runs does nothing.
public struct StatementCanceller: Sendable {
    let canceller: QueryCanceller

    @discardableResult
    public func cancel() -> Bool { canceller.cancel() }
}

@available(*, unavailable)
extension Store: Sendable {}
