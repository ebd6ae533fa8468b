import ArgumentParser
import Dispatch
import Platform

/// Runs console input: splits lines into words, dispatches meta-commands and commands,
/// prints results in the chosen format and errors in psql's shape, and keeps the exit status.
public final class Session {
    /// Why a session stopped before the end of its input.
    public enum Halt: Error, Equatable {
        /// `\q`.
        case quit
        /// A command failed under `--on-error-stop`.
        case stoppedOnError
        /// The database could not be reached (not interactive).
        case connectionFailed
    }

    let io: ConsoleIO
    let context: CommandContext
    /// The current output format (`\format`).
    public private(set) var format: OutputFormatName
    /// Whether each command's time is printed (`\timing`).
    public private(set) var timing = false
    let onErrorStop: Bool
    let echoAll: Bool
    let interactive: Bool
    /// True once any command has failed.
    public private(set) var hasFailed = false
    private var includeDepth = 0

    public init(context: CommandContext, io: ConsoleIO, format: OutputFormatName = .aligned,
                onErrorStop: Bool = false, echoAll: Bool = false, interactive: Bool = false) {
        self.context = context
        self.io = io
        self.format = format
        self.onErrorStop = onErrorStop
        self.echoAll = echoAll
        self.interactive = interactive
    }

    /// The exit status psql would give: 0 success, 1 a command failed (scripts only), 2 connection failed,
    /// 3 stopped by `--on-error-stop`.
    public func exitStatus(after halt: Halt?) -> Int32 {
        switch halt {
        case .stoppedOnError: 3
        case .connectionFailed: 2
        case .quit, nil: hasFailed && !interactive ? 1 : 0
        }
    }

    /// Runs every logical line of `source`; throws `Halt` when it stops early.
    public func run(_ source: LineSource) throws(Halt) {
        while let (line, number) = readLogicalLine(source) {
            if echoAll { io.out(line + "\n") }
            if let terminal = source as? TerminalLineSource { terminal.remember(line) }
            try execute(line, source: source, line: number)
        }
        if let failure = source.failure { try fail(failure, source: source, line: source.lineNumber + 1) }
    }

    private func readLogicalLine(_ source: LineSource) -> (String, Int)? {
        guard var line = source.nextLine(continuation: false) else { return nil }
        let first = source.lineNumber
        while Tokenizer.continues(line) {
            line.removeLast()
            guard let next = source.nextLine(continuation: true) else { break }
            line += next
        }
        return (line, first)
    }

    /// Runs one logical line.
    func execute(_ line: String, source: LineSource, line number: Int) throws(Halt) {
        let words: [String]
        do { words = try Tokenizer.words(line) } catch {
            return try fail(error.description, source: source, line: number)
        }
        guard let first = words.first else { return }
        if first.hasPrefix("\\") {
            try meta(first, Array(words.dropFirst()), source: source, line: number)
        } else if first == "help" {
            try help(Array(words.dropFirst()), source: source, line: number)
        } else {
            try command(words, source: source, line: number)
        }
    }

    // MARK: - Commands

    private func command(_ words: [String], source: LineSource, line: Int) throws(Halt) {
        let (type, used) = ConsoleRoot.find(words)
        guard used > 0 else {
            return try fail("unknown command \"\(words[0])\"; type help for the list", source: source, line: line)
        }
        if used < words.count, !type.configuration.subcommands.isEmpty, !words[used].hasPrefix("-") {
            let path = words.prefix(used + 1).joined(separator: " ")
            return try fail("unknown command \"\(path)\"; type help for the list", source: source, line: line)
        }
        if words.contains("--help") || words.contains("-h") {
            io.out(ConsoleRoot.helpMessage(for: type) + "\n")
            return
        }
        let parsed: ParsableCommand
        do {
            parsed = try ConsoleRoot.parseAsRoot(words)
        } catch {
            if ConsoleRoot.exitCode(for: error) == .success {
                io.out(ConsoleRoot.fullMessage(for: error) + "\n")
                return
            }
            return try fail(ConsoleRoot.message(for: error), source: source, line: line)
        }
        guard let command = parsed as? ConsoleCommand else {
            if type.configuration.subcommands.isEmpty, let dashed = words.dropFirst(used).first(where: { $0.hasPrefix("-") && $0 != "--" }) {
                // A leaf command that did not parse: ArgumentParser read a dashed word as an unknown option.
                let path = words.prefix(used).joined(separator: " ")
                return try fail("\(path) has no option \"\(dashed)\"; a value that starts with - goes after --, as in \(path) -- \(dashed)",
                                source: source, line: line)
            }
            let names = type.configuration.subcommands.map { ConsoleRoot.name(of: $0) }.joined(separator: ", ")
            let path = words.prefix(used).joined(separator: " ")
            return try fail("\(path) needs a subcommand: \(names)", source: source, line: line)
        }
        let started = DispatchTime.now().uptimeNanoseconds
        Interrupts.shared.commandStarted()
        defer { Interrupts.shared.commandEnded() }
        do {
            context.progressBar?.start(words.prefix(used).joined(separator: " "))
            let output: CommandOutput
            do {
                defer { context.progressBar?.finish() }  // the bar's line is gone before the result or the error
                output = try command.run(in: context)
            }
            io.out(format.format.render(output))
            for note in format.format.notes(for: output) { io.err("NOTE: " + note + "\n") }
        } catch let error as ConnectionFailure {
            context.closeStore()
            try fail(error.message, source: source, line: line, connectionFailed: true)
        } catch {
            if let message = PlatformError.connectionFailure(in: error) {
                context.closeStore()
                return try fail(message, source: source, line: line, connectionFailed: true)
            }
            try fail(ErrorText.describe(error), source: source, line: line)
        }
        if timing { printTime(since: started) }
    }

    private func printTime(since started: UInt64) {
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        io.out("Time: " + String(Double(Int((ms * 1000).rounded())) / 1000) + " ms\n")
    }

    /// Reports an error in psql's shape and applies `--on-error-stop`.
    func fail(_ message: String, source: LineSource, line: Int, connectionFailed: Bool = false) throws(Halt) {
        hasFailed = true
        let text = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        let prefix: String
        if let name = source.name { prefix = "causeway:\(name):\(line): " } else if interactive { prefix = "" } else { prefix = "causeway: " }
        io.err(prefix + "ERROR: " + text + "\n")
        if connectionFailed, !interactive { throw .connectionFailed }
        if onErrorStop, !interactive { throw .stoppedOnError }
    }

    // MARK: - Help

    private func help(_ words: [String], source: LineSource, line: Int) throws(Halt) {
        guard !words.isEmpty else { return io.out(Self.overview()) }
        let (type, used) = ConsoleRoot.find(words)
        guard used == words.count else {
            return try fail("no help for \"\(words.joined(separator: " "))\": unknown command; type help for the list",
                            source: source, line: line)
        }
        io.out(ConsoleRoot.helpMessage(for: type) + "\n")
    }

    /// The list of commands with their one-line summaries, then the meta-commands.
    static func overview() -> String {
        let leaves = ConsoleRoot.leaves().map { (path, type) in (path.joined(separator: " "), type.configuration.abstract) }
        let width = leaves.map(\.0.count).max() ?? 0
        var text = "Commands (help COMMAND for its usage):\n"
        for (path, abstract) in leaves {
            text += "  " + path + String(repeating: " ", count: width - path.count + 2) + abstract + "\n"
        }
        text += "\n" + metaHelp
        return text
    }

    static let metaHelp = """
        Meta-commands:
          \\?                 this list of meta-commands
          \\q                 quit
          \\format [aligned|csv|json]
                             show or set the output format
          \\timing [on|off]   show or toggle each command's time
          \\i FILE            run commands from FILE
          \\echo TEXT         print TEXT
          \\conninfo          show which database this session uses
        Words split as in a shell: quotes group, backslash escapes, # starts a comment,
        and a line ending in \\ continues on the next.

        """

    // MARK: - Meta-commands

    private func meta(_ name: String, _ arguments: [String], source: LineSource, line: Int) throws(Halt) {
        switch name {
        case "\\q", "\\quit":
            throw .quit
        case "\\?":
            io.out(Self.metaHelp)
        case "\\format", "\\pset":
            let value = name == "\\pset" && arguments.first == "format" ? Array(arguments.dropFirst()) : arguments
            guard let wanted = value.first else { return io.out("Output format is \(format.rawValue).\n") }
            guard let chosen = OutputFormatName(rawValue: wanted), value.count == 1 else {
                return try fail("\\format: unknown format \"\(value.joined(separator: " "))\"; use aligned, csv or json", source: source, line: line)
            }
            format = chosen
            if interactive { io.out("Output format is \(format.rawValue).\n") }
        case "\\timing":
            switch arguments.first {
            case nil: timing.toggle()
            case "on": timing = true
            case "off": timing = false
            default: return try fail("\\timing: expected on or off, got \"\(arguments[0])\"", source: source, line: line)
            }
            io.out("Timing is \(timing ? "on" : "off").\n")
        case "\\echo":
            io.out(arguments.joined(separator: " ") + "\n")
        case "\\conninfo":
            do { io.out("Using \(try context.store().redactedDescription) (\(context.target.source)).\n") } catch {
                try fail(String(describing: error), source: source, line: line, connectionFailed: error is ConnectionFailure)
            }
        case "\\i", "\\include":
            guard arguments.count == 1 else { return try fail("\\i: expected one file name", source: source, line: line) }
            guard includeDepth < 16 else { return try fail("\\i: files include each other more than 16 deep", source: source, line: line) }
            let file: StreamLineSource
            do { file = try StreamLineSource(path: arguments[0]) } catch {
                return try fail(String(describing: error), source: source, line: line)
            }
            includeDepth += 1
            defer { includeDepth -= 1 }
            try run(file)
        default:
            try fail("invalid command \(name); try \\? for help", source: source, line: line)
        }
    }
}
