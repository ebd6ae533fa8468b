/// Splits a console line into words as a POSIX shell would, without expansions.
///
/// - Whitespace separates words; `'…'` groups literally; `"…"` groups with `\"` and `\\` escapes;
///   outside quotes a backslash escapes the next character.
/// - `#` at the start of a word, outside quotes, starts a comment to the end of the line.
/// - A line whose first word starts with a backslash is a meta-command: that word is kept raw
///   (`\format`, `\?`), the rest is split as usual.
public enum Tokenizer {
    /// A line that cannot be split.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The words of one logical line, or a failure for an unterminated quote.
    public static func words(_ line: String) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var chars = Array(line)
        var index = 0

        // A meta-command's name is taken raw.
        while index < chars.count, chars[index] == " " || chars[index] == "\t" { index += 1 }
        if index < chars.count, chars[index] == "\\" {
            var name = ""
            while index < chars.count, chars[index] != " ", chars[index] != "\t" { name.append(chars[index]); index += 1 }
            words.append(name)
        }

        while index < chars.count {
            let ch = chars[index]
            switch ch {
            case " ", "\t", "\r", "\n":
                if inWord { words.append(current); current = ""; inWord = false }
                index += 1
            case "#" where !inWord:
                index = chars.count
            case "'":
                inWord = true
                index += 1
                guard let end = chars[index...].firstIndex(of: "'") else {
                    throw Failure(description: "unterminated quoted string")
                }
                current += String(chars[index..<end])
                index = end + 1
            case "\"":
                inWord = true
                index += 1
                var closed = false
                while index < chars.count {
                    let c = chars[index]
                    if c == "\"" { closed = true; index += 1; break }
                    if c == "\\", index + 1 < chars.count, chars[index + 1] == "\"" || chars[index + 1] == "\\" {
                        current.append(chars[index + 1])
                        index += 2
                        continue
                    }
                    current.append(c)
                    index += 1
                }
                guard closed else { throw Failure(description: "unterminated quoted string") }
            case "\\":
                inWord = true
                if index + 1 < chars.count { current.append(chars[index + 1]) }
                index += 2
            default:
                inWord = true
                current.append(ch)
                index += 1
            }
        }
        if inWord { words.append(current) }
        chars.removeAll()
        return words
    }

    /// True when the line ends in an odd number of backslashes: it continues on the next line.
    public static func continues(_ line: String) -> Bool {
        var count = 0
        for ch in line.reversed() {
            guard ch == "\\" else { break }
            count += 1
        }
        return count % 2 == 1
    }
}
