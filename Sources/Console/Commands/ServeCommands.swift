import ArgumentParser
import Dispatch
import Foundation
import Logging
import Platform
import Server

/// `serve [--listen HOST:PORT]` and `serve key create|list|revoke`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve GrowthBook SDKs their payload and take their exposures over HTTP (until SIGTERM or Ctrl-C).",
        discussion: """
            GET /api/features/SDK_KEY serves every running experiment as a GrowthBook payload (rebuilt when the \\
            catalog changes); POST /api/exposures (Authorization: Bearer INGEST_KEY) takes a JSON array or NDJSON of \\
            {unit, experiment, variation, timestamp}, acknowledged with 204 after the commit; GET /healthz. Keys come \\
            from serve key create. Loopback by default.
            """,
        subcommands: [Run.self, Key.self], defaultSubcommand: Run.self)

    struct Run: ConsoleCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the server (the default).")
        @Option(help: "The address to listen on, HOST:PORT (loopback by default).") var listen: String = "127.0.0.1:8080"
        @Option(help: "Store connections for exposure batches.") var connections: Int = 4

        func run(in context: CommandContext) throws -> CommandOutput {
            var options = CausewayServer.Options()
            (options.host, options.port) = try Self.address(listen)
            guard (1...64).contains(connections) else { throw ConsoleError("--connections must be 1 to 64") }
            options.connections = connections
            _ = try context.store()  // reachable, and the embedded server started, before listening
            let target = context.target
            var logger = Logger(label: "causeway.serve")
            logger.logLevel = .info
            let outcome = Outcome()
            let done = DispatchSemaphore(value: 0)
            Task.detached { [logger] in
                do {
                    try await CausewayServer.run(options, logger: logger, open: { try Store.open(target) },
                                                 listening: {
                        FileHandle.standardError.write(Data("serving on http://\($0) (Ctrl-C or SIGTERM stops)\n".utf8))
                    })
                } catch {
                    outcome.set(error)
                }
                done.signal()
            }
            done.wait()
            if let error = outcome.error {
                if let platform = error as? PlatformError { throw platform }
                throw ConsoleError("serve: cannot listen on \(listen) (\(error))")
            }
            return .summary("server stopped", [("stopped", .bool(true))])
        }

        /// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
        static func address(_ text: String) throws -> (String, Int) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw ConsoleError("--listen \"\(text)\" must be HOST:PORT, such as 127.0.0.1:8080")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return (host.isEmpty ? "127.0.0.1" : host, port)
        }

        final class Outcome: @unchecked Sendable {
            private let lock = NSLock()
            private var stored: (any Error)?
            var error: (any Error)? { lock.withLock { stored } }
            func set(_ error: any Error) { lock.withLock { stored = error } }
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key", abstract: "Keys for serve: SDK keys for the payload, ingest keys for exposures.",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: ConsoleCommand {
            static let configuration = CommandConfiguration(abstract: "Create a key; it is shown once and stored as its SHA-256.")
            @Option(help: "sdk or ingest.") var kind: String
            @Option(help: "A name to recognise it by.") var name: String = ""

            func run(in context: CommandContext) throws -> CommandOutput {
                guard let k = ServeKeys.Kind(rawValue: kind) else { throw ConsoleError("--kind must be sdk or ingest") }
                let (key, secret) = try ServeKeys.create(kind: k, name: name, in: context.store())
                let use = k == .sdk ? "GET /api/features/\(secret)" : "Authorization: Bearer \(secret)"
                return .summary("created \(k.rawValue) key \(key.id) (\(key.prefix)…); it is not shown again:\n\(secret)\nuse: \(use)",
                                [("id", .int(Int(key.id))), ("kind", .string(k.rawValue)), ("name", .string(key.name)),
                                 ("key", .string(secret)), ("prefix", .string(key.prefix))])
            }
        }

        struct List: ConsoleCommand {
            static let configuration = CommandConfiguration(abstract: "List keys (never the secrets).")

            func run(in context: CommandContext) throws -> CommandOutput {
                .table(Table(columns: ["id", "kind", "name", "prefix", "created_at", "revoked_at"],
                             rows: try ServeKeys.list(in: context.store()).map {
                    [.int(Int($0.id)), .string($0.kind.rawValue), .string($0.name), .string($0.prefix),
                     .string(ValueParsing.formatTime($0.createdAt)), .optional($0.revokedAt.map(ValueParsing.formatTime))]
                }))
            }
        }

        struct Revoke: ConsoleCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a key by id or prefix; a running server refuses it within a second.")
            @Argument(help: "The key's id or prefix.") var key: String

            func run(in context: CommandContext) throws -> CommandOutput {
                let k = try ServeKeys.revoke(key, in: context.store())
                return .summary("revoked \(k.kind.rawValue) key \(k.id) (\(k.prefix)…)", [("id", .int(Int(k.id))), ("revoked", .bool(true))])
            }
        }
    }
}

extension ExperimentCommands {
    /// `experiment export [NAME…] --format growthbook [--out FILE]`
    struct Export: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the GrowthBook SDK payload of running experiments (or the named ones).",
            discussion: """
                One feature per experiment with one experiment rule: arms as variations with Causeway's weights, \\
                coverage, bucket ranges, seed, hash version and phase; the universal holdout and layers as filters; \\
                cluster designs hash the cluster attribute (the mapping's name). Switchbacks and experiments whose \\
                weights changed within the phase are refused (named) or left out and listed (all running).
                """)
        @Argument(help: "Experiments to export (default: every running one).") var names: [String] = []
        @Option(help: "growthbook.") var format: String = "growthbook"
        @Option(help: "Write the payload to FILE instead of printing it.") var out: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            guard format == "growthbook" else { throw ConsoleError("--format must be growthbook") }
            let (payload, skipped) = try GrowthBookExport.payload(names: names, in: context.store())
            let text = String(decoding: payload.json, as: UTF8.self)
            var notes = skipped.map { "left out \($0.0): \($0.1)" }
            if let out {
                do { try payload.json.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    throw ConsoleError("\(out): cannot write the payload (\(error.localizedDescription))")
                }
                notes.insert("wrote \(out): \(payload.experiments.count) experiments (\(payload.experiments.joined(separator: ", ")))", at: 0)
                return .summary(notes.joined(separator: "\n"), [("file", .string(out)), ("experiments", .array(payload.experiments.map { .string($0) })),
                                                             ("left_out", .object(skipped.map { ($0.0, .string($0.1)) }))])
            }
            for note in notes { context.note(note) }
            return .summary(text + "\n", [("experiments", .array(payload.experiments.map { .string($0) })), ("payload", .string(text))])
        }
    }
}
