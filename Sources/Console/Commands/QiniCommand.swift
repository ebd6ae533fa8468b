import ArgumentParser
import Foundation
import Platform
import Qini
import Reports

/// `qini MODEL [--split F] [--bootstrap B] [--html FILE]` | `qini --scores FILE.csv`
struct QiniCommand: ConsoleCommand {
    static let configuration = CommandConfiguration(
        commandName: "qini",
        abstract: "Judge uplift scores: Qini and uplift curves, AUC scores, uplift@k and a decile table.",
        discussion: """
            With a model, its held-out units (never the training units) are scored again and each treatment \
            arm is judged against control; --split takes a smaller share of the held-out units. With \
            --scores FILE.csv (columns outcome, treatment 0/1, and one or more score columns), each score \
            column is judged. Scores follow scikit-uplift 0.5.1 (qini_auc_score, uplift_auc_score: normalised \
            between random and perfect; tied scores form one point); CausalML 0.18.0's qini_score and \
            auuc_score are given beside them. --bootstrap B adds percentile intervals for the AUC scores.
            """)
    @Argument(help: "The model.") var model: String?
    @Option(help: "A CSV of scores made elsewhere.") var scores: String?
    @Option(parsing: .unconditional, help: "The share of units to evaluate on, at most the model's held-out share.", transform: ValueParsing.decimal) var split: Double?
    @Option(help: "Bootstrap replicates for the AUC scores' intervals.") var bootstrap: Int?
    @Option(help: "Seed for the bootstrap.") var seed: UInt64 = 1
    @Option(help: "Also write a self-contained HTML page with the curves to FILE.") var html: String?

    func run(in context: CommandContext) throws -> CommandOutput {
        var options = QiniReport.Options()
        options.split = split
        options.seed = seed
        options.progress = context.progressBar?.progress ?? .silent
        if let bootstrap {
            guard bootstrap >= 10, bootstrap <= 100_000 else { throw ConsoleError("--bootstrap takes 10 to 100000 replicates") }
            options.bootstrap = bootstrap
        }
        let result: QiniReport.Result
        switch (model, scores) {
        case let (name?, nil): result = try QiniReport.model(name, options: options, in: context.store())
        case let (nil, path?):
            guard split == nil else { throw ConsoleError("--split applies to a model's held-out units") }
            result = try QiniReport.scoresFile(path, options: options)
        default: throw ConsoleError("name a model, or give --scores FILE.csv (not both)")
        }
        return try QiniPresenter(result: result, bootstrap: bootstrap).output(html: html)
    }
}
