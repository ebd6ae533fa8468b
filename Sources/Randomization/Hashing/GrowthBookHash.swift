/// GrowthBook's hashing, bit for bit (specVersion 0.8.0 of their cross-SDK suite).
///
/// FNV-1a 32 runs over the string's **UTF-16 code units**, as GrowthBook's JavaScript SDK does with
/// `charCodeAt`: for ASCII ids this is the same as hashing bytes; for other characters each UTF-16
/// unit is XORed in whole. SDKs that hash UTF-8 bytes, or (Python) Unicode code points, agree with
/// this for ASCII only (Python also for characters in the Basic Multilingual Plane).
public enum GrowthBookHash {
    @usableFromInline static let offsetBasis: UInt32 = 0x811c_9dc5
    @usableFromInline static let prime: UInt32 = 16_777_619

    /// FNV-1a 32 of the string's UTF-16 code units. O(n).
    @inlinable
    public static func fnv1a32(_ text: String) -> UInt32 {
        feed(text, into: 0x811c_9dc5)
    }

    /// Continues an FNV-1a 32 state with the string's UTF-16 code units.
    @inlinable
    public static func feed(_ text: String, into state: UInt32) -> UInt32 {
        var hash = state
        // ASCII fast path over contiguous UTF-8; any other byte restarts over UTF-16 units.
        let ascii: UInt32? = text.utf8.withContiguousStorageIfAvailable { bytes -> UInt32? in
            var h = state
            for byte in bytes {
                guard byte < 0x80 else { return nil }
                h = (h ^ UInt32(byte)) &* 16_777_619
            }
            return h
        } ?? nil
        if let ascii { return ascii }
        for unit in text.utf16 { hash = (hash ^ UInt32(unit)) &* 16_777_619 }
        return hash
    }

    /// Continues an FNV-1a 32 state with the decimal digits of `value`, as JavaScript's `n + ""`.
    /// Digits come two at a time from a table, halving the chain of divisions.
    @inlinable
    static func feedDecimal(_ value: UInt32, into state: UInt32) -> UInt32 {
        let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = pairs.utf8Start
        var digits: (UInt64, UInt64) = (0, 0) // 16 bytes of scratch, filled from the end
        var hash = state
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = 16
            var rest = value
            while rest >= 100 {
                let pair = Int(rest % 100) &* 2
                rest /= 100
                position -= 2
                buffer[position] = table[pair]
                buffer[position + 1] = table[pair + 1]
            }
            if rest >= 10 {
                position -= 2
                buffer[position] = table[Int(rest) &* 2]
                buffer[position + 1] = table[Int(rest) &* 2 + 1]
            } else {
                position -= 1
                buffer[position] = UInt8(truncatingIfNeeded: rest) &+ 48
            }
            while position < 16 {
                hash = (hash ^ UInt32(buffer[position])) &* 16_777_619
                position += 1
            }
        }
        return hash
    }

    /// GrowthBook's `hash(seed, value, version)`: a number in [0, 1), or nil for an unknown version.
    ///
    /// Version 1: `fnv(value + seed) % 1000 / 1000` (biased, kept for compatibility).
    /// Version 2: `fnv(String(fnv(seed + value))) % 10000 / 10000`.
    public static func hash(seed: String, value: String, version: Int) -> Double? {
        switch version {
        case 1: return Double(feed(seed, into: feed(value, into: offsetBasis)) % 1000) / 1000
        case 2: return Double(feedDecimal(feed(value, into: feed(seed, into: offsetBasis)), into: offsetBasis) % 10000) / 10000
        default: return nil
        }
    }
}

/// A hash version GrowthBook defines.
public enum HashVersion: Int, Sendable, CaseIterable, Codable {
    /// `fnv(value + seed) % 1000`: biased, for compatibility.
    case v1 = 1
    /// `fnv(fnv(seed + value)) % 10000`: the default.
    case v2 = 2
}

/// Hashes many units under one seed; for version 2 the seed's FNV state is computed once.
public struct UnitHasher: Sendable {
    public let seed: String
    public let version: HashVersion
    @usableFromInline let seedState: UInt32

    public init(seed: String, version: HashVersion) {
        self.seed = seed
        self.version = version
        self.seedState = GrowthBookHash.feed(seed, into: GrowthBookHash.offsetBasis)
    }

    /// The unit's hash in [0, 1), equal to `GrowthBookHash.hash(seed:value:version:)`.
    @inlinable
    public func hash(_ unit: String) -> Double {
        Double(bucket(unit)) / Double(buckets)
    }

    /// The number of distinct hash values: 1,000 for version 1, 10,000 for version 2.
    @inlinable
    public var buckets: Int { version == .v1 ? 1000 : 10_000 }

    /// The unit's hash as an integer in `0..<buckets`: `hash(unit) == Double(bucket(unit)) / Double(buckets)`.
    @inlinable
    public func bucket(_ unit: String) -> Int {
        switch version {
        case .v1:
            return Int(GrowthBookHash.feed(seed, into: GrowthBookHash.fnv1a32(unit)) % 1000)
        case .v2:
            let inner = GrowthBookHash.feed(unit, into: seedState)
            return Int(GrowthBookHash.feedDecimal(inner, into: GrowthBookHash.offsetBasis) % 10000)
        }
    }
}
