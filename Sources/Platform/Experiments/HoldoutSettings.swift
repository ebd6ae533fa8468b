import Postgres
import Randomization

/// `holdout set|show|check`: the universal holdout's settings, one row.
public enum HoldoutSettings {
    /// Sets the holdout share (0 to 50 %). Units already assigned keep what was stored.
    @discardableResult
    public static func set(percent: Double, seed: String?, in store: Store) throws -> Holdout {
        let holdout: Holdout
        do { holdout = try Holdout(percent: percent, seed: seed ?? "holdout") } catch { throw PlatformError.computation("", error) }
        try store.connection.transaction { c in
            try c.execute("""
                INSERT INTO holdout (id, percent, seed) VALUES (true, \(holdout.percent), \(holdout.seed))
                ON CONFLICT (id) DO UPDATE SET percent = excluded.percent, seed = excluded.seed, set_at = now()
                """)
        }
        return holdout
    }

    /// The holdout in force, or nil when none was set.
    public static func current(in store: Store) throws -> Holdout? {
        try current(on: store.connection)
    }

    /// The holdout in force (nil when none was set) and how many units stored assignments have held
    /// out so far, from one snapshot.
    public static func summary(in store: Store) throws -> (holdout: Holdout, unitsHeldOut: Int)? {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            guard let holdout = try current(on: c) else { return nil }
            let excluded = try c.query("SELECT count(DISTINCT unit) FROM assignments WHERE held_out").decodeOne(Int.self)
            return (holdout, excluded)
        }
    }

    static func current(on connection: Connection) throws -> Holdout? {
        let rows = try connection.query("SELECT percent, seed FROM holdout").decode((Double, String).self)
        guard let row = rows.first else { return nil }
        return try Holdout(percent: row.0, seed: row.1)
    }
}
