import Foundation

/// Runs a program to completion, capturing its combined output.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String {
            let tail = output.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " / ")
            return "\(command) exited with status \(status)" + (tail.isEmpty ? "" : ": " + tail)
        }
    }

    /// Runs `executable` with `arguments`; returns its exit status and output.
    ///
    /// Output goes through a temporary file rather than a pipe: a daemon the program leaves
    /// behind (`pg_ctl start`) would hold a pipe open forever.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("causeway-\(UUID().uuidString).out")
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil) else {
            throw Failure(command: executable, status: -1, output: "cannot create \(outputURL.path)")
        }
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let handle = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        if !allowFailure, process.terminationStatus != 0 {
            throw Failure(command: URL(fileURLWithPath: executable).lastPathComponent,
                          status: process.terminationStatus, output: output)
        }
        return (process.terminationStatus, output)
    }
}
