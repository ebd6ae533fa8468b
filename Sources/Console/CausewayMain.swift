import ArgumentParser
import Foundation
import Platform

/// `causeway [--db URL] [-f FILE | -] [-c COMMAND]... [--format F] [--on-error-stop] [--echo-all] [COMMAND...]`
struct CausewayOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "causeway",
        abstract: "The Causeway admin console.",
        discussion: """
            Reads commands from a terminal (with a prompt and history), from -f FILE (- for standard input), \
            from -c COMMAND (repeatable), from the words after the options, or from piped standard input. \
            Without --db, DATABASE_URL or PG* variables it uses an embedded database under .causeway/postgres. \
            Type help inside the console for the commands. Exit status: 0 success, 1 a command failed, \
            2 the database could not be reached, 3 a script stopped under --on-error-stop, 64 bad flags.
            """,
        version: "causeway 0.1.0"
    )

    @Option(name: .long, help: ArgumentHelp("PostgreSQL URL or conninfo string.", valueName: "url"))
    var db: String?

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Run commands from FILE (- for standard input).", valueName: "file"))
    var file: String?

    @Option(name: [.customShort("c"), .customLong("command")], help: ArgumentHelp("Run one command; repeatable, in order.", valueName: "command"))
    var commands: [String] = []

    @Option(name: .long, help: "Output format: aligned, csv or json.")
    var format: OutputFormatName = .aligned

    @Flag(name: .long, help: "Stop at the first failed command (exit status 3).")
    var onErrorStop = false

    @Flag(name: [.customShort("a"), .customLong("echo-all")], help: "Print each input line before running it.")
    var echoAll = false

    @Argument(help: ArgumentHelp("A command to run, as typed in the console.", valueName: "command"))
    var words: [String] = []

    /// Options that take a value, so a command's first word can be told from an option's value.
    static let optionsWithValues: Set<String> = ["--db", "-f", "--file", "-c", "--command", "--format"]

    /// Splits process arguments into the console's options and the words of a trailing command:
    /// the command starts at the first argument that is neither an option nor an option's value.
    static func split(_ arguments: [String]) -> (options: [String], command: [String]) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return (Array(arguments[..<index]), Array(arguments[(index + 1)...])) }
            guard argument.hasPrefix("-"), argument != "-" else { break }
            index += optionsWithValues.contains(argument) ? 2 : 1
        }
        index = min(index, arguments.count)
        return (Array(arguments[..<index]), Array(arguments[index...]))
    }
}

/// The `causeway` process: parses flags, picks the input, runs a session and returns its exit status.
public enum CausewayMain {
    /// Runs the console with process arguments (without the program name); returns the exit status.
    public static func run(_ arguments: [String], io: ConsoleIO = StandardIO(),
                           environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32 {
        let options: CausewayOptions
        do {
            let (flags, command) = CausewayOptions.split(arguments)
            var parsed = try CausewayOptions.parse(flags)
            parsed.words = command
            options = parsed
        } catch {
            let code = CausewayOptions.exitCode(for: error)
            if code == .success {
                io.out(CausewayOptions.fullMessage(for: error) + "\n")
                return 0
            }
            io.err("causeway: " + CausewayOptions.message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
                   + " (see causeway --help)\n")
            return 64
        }

        let workingDirectory = FileManager.default.currentDirectoryPath
        let target = DatabaseTarget.resolve(flag: options.db, environment: environment, workingDirectory: workingDirectory)
        let context = CommandContext(target: target, note: { io.err("causeway: note: \($0)\n") })
        let scripted = options.file != nil || !options.commands.isEmpty || !options.words.isEmpty
        let interactive = !scripted && isatty(STDIN_FILENO) == 1
        let session = Session(context: context, io: io, format: options.format, onErrorStop: options.onErrorStop,
                              echoAll: options.echoAll, interactive: interactive)

        var sources: [() throws -> LineSource] = []
        if let file = options.file {
            sources.append { file == "-" ? StreamLineSource() : try StreamLineSource(path: file) }
        }
        for command in options.commands { sources.append { StringLineSource(command) } }
        if !options.words.isEmpty {
            let line = options.words.map(quoteWord).joined(separator: " ")
            sources.append { StringLineSource(line) }
        }
        if !scripted {
            if interactive {
                let history = environment["CAUSEWAY_HISTORY"] ?? environment["HOME"].map { $0 + "/.causeway_history" }
                sources.append { TerminalLineSource(historyPath: history) }
                Interrupts.shared.install()
                if isatty(STDERR_FILENO) == 1 { context.progressBar = ProgressBar.standardError() }
                io.out("causeway 0.1.0: type help for commands, \\q to quit.\n")
            } else {
                sources.append { StreamLineSource() }
            }
        }

        for makeSource in sources {
            let source: LineSource
            do { source = try makeSource() } catch {
                io.err("causeway: ERROR: \(error)\n")
                return 1
            }
            do {
                try session.run(source)
            } catch {
                return session.exitStatus(after: error)
            }
        }
        if interactive { io.out("\n") }
        return session.exitStatus(after: nil)
    }

    /// Quotes a word so the console's tokenizer gives it back unchanged.
    static func quoteWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { ch in
            ch.isLetter || ch.isNumber || "-_.,:/=@%+".contains(ch)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
