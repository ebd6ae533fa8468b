import Dispatch
import Foundation
import Stats

/// A fast path for large files of plain numbers (`qini --scores`): the records after the header are
/// split at a line break into one part per core, each part read in blocks and parsed on its own
/// thread, and the columns joined in file order. It accepts only what it can parse without doubt —
/// no quotes anywhere, every record the header's field count, every field a finite number — and
/// returns nil otherwise, so the caller reads the file again with `CSVReader`, whose error names the
/// file, line and field exactly.
enum ParallelNumericCSV {
    /// Columns `wanted` (field indices) of every record after the first `dataStart` bytes.
    static func read(path: String, dataStart: Int, fields: Int, wanted: [Int], parts: Int = 2) -> [[Double]]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = Int(status.st_size)
        guard size > dataStart else { return nil }
        // Part boundaries: just after a line break near each equal share.
        var bounds = [dataStart]
        for k in 1..<parts {
            var at = dataStart + (size - dataStart) * k / parts
            var byte: UInt8 = 0
            while at < size {
                guard pread(descriptor, &byte, 1, off_t(at)) == 1 else { return nil }
                at += 1
                if byte == 0x0A { break }
            }
            bounds.append(max(at, bounds.last!))
        }
        bounds.append(size)
        let limits = bounds
        var results = [[[Double]]?](repeating: nil, count: parts)
        results.withUnsafeMutableBufferPointer { buffer in
            let shared = Shared(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: parts) { k in
                (shared.pointer + k).pointee = parse(descriptor, from: limits[k], to: limits[k + 1], fields: fields, wanted: wanted)
            }
        }
        guard results.allSatisfy({ $0 != nil }) else { return nil }
        // Join column by column, letting each part's column go as soon as it is copied, so the
        // join never holds two copies of the whole table.
        var columns: [[Double]] = []
        for c in wanted.indices {
            var joined = [Double]()
            joined.reserveCapacity(results.reduce(0) { $0 + $1![c].count })
            for k in results.indices {
                joined.append(contentsOf: results[k]![c])
                results[k]![c] = []
            }
            columns.append(joined)
        }
        return columns
    }

    /// Parses the bytes [from, to): records of `fields` numbers separated by commas, ending in LF or
    /// CRLF (the last may lack it). Nil at the first thing that is not that.
    static func parse(_ descriptor: Int32, from: Int, to: Int, fields: Int, wanted: [Int]) -> [[Double]]? {
        let block = 1 << 20
        var columns = [[Double]](repeating: [], count: wanted.count)
        let estimate = (to - from) / max(8 * fields, 1)
        for c in columns.indices { columns[c].reserveCapacity(estimate) }
        // For each field of a record, the column it goes to (−1: not wanted).
        let slot = (0..<fields).map { wanted.firstIndex(of: $0) ?? -1 }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: block + 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var offset = from, carried = 0
        while offset < to {
            let want = min(block, to - offset)
            let got = pread(descriptor, buffer.baseAddress! + carried, want, off_t(offset))
            guard got == want else { return nil }
            offset += want
            let length = carried + want
            let last = offset >= to
            // Parse whole lines; keep a partial last line for the next block.
            var lineStart = 0
            var i = 0
            while i < length {
                if buffer[i] == 0x22 { return nil } // a quote: the careful reader handles it
                if buffer[i] == 0x0A || (last && i == length - 1) {
                    var lineEnd = buffer[i] == 0x0A ? i : i + 1
                    if lineEnd > lineStart, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    if lineEnd == lineStart { return nil } // an empty line
                    var field = 0, fieldStart = lineStart
                    for j in lineStart...lineEnd {
                        if j == lineEnd || buffer[j] == 0x2C {
                            guard field < fields else { return nil }
                            if slot[field] >= 0 {
                                guard let value = DecimalNumber.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[fieldStart..<j])) else { return nil }
                                columns[slot[field]].append(value)
                            }
                            field += 1
                            fieldStart = j + 1
                        }
                    }
                    guard field == fields else { return nil }
                    lineStart = i + 1
                }
                i += 1
            }
            // Move the unfinished line to the front.
            carried = length - lineStart
            guard carried < 65_536 else { return nil } // a line longer than the careful reader should judge
            if carried > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + lineStart, byteCount: carried) }
        }
        guard carried == 0 else { return nil }
        return columns
    }
}
