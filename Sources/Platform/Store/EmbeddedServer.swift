import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// The private PostgreSQL cluster a working directory gets when no database is configured.
///
/// It lives under `.causeway/postgres` (data in `data/`, Unix socket in the folder itself, no TCP),
/// is created with `initdb` on first use, started with `pg_ctl` and left running between
/// invocations; `stop()` stops it. As root the server runs as the unprivileged system user
/// `causeway-pg`. When that user cannot reach the folder (a root home of mode 700) or the socket
/// path would pass 107 bytes, the cluster lives in the system temp folder instead, keyed by the
/// working directory, and `notes` says where.
public struct EmbeddedServer: Sendable {
    /// The unprivileged user the server runs as when causeway runs as root.
    public static let serverUser = "causeway-pg"
    /// The database the console uses inside the cluster.
    public static let databaseName = "causeway"

    /// The folder holding `data/`, the socket and the server log.
    public let directory: String
    /// Why the folder is not `.causeway/postgres`, when it is not.
    public let notes: [String]
    let binDirectory: String
    let runAsUser: String?

    var dataDirectory: String { directory + "/data" }
    var logFile: String { directory + "/server.log" }
    static let port = 5432

    /// Chooses the folder for a working directory; creates nothing yet but the folder itself.
    public init(workingDirectory: String) throws {
        binDirectory = try Self.findBinDirectory()
        runAsUser = geteuid() == 0 ? Self.serverUser : nil
        if runAsUser != nil { try Self.ensureServerUser() }

        let preferred = workingDirectory + "/.causeway/postgres"
        let fallback = NSTemporaryDirectory().trimmingSuffix("/") + "/causeway-"
            + String(SHA256.hex(Array(workingDirectory.utf8)).prefix(16)) + "/postgres"
        var notes: [String] = []
        var chosen = preferred
        if FileManager.default.fileExists(atPath: preferred + "/data/PG_VERSION") {
            chosen = preferred
        } else if FileManager.default.fileExists(atPath: fallback + "/data/PG_VERSION") {
            chosen = fallback
            notes.append("the embedded database is at \(fallback)")
        } else if Self.socketPathLength(preferred) >= 108 {
            chosen = fallback
            notes.append("the embedded database is at \(fallback): the socket path under \(preferred) would pass 107 bytes")
        } else {
            try Self.makeDirectory(preferred, owner: runAsUser)
            if let user = runAsUser, !Self.canReach(preferred, as: user) {
                chosen = fallback
                notes.append("the embedded database is at \(fallback): user \(user) cannot reach \(preferred)")
            }
        }
        if chosen == fallback { try Self.makeDirectory(fallback, owner: runAsUser) }
        directory = chosen
        self.notes = notes
    }

    /// The conninfo of the embedded database.
    public var configuration: ConnectionConfiguration {
        .conninfo(["host": directory, "port": String(Self.port), "user": "postgres", "dbname": Self.databaseName])
    }

    /// True when the cluster exists and its server answers.
    public var isRunning: Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return false }
        let result = try? run("pg_ctl", ["status", "-D", dataDirectory], allowFailure: true)
        return result?.status == 0
    }

    /// True when `initdb` has run.
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") }

    /// Creates the cluster if needed, starts it if stopped, and creates the `causeway` database.
    /// Returns true when it had to start the server.
    @discardableResult
    public func start() throws -> Bool {
        try withLock {
            if !isInitialized {
                try run("initdb", ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            }
            var started = false
            if !isRunning {
                try launch()
                started = true
            }
            // Also after a start that was interrupted before the database was made.
            let admin = try Connection(.conninfo(["host": directory, "port": String(Self.port), "user": "postgres", "dbname": "postgres"]))
            let exists = try admin.query("SELECT count(*) FROM pg_database WHERE datname = \(Self.databaseName)").decodeOne(Int.self)
            if exists == 0 { try admin.execute("CREATE DATABASE \(identifier: Self.databaseName)") }
            return started
        }
    }

    private func launch() throws {
            let options = "-k \(directory) -p \(Self.port) -c listen_addresses='' -c unix_socket_permissions=0700"
            do {
                try run("pg_ctl", ["-w", "-t", "60", "-D", dataDirectory, "-l", logFile, "-o", options, "start"])
            } catch {
                let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
                let lastLines = log.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " / ")
                throw EmbeddedServerError("could not start the embedded database in \(directory): \(lastLines.isEmpty ? "\(error)" : lastLines)")
            }
    }

    /// Stops the server; returns false when it was not running.
    @discardableResult
    public func stop() throws -> Bool {
        try withLock {
            guard isRunning else { return false }
            try run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
            return true
        }
    }

    // MARK: - Helpers

    @discardableResult
    private func run(_ tool: String, _ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
        let path = binDirectory + "/" + tool
        if let user = runAsUser {
            return try Subprocess.run("/sbin/runuser", ["-u", user, "--", path] + arguments, allowFailure: allowFailure)
        }
        return try Subprocess.run(path, arguments, allowFailure: allowFailure)
    }

    /// Serializes start and stop across processes with an exclusive `flock` on `DIR/lock`.
    private func withLock<R>(_ body: () throws -> R) throws -> R {
        let fd = open(directory + "/lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EmbeddedServerError("cannot open \(directory)/lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw EmbeddedServerError("cannot lock \(directory)/lock") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func socketPathLength(_ directory: String) -> Int {
        directory.utf8.count + "/.s.PGSQL.\(port)".utf8.count
    }

    static func findBinDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let sorted = versions.compactMap { name in Int(name).map { ($0, name) } }.sorted { $0.0 > $1.0 }
        for (_, name) in sorted where FileManager.default.isExecutableFile(atPath: "\(root)/\(name)/bin/initdb") {
            return "\(root)/\(name)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") { return String(dir) }
        }
        throw EmbeddedServerError("PostgreSQL server programs (initdb, pg_ctl) not found; run tools/setup or give a database URL")
    }

    static func ensureServerUser() throws {
        if getpwnam(serverUser) != nil { return }
        try Subprocess.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent",
                                                 "--shell", "/usr/sbin/nologin", serverUser])
    }

    static func makeDirectory(_ path: String, owner: String?) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o700)
        if let owner, let entry = getpwnam(owner) {
            guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw EmbeddedServerError("cannot give \(path) to user \(owner): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func canReach(_ path: String, as user: String) -> Bool {
        (try? Subprocess.run("/sbin/runuser", ["-u", user, "--", "/usr/bin/test", "-w", path, "-a", "-x", path],
                             allowFailure: true).status) == 0
    }
}

/// The embedded cluster could not be set up or reached.
public struct EmbeddedServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) && count > suffix.count ? String(dropLast(suffix.count)) : self
    }
}
