import CLineEdit
import Foundation

/// Where console input comes from: a terminal, a file, standard input, or `-c` strings.
public protocol LineSource: AnyObject {
    /// The name errors use: a file path, `<stdin>`, or nil for `-c` and the terminal.
    var name: String? { get }
    /// The number of the line last read (1-based).
    var lineNumber: Int { get }
    /// The next physical line without its newline, or nil at the end.
    /// `continuation` is true when the previous line ended with a backslash.
    func nextLine(continuation: Bool) -> String?
    /// Why reading stopped before the end (a line too long to be a command), or nil.
    var failure: String? { get }
}

extension LineSource {
    public var failure: String? { nil }
}

/// Lines from a `FILE*`, read one at a time so piped input runs as it arrives.
public final class StreamLineSource: LineSource {
    public let name: String?
    public private(set) var lineNumber = 0
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    /// Why reading stopped early, or nil.
    public private(set) var failure: String?
    /// The longest line a script may hold: 1 MiB (a command's words, not data; data goes in files).
    public static let maximumLineBytes = 1 << 20

    /// Opens a script file; throws when it cannot be read or is a directory.
    public init(path: String) throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw ConsoleError("\(path): is a directory, not a script")
        }
        guard let file = fopen(path, "r") else {
            throw ConsoleError("\(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.name = path
        self.ownsFile = true
    }

    /// Reads standard input.
    public init(standardInput: Void = ()) {
        self.file = fdopen(STDIN_FILENO, "r") ?? fopen("/dev/null", "r")! // never nil: /dev/null always opens
        self.name = "<stdin>"
        self.ownsFile = false
    }

    deinit {
        if ownsFile { fclose(file) }
    }

    /// The next line, read in chunks up to `maximumLineBytes`; a longer line (or a file of no
    /// line breaks, such as /dev/zero) stops the input with `failure` set, in bounded memory.
    public func nextLine(continuation: Bool) -> String? {
        guard failure == nil else { return nil }
        var line: [UInt8] = []
        while true {
            let byte = getc(file)
            if byte == EOF {
                if line.isEmpty { return nil }
                break
            }
            if byte == 10 { break }
            line.append(UInt8(truncatingIfNeeded: byte))
            if line.count > Self.maximumLineBytes {
                failure = "line \(lineNumber + 1) is longer than \(Self.maximumLineBytes / (1 << 20)) MiB; a script line holds one command"
                return nil
            }
        }
        lineNumber += 1
        while let last = line.last, last == 10 || last == 13 { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }
}

/// The lines of `-c` commands, in order.
public final class StringLineSource: LineSource {
    public let name: String?
    public private(set) var lineNumber = 0
    private let lines: [String]

    public init(_ text: String, name: String? = nil) {
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        self.name = name
    }

    public func nextLine(continuation: Bool) -> String? {
        guard lineNumber < lines.count else { return nil }
        lineNumber += 1
        return lines[lineNumber - 1]
    }
}

/// An interactive terminal: a prompt, a continuation prompt, line editing and history (libedit).
public final class TerminalLineSource: LineSource {
    public let name: String? = nil
    public private(set) var lineNumber = 0
    private let prompt: String
    private let continuationPrompt: String
    private let historyPath: String?

    /// History goes to `historyPath` (psql keeps 500 lines; so do we). `/dev/null` means none, as
    /// psql's HISTFILE: libedit makes the file it saves to mode 0600, which would lock every other
    /// user out of /dev/null.
    public init(prompt: String = "causeway=> ", continuationPrompt: String = "causeway-> ", historyPath: String?) {
        self.prompt = prompt
        self.continuationPrompt = continuationPrompt
        self.historyPath = Self.historyFile(historyPath)
        using_history()
        stifle_history(500)
        if let historyPath = self.historyPath { _ = read_history(historyPath) }
    }

    /// The file history is read from and saved to: nil for none or for /dev/null.
    static func historyFile(_ path: String?) -> String? {
        guard let path, !path.isEmpty, path != "/dev/null" else { return nil }
        return path
    }

    public func nextLine(continuation: Bool) -> String? {
        guard let raw = readline(continuation ? continuationPrompt : prompt) else { return nil }
        defer { free(raw) }
        lineNumber += 1
        return String(cString: raw)
    }

    /// Adds a logical line to the history and saves the file.
    public func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(line)
        if let historyPath { _ = write_history(historyPath) }
    }
}

/// A console-level failure with a one-line message.
public struct ConsoleError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
