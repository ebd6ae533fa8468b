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
        let store = try context.store()
        let s: AllocationRun.Scores, source: String
        switch (model, scores) {
        case let (name?, nil): (s, source) = (try AllocationRun.scores(model: name, on: store.connection), "model \(name)")
        case let (nil, path?): (s, source) = (try AllocationRun.scores(csv: path), path)
        default: throw ConsoleError("give --model NAME or --scores FILE.csv (one of them)")
        }
        if let experiment {
            let e = try AllocationRun.policyExperiment(experiment, policy: p, scores: s, source: source, exact: exact, seed: seed, in: store)
            var text = "experiment \(e.experiment): \(e.units.random) units on random-policy, \(e.units.uplift) on uplift-policy, "
                + "\(e.units.heldOut) in the universal holdout; allocation run \(e.run.id) of policy \(p.name), half of every budget each\n"
            let table = Table(columns: ["policy", "treated", "spend", "predicted_conversions"], rows: [
                [.string("random-policy"), .int(e.random.treated), sixDigits(e.random.spend), sixDigits(e.random.conversions)],
                [.string("uplift-policy"), .int(e.uplift.treated), sixDigits(e.uplift.spend), sixDigits(e.uplift.conversions)],
            ])
            let c = e.allocation.certificate
            text += "uplift half: value \(fmt(c.primal)), bound \(fmt(c.dualBound)), gap \(String(format: "%.2e", c.gap)); \(c.method)\n"
            text += AlignedFormat().render(.table(table))
            text += "outcomes imported for the experiment's units can be read with: report lift \(e.experiment) --metric METRIC\n"
            var extra: [(String, ConsoleValue)] = []
            if let report = e.run.report {
                let lines = lineTable(report)
                text += "\nthe uplift half against baselines at its budget of \(fmt(report.budget)):\n" + AlignedFormat().render(.table(lines))
                extra.append(("comparison", .array(lines.objects)))
            }
            return .summary(text, [
                ("experiment", .string(e.experiment)), ("run", .int(Int(e.run.id))), ("policy", .string(p.name)),
                ("value", .double(c.primal)), ("lp_bound", .double(c.dualBound)), ("gap", .double(c.gap)),
                ("spend", .double(e.random.spend + e.uplift.spend)), ("arms", .array(table.objects)),
                ("held_out", .int(e.units.heldOut)),
            ] + extra)
        }
        let plan = try AllocationRun.plan(p, scores: s, on: store.connection)
        let a = try AllocationRun.solve(plan, exact: exact)
        let report = try AllocationRun.report(plan, scores: s, allocation: a)
        let c = a.certificate, problem = plan.problem
        var totalSpend = 0.0
        for i in 0..<problem.units where a.choice[i] >= 0 { totalSpend += problem.cost[i * problem.arms + Int(a.choice[i])] }
        var stored: AllocationRun.StoredRun? = nil
        if !dryRun { stored = try AllocationRun.store(plan, a, source: source, report: report.summary, in: store) }
        var text = (stored.map { "allocation run \($0.id)" } ?? "dry run") + " of policy \(p.name) on \(problem.units) units: \(c.method)\n"
        text += "value \(fmt(c.primal)), bound \(fmt(c.dualBound)), gap \(String(format: "%.2e", c.gap)), \(c.iterations) iterations, "
            + "\(String(format: "%.2f", c.seconds)) s; spend \(fmt(totalSpend)) of \(fmt(p.budget))\n"
        text += "excluded: \(plan.heldOut) in the universal holdout, \(plan.sleepingDogs) sleeping dogs, \(plan.listed) listed; "
            + "\(plan.belowROI) options below the minimum ROI\n"
        let summary = report.summary
        let cells = cellTable(summary), lines = lineTable(summary)
        text += AlignedFormat().render(.table(cells))
        text += "\nexpected incremental results at the budget of \(fmt(p.budget)) (predicted\(summary.lines.first?.trueConversions != nil ? "; true: the simulation's effects" : "")):\n"
        text += AlignedFormat().render(.table(lines))
        if let html {
            try writePage(page(report, policy: p, source: source, certificate: c, lines: lines, cells: cells), to: html)
            text += "wrote \(html)\n"
        }
        return .summary(text, [
            ("run", stored.map { .int(Int($0.id)) } ?? .null), ("policy", .string(p.name)), ("method", .string(c.method)), ("units", .int(problem.units)),
            ("value", .double(c.primal)), ("lp_bound", .double(c.dualBound)), ("gap", .double(c.gap)), ("spend", .double(totalSpend)),
            ("iterations", .int(c.iterations)), ("seconds", .double(c.seconds)), ("multipliers", .array(c.multipliers.map(ConsoleValue.double))),
            ("arms", .array(cells.objects)), ("comparison", .array(lines.objects)),
            ("excluded", .object([("holdout", .int(plan.heldOut)), ("sleeping_dogs", .int(plan.sleepingDogs)), ("listed", .int(plan.listed))])),
        ])
    }

    func page(_ report: AllocationRun.Report, policy p: Policy, source: String, certificate c: Certificate, lines: Table, cells: Table) -> HTMLPage {
        var page = HTMLPage(title: "Allocation: \(p.name)")
        page.paragraph("Policy \(p.name) (\(p.objective.rawValue)) on \(source): value \(sixDigits(c.primal).text), bound \(sixDigits(c.dualBound).text), "
                       + "certified gap \(String(format: "%.2e", c.gap)) (\(c.method)).")
        page.heading("Expected incremental results at the budget of \(fmt(p.budget))")
        page.table(columns: lines.columns, rows: lines.rows.map { $0.map(\.text) })
        let yLabel = report.valuePerConversion == nil ? "incremental conversions" : "incremental value"
        let colours = ["#1b6e3a", "#8a8f98", "#b5542b", "#3b4a66"]
        let styles: [LineChart.Style] = [.solid, .dashed, .solid, .dotted]
        let series = report.comparison.lines.enumerated().map { n, line in
            LineChart.Series(label: line.name, x: line.curve.map(\.spend), y: line.curve.map(\.value), style: styles[n % 4], colour: colours[n % 4])
        }
        page.heading("\(yLabel.prefix(1).uppercased() + yLabel.dropFirst()) against spend")
        page.paragraph("The uplift policy's curve adds its chosen units best first (conversions per unit of cost); random targeting and "
                       + "the single arm are straight lines in expectation; targeting by response adds units by predicted response. "
                       + "All are predictions of the model; the policy's own figure is optimistic, because the units were chosen for "
                       + "their predictions (the winner's curse)"
                       + (report.comparison.policy.trueConversions != nil ? "; the table's true conversions come from the simulation." : "."))
        page.svg(LineChart(series: series, xLabel: "spend", yLabel: yLabel).svg())
        page.heading("Spend per segment and arm")
        page.table(columns: cells.columns, rows: cells.rows.map { $0.map(\.text) })
        return page
    }
}

/// The allocation's spend and expected gains per segment and arm.
func cellTable(_ s: AllocationRun.Summary) -> Table {
    var columns = ["segment", "arm", "units", "spend", "conversions"]
    if s.valuePerConversion != nil { columns.append("value") }
    return Table(columns: columns, rows: s.cells.map { c in
        [.string(c.segment), .string(c.arm), .int(c.units), sixDigits(c.spend), sixDigits(c.conversions)] + (c.value.map { [sixDigits($0)] } ?? [])
    })
}

/// The allocation beside the baselines at the same budget.
func lineTable(_ s: AllocationRun.Summary) -> Table {
    let truth = s.lines.first?.trueConversions != nil
    var columns = ["targeting", "units", "spend", "conversions"]
    if truth { columns.append("true_conversions") }
    columns += ["value", "roi", "cost_per_conversion"]
    func optional(_ v: Double?) -> ConsoleValue { v.map(sixDigits) ?? .null }
    return Table(columns: columns, rows: s.lines.map { l in
        [.string(l.name), sixDigits(l.units), sixDigits(l.spend), sixDigits(l.conversions)]
            + (truth ? [optional(l.trueConversions)] : []) + [optional(l.value), optional(l.roi), optional(l.costPerConversion)]
    })
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
                    ? "value \(fmt(r.value)), bound \(fmt(r.lpBound)), gap \(String(format: "%.2e", r.gap)), spend \(fmt(r.spend)); \(r.certificate.method)\n"
                    : "both policies: value \(fmt(r.value)), spend \(fmt(r.spend)); the uplift half's certificate: value "
                      + "\(fmt(r.certificate.primal)), bound \(fmt(r.lpBound)), gap \(String(format: "%.2e", r.gap)); \(r.certificate.method)\n")
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
