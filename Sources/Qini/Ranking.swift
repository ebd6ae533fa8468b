import Dispatch
import Stats

/// Orders rows by score, descending, in O(n) passes: an LSD radix sort on order-preserving 64-bit
/// keys (16-bit digits, digits every key shares skipped). Stable, so the order of tied rows is
/// chosen explicitly.
public enum Ranking {
    public enum Ties: Sendable {
        /// Tied rows in reverse input order: `np.argsort(score, kind="mergesort")[::-1]`, as scikit-uplift ranks.
        case reversed
        /// Tied rows in input order (a stable descending sort).
        case inputOrder
    }

    /// Row indices by descending score. Scores must not be NaN (callers check).
    public static func descending(_ scores: [Double], ties: Ties = .reversed) -> [Int32] {
        let n = scores.count
        guard n > 1 else { return n == 1 ? [0] : [] }
        var keys = [UInt64](repeating: 0, count: n)
        var index = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            let s = scores[i] == 0 ? 0.0 : scores[i] // −0 and +0 tie
            let bits = s.bitPattern
            // Ascending keys for ascending doubles; descending for `.inputOrder` by complementing.
            let ascending = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
            keys[i] = ties == .reversed ? ascending : ~ascending
            index[i] = Int32(i)
        }
        if n < 65_536 {
            // Small inputs: a comparison sort on (key, row) is stable by construction and skips
            // the radix sort's 65,536-bucket passes.
            index.sort { keys[Int($0)] != keys[Int($1)] ? keys[Int($0)] < keys[Int($1)] : $0 < $1 }
        } else {
            radixSort(&keys, &index)
        }
        if ties == .reversed { index.reverse() }
        return index
    }

    /// Order-preserving key of a score (ascending keys for ascending scores; −0 and +0 tie).
    @inline(__always)
    static func key(_ score: Double) -> UInt64 {
        let bits = (score == 0 ? 0.0 : score).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// Sorts scores ascending carrying a one-byte payload per row, and returns both sorted: for
    /// binary outcomes the payload is all a curve needs, so walking the ranking reads memory in
    /// order instead of gathering rows at random. Stable.
    ///
    /// Scores that are all exactly `Float` values (an XGBoost model's predictions are) sort on
    /// 32-bit keys: two passes instead of four, the same order.
    public static func ascendingWithPayload(_ scores: [Double], payload: [UInt8]) -> (keys: [UInt64], payload: [UInt8]) {
        let single = scores.withUnsafeBufferPointer { b in b.allSatisfy { Double(Float($0)) == $0 } }
        var values = payload
        if single {
            var keys32 = scores.map { score -> UInt32 in
                let bits = Float(score == 0 ? 0 : score).bitPattern
                return bits & (1 << 31) != 0 ? ~bits : bits | (1 << 31)
            }
            radixSort(&keys32, &values)
            return (keys32.map(UInt64.init), values)
        }
        var keys = scores.map(key)
        radixSort(&keys, &values)
        return (keys, values)
    }

    /// Stable LSD radix sort of `keys` carrying `values`, ascending: four passes of 16 bits, each
    /// counted and scattered by two threads on their halves (the first half's rows go first
    /// within a bucket, so the sort stays stable); a digit every key shares is skipped.
    static func radixSort<Key: FixedWidthInteger & UnsignedInteger & Sendable, Value>(_ keys: inout [Key], _ values: inout [Value]) {
        let n = keys.count
        let buckets = 65_536, threads = n >= 1 << 18 ? 2 : 1
        let chunk = (n + threads - 1) / threads
        var scratchKeys = [Key](repeating: 0, count: n)
        var scratchValues = values
        var counts = [Int](repeating: 0, count: threads * buckets)
        for digit in 0..<(Key.bitWidth / 16) {
            let shift = Key(16 * digit)
            keys.withUnsafeBufferPointer { k in
                counts.withUnsafeMutableBufferPointer { c in
                    let keys = Shared(UnsafeMutablePointer(mutating: k.baseAddress!)), counts = Shared(c.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: threads) { t in
                        let counts = counts.pointer + t * buckets
                        for b in 0..<buckets { counts[b] = 0 }
                        for i in (t * chunk)..<min(n, (t + 1) * chunk) { counts[Int((keys.pointer[i] >> shift) & 0xFFFF)] += 1 }
                    }
                }
            }
            // A digit every key shares orders nothing.
            var shared = false
            for b in 0..<buckets where (0..<threads).reduce(0, { $0 + counts[$1 * buckets + b] }) == n { shared = true; break }
            if shared { continue }
            // Offsets: bucket by bucket, thread 0's rows before thread 1's.
            var total = 0
            for b in 0..<buckets {
                for t in 0..<threads {
                    let c = counts[t * buckets + b]
                    counts[t * buckets + b] = total
                    total += c
                }
            }
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    scratchKeys.withUnsafeMutableBufferPointer { sk in
                        scratchValues.withUnsafeMutableBufferPointer { sv in
                            counts.withUnsafeMutableBufferPointer { c in
                                let p = (k: Shared(UnsafeMutablePointer(mutating: k.baseAddress!)), v: Shared(UnsafeMutablePointer(mutating: v.baseAddress!)),
                                         sk: Shared(sk.baseAddress!), sv: Shared(sv.baseAddress!), c: Shared(c.baseAddress!))
                                DispatchQueue.concurrentPerform(iterations: threads) { t in
                                    let offsets = p.c.pointer + t * buckets
                                    for i in (t * chunk)..<min(n, (t + 1) * chunk) {
                                        let key = p.k.pointer[i]
                                        let b = Int((key >> shift) & 0xFFFF)
                                        let at = offsets[b]
                                        p.sk.pointer[at] = key
                                        p.sv.pointer[at] = p.v.pointer[i]
                                        offsets[b] = at + 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &scratchKeys)
            swap(&values, &scratchValues)
        }
    }
}
