import Allocation
import ArgumentParser
import Platform

/// `allocate FILE.toml (--model NAME | --scores FILE.csv) [--exact] --dry-run`
struct AllocateCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocate",
        abstract: "Decide who gets which arm under a policy's budgets, with a certificate of optimality.",
        discussion: """
            Scores come from a model's scores table (model score NAME) or a CSV (unit,arm,uplift[,cost]). The universal \
            holdout, listed units and (unless the policy says otherwise) units with negative uplift for every arm get \
            nothing. One budget: the exact LP optimum by a greedy pass over each unit's convex hull, rounded without \
            exceeding it; more rows: cutting planes on the Lagrangian dual with a GLPK master. --exact solves the whole \
            problem in GLPK (small instances). The run (certificate and every decision) is stored in one             transaction under a run id; --dry-run writes nothing.
            """)
    @Argument(help: "The policy file.") var policy: String
    @Option(help: "A model whose scores to use.") var model: String?
    @Option(help: "A CSV of scores: unit,arm,uplift[,cost].") var scores: String?
    @Flag(help: "Solve the full problem with GLPK's branch-and-cut.") var exact = false
    @Flag(help: "Solve and report without writing anything.") var dryRun = false

    func run(in context: CommandContext) throws -> CommandOutput {
        let p = try Policy.load(path: policy)
        let store = try context.store()
        let s: AllocationRun.Scores, source: String
        switch (model, scores) {
        case let (name?, nil): (s, source) = (try AllocationRun.scores(model: name, on: store.connection), "model \(name)")
        case let (nil, path?): (s, source) = (try AllocationRun.scores(csv: path), path)
        default: throw ConsoleError("give --model NAME or --scores FILE.csv (one of them)")
        }
        let plan = try AllocationRun.plan(p, scores: s, on: store.connection)
        let a = try AllocationRun.solve(plan, exact: exact)
        let c = a.certificate, problem = plan.problem
        var count = [Int](repeating: 0, count: problem.arms), spend = [Double](repeating: 0, count: problem.arms)
        var value = [Double](repeating: 0, count: problem.arms)
        for i in 0..<problem.units where a.choice[i] >= 0 {
            let k = Int(a.choice[i])
            count[k] += 1
            spend[k] += problem.cost[i * problem.arms + k]
            value[k] += problem.value[i * problem.arms + k]
        }
        let table = Table(columns: ["arm", "units", "spend", "value"], rows: p.arms.indices.map { k in
            [.string(p.arms[k].name), .int(count[k]), sixDigits(spend[k]), sixDigits(value[k])]
        })
        let totalSpend = spend.reduce(0, +)
        var stored: AllocationRun.StoredRun? = nil
        if !dryRun { stored = try AllocationRun.store(plan, a, source: source, in: store) }
        var text = (stored.map { "allocation run \($0.id)" } ?? "dry run") + " of policy \(p.name) on \(problem.units) units: \(c.method)\n"
        text += "value \(fmt(c.primal)), bound \(fmt(c.dualBound)), gap \(String(format: "%.2e", c.gap)), \(c.iterations) iterations, "
            + "\(String(format: "%.2f", c.seconds)) s; spend \(fmt(totalSpend)) of \(fmt(p.budget))\n"
        text += "excluded: \(plan.heldOut) in the universal holdout, \(plan.sleepingDogs) sleeping dogs, \(plan.listed) listed; "
            + "\(plan.belowROI) options below the minimum ROI\n"
        text += AlignedFormat().render(.table(table))
        return .summary(text, [
            ("run", stored.map { .int(Int($0.id)) } ?? .null), ("policy", .string(p.name)), ("method", .string(c.method)), ("units", .int(problem.units)),
            ("value", .double(c.primal)), ("lp_bound", .double(c.dualBound)), ("gap", .double(c.gap)), ("spend", .double(totalSpend)),
            ("iterations", .int(c.iterations)), ("seconds", .double(c.seconds)), ("multipliers", .array(c.multipliers.map(ConsoleValue.double))),
            ("arms", .array(table.objects)),
            ("excluded", .object([("holdout", .int(plan.heldOut)), ("sleeping_dogs", .int(plan.sleepingDogs)), ("listed", .int(plan.listed))])),
        ])
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
            let text = "allocation run \(r.id): policy \(r.policy) on \(r.source), \(r.units) units, \(r.treated) treated\n"
                + "value \(fmt(r.value)), bound \(fmt(r.lpBound)), gap \(String(format: "%.2e", r.gap)), spend \(fmt(r.spend)); \(r.certificate.method)\n"
                + AlignedFormat().render(.table(table))
            return .summary(text, [("run", .int(Int(r.id))), ("policy", .string(r.policy)), ("source", .string(r.source)), ("units", .int(r.units)),
                                   ("treated", .int(r.treated)), ("spend", .double(r.spend)), ("value", .double(r.value)),
                                   ("lp_bound", .double(r.lpBound)), ("gap", .double(r.gap)),
                                   ("arms", .array(table.objects))])
        }
    }
}
