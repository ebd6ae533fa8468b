// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Causeway",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "causeway", targets: ["causeway"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Platform", targets: ["Platform"]),
        .library(name: "Console", targets: ["Console"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // MARK: - Public API

        /// libpq wrapper: connections, interpolated queries, typed rows, transactions, COPY, migrator.
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]
        ),
        /// Hashing, bucketing and designs (user split, switchback, cluster, holdout, layers), SRM. Pure.
        .target(name: "Randomization"),
        /// Distributions, Welch and the delta method, CUPED, multiple testing. Pure.
        .target(name: "Stats"),
        /// Learners (XGBoost, linear/logistic), S/T/X/DR meta-learners, calibration, synthetic data. Pure but for XGBoost.
        .target(name: "Uplift", dependencies: ["CXGBoost", "Stats"]),
        /// Qini and uplift curves, AUC scores, uplift@k, percentile tables (scikit-uplift and CausalML definitions). Pure.
        .target(name: "Qini", dependencies: ["Stats"]),
        /// Budget allocation: the policy model and its values, the Lagrangian decomposition with a GLPK master, greedy and exact solvers, certificates, the random-targeting baseline.
        .target(name: "Allocation", dependencies: ["CGLPK", "Stats"]),
        /// Graphs (CSR), motif census, exposure conditions and probabilities, Aronow–Samii estimators, graph clustering. Pure.
        .target(name: "Exposure", dependencies: ["Stats"], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        /// Synthetic control: exact simplex-constrained donor weights (more to come: issue 21). Pure.
        .target(name: "Synthetic", dependencies: ["Stats"], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        /// Observational studies: propensity, matching, weighting, regression, doubly robust and double ML
        /// estimates, balance, refutations and sensitivity. Pure but for Uplift's XGBoost learners.
        .target(name: "Observational", dependencies: ["Stats", "Uplift"], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        /// Text tables and self-contained HTML pages with SVG charts.
        .target(name: "Reports"),
        /// Use cases over the store; each command is one transaction.
        .target(
            name: "Platform",
            dependencies: ["Postgres", "Randomization", "Stats", "Uplift", "Qini", "Allocation", "Exposure", "Synthetic", "Observational",
                           .product(name: "Logging", package: "swift-log"), .product(name: "TOMLKit", package: "TOMLKit")],
            plugins: ["EmbedSchema"]
        ),
        /// `causeway serve`: the GrowthBook SDK payload, exposure ingestion, keys and health over HTTP.
        .target(
            name: "Server",
            dependencies: ["Platform", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        /// The admin console: reader, grammar, commands and output formats.
        .target(
            name: "Console",
            dependencies: [
                "Platform", "Server", "Reports", "Randomization", "Stats", "Uplift", "Qini", "Allocation", "Exposure", "Synthetic", "Observational", "CLineEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        /// The `causeway` executable.
        .executableTarget(
            name: "causeway",
            dependencies: ["Console", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: - Implementation details

        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CGLPK",
            providers: [.apt(["libglpk-dev"])]
        ),
        .systemLibrary(
            name: "CXGBoost", pkgConfig: "xgboost",
            providers: [.apt(["libxgboost-dev"])]
        ),
        .systemLibrary(
            name: "CLineEdit", pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        /// Turns `schema/*.sql` into Swift source so the binary carries its migrations.
        .executableTarget(name: "SchemaEmbedder", path: "Sources/SchemaEmbedder"),
        .plugin(
            name: "EmbedSchema", capability: .buildTool(),
            dependencies: ["SchemaEmbedder"]
        ),
        /// Benchmarks (`tools/bench`), never timed unit tests.
        .executableTarget(
            name: "causeway-bench",
            dependencies: ["Postgres", "Platform", "Randomization", "Stats", "Uplift", "Qini", "Allocation", "Exposure", "Synthetic", "Observational"],
            path: "Benchmarks/causeway-bench"
        ),
        .target(
            name: "_TestSupport",
            dependencies: ["Postgres", "Stats"],
            path: "Tests/_TestSupport"
        ),

        // MARK: - Tests

        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "_TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "UpliftTests", dependencies: ["Uplift", "Stats"]),
        .testTarget(name: "AllocationTests", dependencies: ["Allocation", "Stats"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExposureTests", dependencies: ["Exposure", "Stats", "Randomization"], resources: [.copy("Fixtures")]),
        .testTarget(name: "QiniTests", dependencies: ["Qini", "Stats"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StatsTests", dependencies: ["Stats"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SyntheticTests", dependencies: ["Synthetic", "Stats"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ObservationalTests", dependencies: ["Observational", "Stats"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "RandomizationTests", dependencies: ["Randomization"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Platform", "_TestSupport"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Console", "Platform", "Postgres", "Randomization", "Stats", "Uplift", "Qini", "Allocation", "Exposure",
                           "_TestSupport", "CGLPK", "CXGBoost", "Server"],
            exclude: ["Serve/growthbook_interop.py"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
