import ArgumentParser
import Platform

/// A console command: parsed by ArgumentParser, run against the session's context.
public protocol ConsoleCommand: ParsableCommand {
    /// Runs the command; the store is opened on first use.
    func run(in context: CommandContext) throws -> CommandOutput
}

/// What a command can reach: the database target and, lazily, the store.
public final class CommandContext {
    /// Which database this session uses.
    public let target: DatabaseTarget
    /// Receives one-line notes for the user (stderr).
    let note: (String) -> Void
    /// The progress bar, on a terminal only; the store reports long work into it.
    var progressBar: ProgressBar?
    private var openStore: Store?

    public init(target: DatabaseTarget, note: @escaping (String) -> Void) {
        self.target = target
        self.note = note
    }

    /// The open store; connects on first use. Connection failures come as `ConnectionFailure`.
    public func store() throws -> Store {
        if let openStore { return openStore }
        do {
            let store = try Store.open(target, note: note)
            if let progressBar { store.progress = progressBar.progress }
            openStore = store
            Interrupts.shared.connected(store.statementCanceller())
            return store
        } catch {
            guard let message = PlatformError.connectionFailure(in: error) else { throw error }
            throw ConnectionFailure(message: message)
        }
    }

    /// Closes the connection, if open; the next `store()` reconnects.
    public func closeStore() {
        openStore = nil
        Interrupts.shared.connected(nil)
    }
}

/// The database could not be reached: the console exits with status 2 when not interactive.
public struct ConnectionFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The console's grammar: nouns, then verbs. Each leaf is a `ConsoleCommand`.
struct ConsoleRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "causeway",
        abstract: "Causeway: experiments, uplift and budget allocation over one PostgreSQL store.",
        subcommands: [DatabaseCommands.self, ExperimentCommands.self, AssignCommand.self, HoldoutCommands.self, ImportCommands.self,
                      MetricCommands.self, ReportCommands.self, SimulateCommands.self, ModelCommands.self, QiniCommand.self,
                      PolicyCommands.self, AllocateCommand.self, AllocationCommands.self, GraphCommands.self, ServeCommand.self, SeriesCommands.self, StudyCommands.self, GeoCommands.self]
    )

    /// Every leaf command with its words, such as (["db", "migrate"], DatabaseCommands.Migrate.self).
    static func leaves(of command: ParsableCommand.Type = ConsoleRoot.self, path: [String] = []) -> [([String], ParsableCommand.Type)] {
        let subcommands = command.configuration.subcommands
        if subcommands.isEmpty { return [(path, command)] }
        return subcommands.flatMap { sub in leaves(of: sub, path: path + [name(of: sub)]) }
    }

    /// The command type a path of words names, and how many words it used.
    static func find(_ words: [String]) -> (ParsableCommand.Type, Int) {
        var current: ParsableCommand.Type = ConsoleRoot.self
        var used = 0
        for word in words {
            guard let sub = current.configuration.subcommands.first(where: { name(of: $0) == word || $0.configuration.aliases.contains(word) }) else { break }
            current = sub
            used += 1
        }
        return (current, used)
    }

    static func name(of command: ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }
}
