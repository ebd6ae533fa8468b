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

    /// Stable LSD radix sort of `keys` carrying `values`, ascending.
    static func radixSort(_ keys: inout [UInt64], _ values: inout [Int32]) {
        let n = keys.count
        var counts = [Int](repeating: 0, count: 4 * 65_536)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for key in k {
                    c[Int(key & 0xFFFF)] += 1
                    c[65_536 + Int((key >> 16) & 0xFFFF)] += 1
                    c[131_072 + Int((key >> 32) & 0xFFFF)] += 1
                    c[196_608 + Int(key >> 48)] += 1
                }
            }
        }
        var scratchKeys = [UInt64](repeating: 0, count: n)
        var scratchValues = [Int32](repeating: 0, count: n)
        for digit in 0..<4 {
            let base = digit * 65_536, shift = UInt64(16 * digit)
            // A digit every key shares orders nothing.
            if counts[base..<(base + 65_536)].contains(n) { continue }
            var offsets = [Int](repeating: 0, count: 65_536)
            var total = 0
            for b in 0..<65_536 { offsets[b] = total; total += counts[base + b] }
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    scratchKeys.withUnsafeMutableBufferPointer { sk in
                        scratchValues.withUnsafeMutableBufferPointer { sv in
                            offsets.withUnsafeMutableBufferPointer { o in
                                for i in 0..<n {
                                    let key = k[i]
                                    let b = Int((key >> shift) & 0xFFFF)
                                    let at = o[b]
                                    sk[at] = key
                                    sv[at] = v[i]
                                    o[b] = at + 1
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
