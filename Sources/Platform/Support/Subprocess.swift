import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`, capturing its combined output.
///
/// Output goes through a temporary file rather than a pipe: a daemon the program leaves behind
/// (`pg_ctl start`) would hold a pipe open forever.
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

    /// Runs `executable` with `arguments`; returns its exit status (128+N for signal N) and output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "causeway-\(UUID().uuidString).out"
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        markDescriptorsCloseOnExec()

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw Failure(command: executable, status: -1, output: String(cString: strerror(spawned)))
        }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 {
            guard errno == EINTR else { throw Failure(command: executable, status: -1, output: "waitpid failed") }
        }
        let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if !allowFailure, status != 0 {
            throw Failure(command: URL(fileURLWithPath: executable).lastPathComponent, status: status, output: output)
        }
        return (status, output)
    }

    /// Marks every descriptor above 2 close-on-exec, so nothing of ours crosses into the child:
    /// a daemon it leaves behind must not hold, say, the pipe on which our own parent waits for
    /// our exit (it would never see end-of-file).
    private static func markDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
