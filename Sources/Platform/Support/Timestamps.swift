import Foundation
import Postgres

/// Times as the store reads and writes them: ISO 8601 with an optional zone, UTC when none.
public enum Timestamps {
    /// `YYYY-MM-DD[T| ]HH:MM:SS[.ffffff]` with an optional `Z` or `±HH[:MM]`; nil when it is not one.
    public static func parse(_ text: String) -> Date? { PostgresTimestamp.parse(Array(text.utf8)) }

    /// The same from UTF-8 bytes (a request body's slice), without making a string.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? { PostgresTimestamp.parse(bytes) }

    /// `2026-11-22 10:15:00` (UTC, to the second).
    public static func format(_ date: Date) -> String { String(PostgresTimestamp.format(date).prefix(19)) }
}
