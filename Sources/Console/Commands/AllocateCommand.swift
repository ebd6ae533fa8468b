import Allocation
import ArgumentParser
import Platform
import Reports

/// `allocate FILE.toml (--model NAME | --scores FILE.csv) [--exact] [--dry-run] [--html FILE] [--experiment NAME]`
struct AllocateCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocate",
        abstract: "Decide who gets which arm under a policy's budgets, with a certificate of optimality.",
        discussion: """
            Scores come from a model's scores table (model score NAME) or a CSV (unit,arm,uplift[,cost][,response]). The \
            universal holdout, listed units and (unless the policy says otherwise) units with negative uplift for every arm \
            get nothing. One budget: the exact LP optimum by a greedy pass over each unit's convex hull, rounded without \
            exceeding it; more rows: cutting planes on the Lagrangian dual with a GLPK master. --exact solves the whole \
            problem in GLPK (small instances). The report compares the allocation with random targeting, targeting by \
            highest predicted response and the best single arm, all at the policy's budget. The run (certificate, report and \
            every decision) is stored in one transaction under a run id; --dry-run writes nothing. --experiment NAME makes \
            the run an experiment instead: units split 50/50 between a random policy and the uplift policy, each with half \
            of every budget, behind the universal holdout; report lift NAME reads its outcomes later.
            """)
    @Argument(help: "The policy file.") var policy: String
    @Option(help: "A model whose scores to use.") var model: String?
    @Option(help: "A CSV of scores: unit,arm,uplift[,cost][,response].") var scores: String?
    @Flag(help: "Solve the full problem with GLPK's branch-and-cut.") var exact = false
    @Flag(help: "Solve and report without writing anything.") var dryRun = false
    @Option(help: "Also write a self-contained HTML page (value against spend) to FILE.") var html: String?
    @Option(help: "Create experiment NAME: uplift policy against a random policy at equal budget.") var experiment: String?
    @Option(help: "Seed of the random policy's order and arms (with --experiment).") var seed: UInt64 = 1

    func run(in context: CommandContext) throws -> CommandOutput {
        let p = try Policy.load(path: policy)
        if experiment != nil, dryRun { throw ConsoleError("--experiment writes an experiment and its run; it cannot be a --dry-run") }
        var request: AllocationRun.Request
        switch (model, scores) {
        case let (name?, nil): request = .init(policy: p, scores: .model(name))
        case let (nil, path?): request = .init(policy: p, scores: .file(path))
        default: throw ConsoleError("give --model NAME or --scores FILE.csv (one of them)")
        }
        request.exact = exact
        request.dryRun = dryRun
        request.experiment = experiment
        request.seed = seed
        let presenter = AllocationPresenter(policy: p)
        switch try AllocationRun.run(request, in: context.store()) {
        case .experiment(let e): return presenter.present(e)
        case .solved(let solved): return try presenter.present(solved, html: html)
        }
    }
}

/// `allocation show RUN`
struct AllocationCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "allocation", abstract: "Stored allocation runs.", subcommands: [Show.self])

    struct Show: ConsoleCommand {
        static let configuration = CommandConfiguration(abstract: "A stored run: its certificate and spend per arm.")
        @Argument(help: "The run id.") var run: Int64

        func run(in context: CommandContext) throws -> CommandOutput {
            let r = try AllocationRun.show(run, in: context.store())
            let table = Table(columns: ["arm", "units", "spend", "value"], rows: r.arms.map { [.string($0.arm), .int($0.units), .double($0.spend), .double($0.value)] })
            var text = "allocation run \(r.id): policy \(r.policy) on \(r.source), \(r.units) units, \(r.treated) treated"
                + (r.experiment.map { " (experiment \($0))" } ?? "") + "\n"
                + (r.experiment == nil
                    ? "value \(fmt(r.value)), bound \(fmt(r.lpBound)), gap \(NumberFormat.scientific(r.gap)), spend \(fmt(r.spend)); \(r.certificate.method)\n"
                    : "both policies: value \(fmt(r.value)), spend \(fmt(r.spend)); the uplift half's certificate: value "
                      + "\(fmt(r.certificate.primal)), bound \(fmt(r.lpBound)), gap \(NumberFormat.scientific(r.gap)); \(r.certificate.method)\n")
                + AlignedFormat().render(.table(table))
            var extra: [(String, ConsoleValue)] = []
            if let report = r.report {
                let lines = lineTable(report)
                text += "\nexpected incremental results at the budget of \(fmt(report.budget)):\n" + AlignedFormat().render(.table(lines))
                extra.append(("comparison", .array(lines.objects)))
            }
            if let e = r.experiment { extra.append(("experiment", .string(e))) }
            return .summary(text, [("run", .int(Int(r.id))), ("policy", .string(r.policy)), ("source", .string(r.source)), ("units", .int(r.units)),
                                   ("treated", .int(r.treated)), ("spend", .double(r.spend)), ("value", .double(r.value)),
                                   ("lp_bound", .double(r.lpBound)), ("gap", .double(r.gap)),
                                   ("arms", .array(table.objects))] + extra)
        }
    }
}
