import Foundation
import Postgres
import Synthetic

extension PlatformError.Parameter {
    public static let until = Self("until", words: "the end of the history used")
}

/// `geo plan`: which markets to treat, and what a test of a given length can detect, by simulating
/// the test in the panel's own history (issue 21).
public enum GeoPlanning {
    public struct Options: Sendable {
        public var metric: String
        /// Either a fixed set, or a count to choose candidates for.
        public var treated: [String]? = nil
        public var treatedCount: Int? = nil
        public var duration: Int
        public var effects: [Double]
        public var alpha = 0.1
        public var candidates = 20
        public var windows = 10
        /// Use only the history before this period (plan on data before a launch).
        public var until: String? = nil

        public init(metric: String, duration: Int, effects: [Double]) {
            self.metric = metric
            self.duration = duration
            self.effects = effects
        }
    }

    public struct Result: Sendable {
        public let metric: String
        public let options: Options
        public let sets: [GeoPlan.SetResult]
        public let recommended: GeoPlan.SetResult?
        public let periods: Int
        public let markets: Int
    }

    public static func run(_ o: Options, in store: Store) throws -> Result {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            guard let info = try c.query("SELECT sparse FROM series_metrics WHERE metric = \(o.metric)").decode(Bool.self).first else {
                throw PlatformError(.notFound, "series \"\(o.metric)\" does not exist; import series FILE.csv --metric \(o.metric) first")
            }
            guard !info else { throw PlatformError("series \"\(o.metric)\" is sparse: a geo plan needs a complete panel") }
            let (loaded, allTimes) = try SyntheticReport.load(o.metric, on: c)
            var times = allTimes
            if let until = o.until {
                guard let limit = SeriesImport.period(until) else { throw PlatformError("\(.until) \"\(until)\" is not a period such as 2026 or 2026-11-01") }
                times = allTimes.filter { $0 < limit }
                guard !times.isEmpty else { throw PlatformError("\(.until) \(until) leaves no period of the panel") }
            }
            let panel = loaded.mapValues { byIndex in times.indices.map { byIndex[$0]! } }
            let sets: [[String]]
            if let treated = o.treated {
                guard o.treatedCount == nil else { throw PlatformError("give the treated markets or their count, not both") }
                for u in treated where panel[u] == nil { throw PlatformError(.notFound, "market \"\(u)\" is not in series \"\(o.metric)\"") }
                sets = [treated.sorted()]
            } else {
                guard let k = o.treatedCount, k >= 1 else { throw PlatformError("give the treated markets or their count (at least 1)") }
                guard k < panel.count - 1 else { throw PlatformError(.insufficientData, "treating \(k) of \(panel.count) markets leaves too few donors") }
                sets = GeoPlan.candidates(panel, count: k, limit: o.candidates)
            }
            var options = GeoPlan.Options(duration: o.duration, effects: o.effects)
            options.alpha = o.alpha
            options.windows = o.windows
            let results: [GeoPlan.SetResult]
            do { results = try GeoPlan.evaluate(panel, sets: sets, options: options) } catch {
                throw PlatformError(.invalidInput, "\(error)", cause: error)
            }
            let ordered = GeoPlan.ranked(results)
            return Result(metric: o.metric, options: o, sets: ordered, recommended: ordered.first, periods: times.count, markets: panel.count)
        }
    }
}
