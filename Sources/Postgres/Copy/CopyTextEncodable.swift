import Foundation

/// A value that can be written as one field of COPY's text format.
public protocol CopyTextEncodable {
    /// Appends the field, escaped for COPY text format (`\N` for NULL).
    func appendCopyText(to buffer: inout [UInt8])
}

extension CopyTextEncodable where Self: BinaryInteger {
    @inline(__always)
    public func appendCopyText(to buffer: inout [UInt8]) {
        CopyText.appendInteger(Int64(self), to: &buffer)
    }
}

extension Int: CopyTextEncodable {}
extension Int64: CopyTextEncodable {}
extension Int32: CopyTextEncodable {}
extension Int16: CopyTextEncodable {}

extension Double: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: Double.postgresLiteral(self).utf8)
    }
}

extension Float: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: Double.postgresLiteral(Double(self)).utf8)
    }
}

extension Bool: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) { buffer.append(self ? UInt8(ascii: "t") : UInt8(ascii: "f")) }
}

extension String: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) { CopyText.appendEscaped(utf8, to: &buffer) }
}

extension Substring: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) { CopyText.appendEscaped(utf8, to: &buffer) }
}

extension Date: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) { PostgresTimestamp.append(self, to: &buffer) }
}

extension Optional: CopyTextEncodable where Wrapped: CopyTextEncodable {
    public func appendCopyText(to buffer: inout [UInt8]) {
        if let self { self.appendCopyText(to: &buffer) } else { buffer.append(contentsOf: CopyText.null) }
    }
}

/// COPY text format: tab-separated fields, newline-terminated rows, backslash escapes, `\N` for NULL.
public enum CopyText {
    static let null: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "N")]

    @inline(__always)
    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value == 0 { buffer.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            while magnitude > 0 {
                digits[count] = UInt8(truncatingIfNeeded: magnitude % 10) + 48
                magnitude /= 10
                count += 1
            }
            while count > 0 { count -= 1; buffer.append(digits[count]) }
        }
    }

    /// Appends text with `\`, tab, newline and carriage return escaped.
    public static func appendEscaped(_ bytes: some Sequence<UInt8>, to buffer: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
            case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
            default: buffer.append(byte)
            }
        }
    }
}

/// A `double precision[]` field: `{1.5,2,-3}` (finite values; COPY text needs no escape for them).
extension Array: CopyTextEncodable where Element == Double {
    public func appendCopyText(to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        for (k, v) in enumerated() {
            if k > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: Double.postgresLiteral(v).utf8)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
