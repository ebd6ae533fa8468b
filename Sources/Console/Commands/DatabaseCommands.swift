import ArgumentParser
import Platform

/// `db migrate | db status | db rebuild-sums | db distribute | db start | db stop`
struct DatabaseCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the database: schema migrations and the embedded server.",
        subcommands: [Migrate.self, Status.self, RebuildSums.self, Distribute.self, Start.self, Stop.self]
    )

    struct Migrate: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending schema migrations, each in its own transaction.",
            discussion: "Refuses to run when an applied migration file has changed since.")

        func run(in context: CommandContext) throws -> CommandOutput {
            let applied = try DatabaseAdmin.migrate(context.store())
            let names = applied.map(\.fileName)
            let text = names.isEmpty ? "schema is up to date" : names.map { "applied \($0)" }.joined(separator: "\n")
            return .summary(text, [("applied", .array(names.map(ConsoleValue.string)))])
        }
    }

    struct Status: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which database is in use (never its password) and each migration's state.")

        func run(in context: CommandContext) throws -> CommandOutput {
            let status = try DatabaseAdmin.status(context.store())
            let pending = status.migrations.filter { $0.state == .pending }.count
            let migrations = Table(columns: ["version", "file", "state", "applied_at"], rows: status.migrations.map {
                [.int($0.version), .string($0.fileName), .string($0.state.rawValue), .optional($0.appliedAt)]
            })
            let fields: [(String, ConsoleValue)] = [
                ("database", .string(status.database)),
                ("source", .string(status.source)),
                ("server_version", .string(status.serverVersion)),
                ("pending", .int(pending)),
            ]
            let text = AlignedFormat().render(.record(fields)) + "\n" + AlignedFormat().render(.table(migrations))
            return .summary(text, fields + [("migrations", .array(migrations.objects))])
        }
    }

    struct RebuildSums: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebuild-sums",
            abstract: "Recompute the lift sums from every outcome and assignment row.",
            discussion: """
                Causeway's own writers keep the per-unit totals and per-arm sums that report lift reads, in the \
                transaction that writes the rows. Rows changed outside Causeway (INSERT, UPDATE or DELETE from psql) \
                are not followed: run this afterwards. report lift --verify says whether an experiment's sums agree.
                """)

        func run(in context: CommandContext) throws -> CommandOutput {
            let result = try DatabaseAdmin.rebuildSums(context.store())
            return .summary("lift sums rebuilt: \(result.unitTotals) unit totals, \(result.armRows) per-arm rows",
                            [("unit_totals", .int(result.unitTotals)), ("arm_rows", .int(result.armRows))])
        }
    }

    struct Distribute: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Distribute the store with Citus: unit-keyed tables sharded by unit, catalogs as reference tables.",
            discussion: """
                Needs the citus extension in the database (CREATE EXTENSION citus, workers added with citus_add_node). \
                Tables keyed by unit (units, assignments, outcomes, unit totals, features, clusters, scores, allocations, \
                graph edges by source) become distributed tables co-located by unit; the catalog and the lift sums become \
                reference tables. Running it again changes nothing.
                """)

        func run(in context: CommandContext) throws -> CommandOutput {
            let result = try DatabaseAdmin.distribute(context.store())
            let table = Table(columns: ["table", "change"], rows: result.tables.map { [.string($0.table), .string($0.change)] })
            return .table(table)
        }
    }

    struct Start: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create and start the embedded database under .causeway/postgres.")

        func run(in context: CommandContext) throws -> CommandOutput {
            let server = try embeddedServer(context)
            server.notes.forEach(context.note)
            let started = try server.start()
            return .summary(started ? "embedded database started in \(server.directory)"
                                    : "embedded database already running in \(server.directory)",
                            [("directory", .string(server.directory)), ("started", .bool(started))])
        }
    }

    struct Stop: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded database.")

        func run(in context: CommandContext) throws -> CommandOutput {
            let server = try embeddedServer(context)
            context.closeStore()
            let stopped = try server.stop()
            return .summary(stopped ? "embedded database stopped" : "embedded database was not running",
                            [("directory", .string(server.directory)), ("stopped", .bool(stopped))])
        }
    }
}

private func embeddedServer(_ context: CommandContext) throws -> EmbeddedServer {
    guard case .embedded(let workingDirectory) = context.target else {
        throw ConsoleError("db start and db stop manage the embedded database; this session uses \(context.target.source)")
    }
    return try EmbeddedServer(workingDirectory: workingDirectory)
}
