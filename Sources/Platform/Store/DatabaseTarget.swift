import Foundation
import Postgres

/// Which database a session uses, decided once from flags and environment.
///
/// Precedence: `--db`, then `DATABASE_URL`, then libpq's `PG*` variables, then the embedded
/// default: a private cluster under `.causeway/postgres` in the working directory.
public enum DatabaseTarget: Sendable, Equatable {
    /// A URL or conninfo string from `--db`.
    case flag(String)
    /// A URL from `DATABASE_URL`.
    case environmentURL(String)
    /// libpq's `PG*` variables.
    case libpqEnvironment
    /// The embedded cluster for a working directory.
    case embedded(workingDirectory: String)

    /// The `PG*` variables whose presence means "use libpq's environment".
    public static let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE"]

    /// Resolves the target from the `--db` flag and the process environment.
    public static func resolve(flag: String?, environment: [String: String], workingDirectory: String) -> DatabaseTarget {
        if let flag, !flag.isEmpty { return .flag(flag) }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return .environmentURL(url) }
        if libpqVariables.contains(where: { !(environment[$0] ?? "").isEmpty }) { return .libpqEnvironment }
        return .embedded(workingDirectory: workingDirectory)
    }

    /// True for the embedded default.
    public var isEmbedded: Bool {
        if case .embedded = self { return true }
        return false
    }

    /// Where the target came from, for `db status`.
    public var source: String {
        switch self {
        case .flag: "--db"
        case .environmentURL: "DATABASE_URL"
        case .libpqEnvironment: "PG* environment variables"
        case .embedded: "embedded default"
        }
    }

    /// The connection settings for a non-embedded target.
    var configuration: ConnectionConfiguration? {
        switch self {
        case .flag(let text), .environmentURL(let text): .conninfo(text)
        case .libpqEnvironment: .environment
        case .embedded: nil
        }
    }
}
