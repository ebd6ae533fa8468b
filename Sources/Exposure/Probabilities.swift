import Dispatch
import Stats

/// Exposure probabilities by re-running the design (Aronow & Samii 2017, section 5): the actual
/// design draws R assignments with fresh salts; each unit's probability of each condition is the
/// share of draws that put it there, and the joint probability of two units' conditions the share
/// that put both there. Every draw is kept as one bit per unit and condition, so a joint
/// probability is a popcount over R/64 words.
public struct ExposureProbabilities: Sendable {
    public let units: Int
    public let replicates: Int
    let words: Int
    /// Bit r of word w of (unit i, condition c) is at `bits[(i·4 + c)·words + w]`: draw r = 64w + bit.
    let bits: [UInt64]
    /// π_i(c) at `marginal[i·4 + c]`.
    public let marginal: [Double]

    /// Draws `replicates` assignments with `draw(r)` (each unit's arm: 1 treated, 0 control, −1 out)
    /// and records every unit's condition. `draw` is called from several threads.
    public static func estimate(_ g: Graph, mapping: ExposureMapping, replicates R: Int, threads: Int = 2,
                                draw: @Sendable (Int) -> [Int8]) throws(ExposureError) -> ExposureProbabilities {
        guard R >= 1 else { throw ExposureError(.invalidData, "at least one replicate") }
        let n = g.nodes, words = (R + 63) / 64
        var bits = [UInt64](repeating: 0, count: n * 4 * words)
        bits.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return } // nil only for an empty buffer: nothing to fill
            let shared = Shared(base)
            // Each thread owns whole words, so no two threads write the same word.
            let workers = max(1, min(threads, words))
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                for w in stride(from: t, to: words, by: workers) {
                    for r in (w * 64)..<min(R, w * 64 + 64) {
                        let codes = Condition.codes(g, arm: draw(r), mapping: mapping)
                        let bit = UInt64(1) << UInt64(r - w * 64)
                        for i in 0..<n where codes[i] >= 0 {
                            shared.pointer[(i * 4 + Int(codes[i])) * words + w] |= bit
                        }
                    }
                }
            }
        }
        var marginal = [Double](repeating: 0, count: n * 4)
        for slot in 0..<(n * 4) {
            var c = 0
            for w in 0..<words { c += bits[slot * words + w].nonzeroBitCount }
            marginal[slot] = Double(c) / Double(R)
        }
        return ExposureProbabilities(units: n, replicates: R, words: words, bits: bits, marginal: marginal)
    }

    @inline(__always) public func probability(_ i: Int, _ c: Condition) -> Double { marginal[i * 4 + c.rawValue] }

    /// π_ij(a, b): the share of draws with unit i in condition a and unit j in condition b.
    @inline(__always) public func joint(_ i: Int, _ a: Condition, _ j: Int, _ b: Condition) -> Double {
        let x = (i * 4 + a.rawValue) * words, y = (j * 4 + b.rawValue) * words
        return bits.withUnsafeBufferPointer { bits in
            var c = 0
            for w in 0..<words { c += (bits[x + w] & bits[y + w]).nonzeroBitCount }
            return Double(c) / Double(replicates)
        }
    }
}
