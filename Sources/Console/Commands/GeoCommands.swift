import ArgumentParser
import Foundation
import Platform
import Synthetic

/// `geo plan --metric M (--treated-count K | --treated A,B) --duration D --effects 0.01,0.02,0.05 [--alpha 0.1]`
struct GeoCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "geo", abstract: "Geo test design.", subcommands: [Plan.self])

    struct Plan: ConsoleCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Which markets to treat and what a test of D periods can detect, simulated on the panel's history.",
            discussion: """
                For each candidate set (each market with its most correlated others, or the set given), the test is replayed \\
                in up to --windows historical windows: the effect is injected into the treated markets, estimated by synthetic \\
                control, and detected when the in-space placebo p-value is at most --alpha. Power per effect, the minimum \\
                detectable effect (power ≥ 0.8), and the recommended set.
                """)
        @Option(help: "The outcome series.") var metric: String
        @Option(help: "How many markets to treat (candidates are chosen).") var treatedCount: Int?
        @Option(help: "The markets to treat, comma-separated.") var treated: String?
        @Option(help: "The test's length in periods of the panel.") var duration: Int
        @Option(help: "Relative effects to simulate, comma-separated (0.02 is +2%).") var effects: String = "0.01,0.02,0.05"
        @Option(parsing: .unconditional, help: "The placebo test's level.", transform: ValueParsing.decimal) var alpha: Double = 0.1
        @Option(help: "At most this many candidate sets.") var candidates: Int = 20
        @Option(help: "Historical windows per set.") var windows: Int = 10
        @Option(help: "Plan on the history before this period only (data before a launch).") var until: String?

        func run(in context: CommandContext) throws -> CommandOutput {
            let list = try effects.split(separator: ",").map { text -> Double in
                guard let v = try? ValueParsing.decimal(text.trimmingCharacters(in: .whitespaces)), v > -1 else {
                    throw ConsoleError("--effects must be numbers above −1, comma-separated (0.02 is +2%)")
                }
                return v
            }
            guard duration >= 1 else { throw ConsoleError("--duration must be at least 1") }
            guard candidates >= 1, windows >= 1 else { throw ConsoleError("--candidates and --windows must be at least 1") }
            var o = GeoPlanning.Options(metric: metric, duration: duration, effects: list)
            o.treated = ValueParsing.list(treated)
            o.treatedCount = treatedCount
            o.alpha = alpha
            o.candidates = candidates
            o.windows = windows
            o.until = until
            let r = try GeoPlanning.run(o, in: context.store())
            func pct(_ v: Double) -> String { NumberFormat.rounded(100 * v, .significant(3)) + "%" }
            var text = "geo plan on \(r.metric): \(r.markets) markets × \(r.periods) periods; a test of \(duration) periods replayed in up to \(windows) historical windows, placebo test at α = \(NumberFormat.rounded(alpha, .significant(3)))\n"
            let columns = ["markets", "MDE (power ≥ 80%)"] + list.map { "power at \(pct($0))" } + ["pre-fit error"]
            text += AlignedFormat().render(.table(Table(columns: columns, rows: r.sets.map { s in
                [.string(s.units.joined(separator: ", ")), .string(s.minimumDetectableEffect.map(pct) ?? "above \(pct(list.map(abs).max() ?? 0))")]
                    + s.power.map { .number($0, .decimals(2)) } + [.string(pct(s.relativeFitError))]
            })))
            if let best = r.recommended {
                text += "recommended: \(best.units.joined(separator: ", "))"
                text += best.minimumDetectableEffect.map { " (detects \(pct($0)) with power ≥ 80%)" } ?? " (no simulated effect reaches 80% power: lengthen the test or treat more markets)"
                text += "\n"
            }
            return .summary(text, [
                ("metric", .string(r.metric)), ("duration", .int(duration)), ("alpha", .double(alpha)),
                ("recommended", r.recommended.map { .array($0.units.map { .string($0) }) } ?? .null),
                ("sets", .array(r.sets.map { s in
                    .object([("markets", .array(s.units.map { .string($0) })), ("mde", s.minimumDetectableEffect.map { .double($0) } ?? .null),
                             ("power", .object(zip(list, s.power).map { (String($0.0), .double($0.1)) })), ("fit_error", .double(s.relativeFitError))])
                })),
            ])
        }
    }
}
