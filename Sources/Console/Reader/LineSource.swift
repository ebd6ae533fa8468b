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
}

/// Lines from a `FILE*`, read one at a time so piped input runs as it arrives.
public final class StreamLineSource: LineSource {
    public let name: String?
    public private(set) var lineNumber = 0
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var buffer: UnsafeMutablePointer<CChar>? = nil
    private var capacity = 0

    /// Opens a script file; throws when it cannot be read.
    public init(path: String) throws {
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
        free(buffer)
        if ownsFile { fclose(file) }
    }

    public func nextLine(continuation: Bool) -> String? {
        let length = getline(&buffer, &capacity, file)
        guard length >= 0, let buffer else { return nil }
        lineNumber += 1
        var bytes = UnsafeRawBufferPointer(start: buffer, count: length)
        while let last = bytes.last, last == 10 || last == 13 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
        return String(decoding: bytes, as: UTF8.self)
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
