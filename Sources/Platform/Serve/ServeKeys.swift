import Foundation
import Postgres

/// `serve key create|list|revoke`: the keys `causeway serve` checks. An SDK key goes in the
/// features path (`/api/features/KEY`, as GrowthBook's client keys do); an ingest key is the bearer
/// secret of `POST /api/exposures`. Keys are stored as their SHA-256 and shown once, at creation.
public enum ServeKeys {
    public enum Kind: String, Sendable, CaseIterable { case sdk, ingest }

    public struct Key: Sendable {
        public let id: Int64
        public let kind: Kind
        public let name: String
        /// The key's first characters, to tell keys apart.
        public let prefix: String
        public let createdAt: Date
        public let revokedAt: Date?
    }

    /// Creates a key and returns it with the secret, which is stored only as its hash.
    public static func create(kind: Kind, name: String = "", in store: Store) throws -> (key: Key, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = (kind == .sdk ? "sdk_" : "ing_") + SHA256.hex(random)
        let prefix = String(secret.prefix(10))
        let row = try store.connection.transaction { c in
            try c.query("""
                INSERT INTO serve_keys (kind, name, key_sha256, prefix) VALUES (\(kind.rawValue), \(name), \(digest(secret)), \(prefix))
                RETURNING id, created_at
                """).decode((Int64, Date).self)[0]
        }
        return (Key(id: row.0, kind: kind, name: name, prefix: prefix, createdAt: row.1, revokedAt: nil), secret)
    }

    /// Every key, revoked ones included, oldest first.
    public static func list(in store: Store) throws -> [Key] {
        try store.connection.query("SELECT id, kind, name, prefix, created_at, revoked_at FROM serve_keys ORDER BY id")
            .decode((Int64, String, String, String, Date, Date?).self)
            .map { Key(id: $0.0, kind: Kind(rawValue: $0.1) ?? .sdk, name: $0.2, prefix: $0.3, createdAt: $0.4, revokedAt: $0.5) }
    }

    /// Revokes a key by id or by its prefix; the server stops accepting it within a second.
    @discardableResult
    public static func revoke(_ reference: String, in store: Store) throws -> Key {
        try store.connection.transaction { c in
            let id = Int64(reference)
            let rows = try c.query("""
                UPDATE serve_keys SET revoked_at = coalesce(revoked_at, now())
                WHERE id = \(id ?? -1) OR (\(id == nil) AND prefix = \(reference))
                RETURNING id, kind, name, prefix, created_at, revoked_at
                """).decode((Int64, String, String, String, Date, Date?).self)
            guard rows.count == 1, let r = rows.first else {
                throw PlatformError(rows.isEmpty ? .notFound : .invalidInput,
                                    rows.isEmpty ? "no serve key with id or prefix \"\(reference)\"" : "the prefix \"\(reference)\" names several keys; give the id")
            }
            return Key(id: r.0, kind: Kind(rawValue: r.1) ?? .sdk, name: r.2, prefix: r.3, createdAt: r.4, revokedAt: r.5)
        }
    }

    /// The active keys' hashes, for the server to check requests against.
    public static func verifier(in store: Store) throws -> Verifier {
        let rows = try store.connection.query("SELECT kind, key_sha256 FROM serve_keys WHERE revoked_at IS NULL")
            .decode((String, String).self)
        var hashes: [Kind: [[UInt8]]] = [:]
        for (kind, hex) in rows {
            guard let kind = Kind(rawValue: kind) else { continue }
            hashes[kind, default: []].append(Array(hex.utf8))
        }
        return Verifier(hashes: hashes)
    }

    static func digest(_ secret: String) -> String { SHA256.hex(SHA256.digest(Array(secret.utf8))) }

    /// Checks a presented key: its SHA-256 against every active key of the kind, each compared in
    /// constant time (no early exit on the first differing byte), so that timing says nothing.
    public struct Verifier: Sendable {
        let hashes: [Kind: [[UInt8]]]

        /// Accepts nothing (before the first read of the keys).
        public static let none = Verifier(hashes: [:])

        public func accepts(_ presented: Substring, kind: Kind) -> Bool {
            guard presented.utf8.count <= 256 else { return false }
            let hex = Array(ServeKeys.digest(String(presented)).utf8)
            var found: UInt8 = 0
            for stored in hashes[kind] ?? [] where stored.count == hex.count {
                var difference: UInt8 = 0
                for i in 0..<hex.count { difference |= stored[i] ^ hex[i] }
                found |= difference == 0 ? 1 : 0
            }
            return found == 1
        }
    }
}
