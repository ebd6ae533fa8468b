import Foundation
import Postgres

/// A use case refused its input or could not finish: what kind of failure (`code`), the words for
/// it, and, where the failure came from another module, that module's own error (`cause`, with its
/// code: a GLPK status, an XGBoost return value, an SQLSTATE). Nothing was written.
///
/// Messages name the options a use case takes as `Parameter`s, never as a front end's flags: the
/// console renders `.regions` as `--regions`, another front end as it likes. `description` uses
/// the parameter's plain words.
public struct PlatformError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        /// A value given to the use case is not acceptable.
        case invalidInput = "invalid_input"
        /// A file's content is not acceptable; the message names the file, line and field.
        case invalidFile = "invalid_file"
        /// A named object (experiment, metric, model, run, …) does not exist.
        case notFound = "not_found"
        /// The object exists already, or another writer holds it.
        case conflict
        /// The object is in a state that does not allow this (a draft, a stopped experiment, …).
        case wrongState = "wrong_state"
        /// The data do not allow the computation (too few units, no outcomes, …).
        case insufficientData = "insufficient_data"
        /// The database could not be reached or the connection was lost.
        case connectionFailed = "connection_failed"
        /// A pure module (the solver, a learner, a design) refused; `cause` holds its error.
        case computation
        /// Reading or writing a file or running a program failed.
        case io
    }

    public let code: Code
    public let message: Message
    /// The error of the module the failure came from, with its own code.
    public let cause: (any Error)?

    public init(_ code: Code, _ message: Message, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// An invalid-input failure (the common case).
    public init(_ message: Message) { self.init(.invalidInput, message) }

    /// The message with every parameter in its plain words.
    public var description: String { message.render { $0.words } }

    /// The parameters the message names, in order.
    public var parameters: [Parameter] {
        message.parts.compactMap { if case .parameter(let p) = $0 { p } else { nil } }
    }

    /// An option of a use case, named in its messages.
    public struct Parameter: Hashable, Sendable {
        /// The option's name (`regions`, `burn-in`): what a front end maps to its own flag.
        public let name: String
        /// The option in plain words, for front ends that have no flag for it.
        public let words: String

        public init(_ name: String, words: String? = nil) {
            self.name = name
            self.words = words ?? name.replacingOccurrences(of: "-", with: " ")
        }
    }

    /// Text with parameters in it, built by interpolation: `"a switchback needs \(.regions)"`.
    public struct Message: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
        public enum Part: Sendable { case text(String), parameter(Parameter) }
        public var parts: [Part]

        public init(stringLiteral value: String) { parts = [.text(value)] }
        public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

        public struct Interpolation: StringInterpolationProtocol {
            var parts: [Part] = []
            public init(literalCapacity: Int, interpolationCount: Int) {}
            public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }
            public mutating func appendInterpolation(_ parameter: Parameter) { parts.append(.parameter(parameter)) }
            public mutating func appendInterpolation(_ message: Message) { parts += message.parts }
            public mutating func appendInterpolation<T>(_ value: T) { parts.append(.text(String(describing: value))) }
        }

        /// The text with each parameter as `name` says.
        public func render(_ name: (Parameter) -> String) -> String {
            parts.map { part in
                switch part {
                case .text(let text): text
                case .parameter(let p): name(p)
                }
            }.joined()
        }

        public var description: String { render { $0.words } }

        public static func + (lhs: Message, rhs: Message) -> Message {
            var joined = lhs
            joined.parts += rhs.parts
            return joined
        }
    }
}

extension PlatformError {
    /// A module's error as a platform failure: its words after `context`, its code kept in `cause`.
    static func computation(_ context: String, _ error: any Error) -> PlatformError {
        if let platform = error as? PlatformError { return PlatformError(platform.code, "\(context)\(platform.message)", cause: platform.cause) }
        return PlatformError(.computation, "\(context)\(error)", cause: error)
    }

    /// Whether `error` says the database could not be reached or the connection was lost, and if so
    /// in which words. Front ends use it to tell a lost database from a failed command.
    public static func connectionFailure(in error: any Error) -> String? {
        if let e = error as? PlatformError, e.code == .connectionFailed { return e.description }
        if let e = error as? PostgresError, e.isConnectionError { return e.description }
        if let e = error as? EmbeddedServerError { return e.description }
        return nil
    }
}

extension PlatformError.Parameter {
    public static let alpha = Self("alpha")
    public static let arm = Self("arm")
    public static let arms = Self("arms")
    public static let at = Self("at", words: "a time")
    public static let base = Self("base")
    public static let burnIn = Self("burn-in")
    public static let by = Self("by", words: "the attribute to break down by")
    public static let cap = Self("cap")
    public static let capPercentile = Self("cap-percentile", words: "the cap percentile")
    public static let carryover = Self("carryover")
    public static let clusters = Self("clusters", words: "a cluster mapping")
    public static let correction = Self("correction")
    public static let coverage = Self("coverage")
    public static let engine = Self("engine")
    public static let cuped = Self("cuped", words: "CUPED")
    public static let denominator = Self("denominator")
    public static let direct = Self("direct")
    public static let exposure = Self("exposure")
    public static let featureSet = Self("feature-set")
    public static let features = Self("features")
    public static let floor = Self("floor")
    public static let k = Self("k", words: "the neighbour count")
    public static let mde = Self("mde", words: "the minimum detectable effect")
    public static let metric = Self("metric")
    public static let noise = Self("noise")
    public static let numerator = Self("numerator")
    public static let percent = Self("percent")
    public static let power = Self("power")
    public static let priorMean = Self("prior-mean", words: "the prior mean")
    public static let priorSD = Self("prior-sd", words: "the prior's standard deviation")
    public static let periods = Self("periods")
    public static let range = Self("range", words: "the layer range")
    public static let region = Self("region")
    public static let regions = Self("regions")
    public static let replicates = Self("replicates")
    public static let sequential = Self("sequential", words: "sequential testing")
    public static let rewire = Self("rewire", words: "the rewiring probability")
    public static let spillover = Self("spillover")
    public static let split = Self("split", words: "the held-out share")
    public static let start = Self("start")
    public static let window = Self("window")
}

extension String {
    /// True for a name that is empty or only white space: never a name.
    var isBlankName: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}
