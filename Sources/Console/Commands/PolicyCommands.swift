import Allocation
import ArgumentParser
import Platform

/// `policy check FILE`
struct PolicyCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Budget allocation policies (TOML).", subcommands: [Check.self])

    struct Check: ConsoleCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file and explain what it asks for.",
            discussion: "Keys: name, objective, budget, value_per_conversion, min_incremental_roi, exclude_negative_uplift, "
                + "exclude_units, [[arms]] (name, cost or face_value and redemption, cap), [[segments]] (attribute, value, budget). "
                + "Examples in policies/.")
        @Argument(help: "The policy file.") var file: String

        func run(in context: CommandContext) throws -> CommandOutput {
            let p = try Policy.load(path: file)
            return .summary(p.explanation().joined(separator: "\n"), [
                ("name", .string(p.name)), ("objective", .string(p.objective.rawValue)), ("budget", .double(p.budget)),
                ("value_per_conversion", p.valuePerConversion.map(ConsoleValue.double) ?? .null),
                ("min_incremental_roi", p.minIncrementalROI.map(ConsoleValue.double) ?? .null),
                ("exclude_negative_uplift", .bool(p.excludeNegativeUplift)), ("exclude_units", .int(p.excludeUnits.count)),
                ("arms", .array(p.arms.map { .object([("name", .string($0.name)), ("cost", .double($0.cost)), ("cap", $0.cap.map(ConsoleValue.int) ?? .null)]) })),
                ("segments", .array(p.segments.map { .object([("attribute", .string($0.attribute)), ("value", .string($0.value)), ("budget", .double($0.budget))]) })),
            ])
        }
    }
}
