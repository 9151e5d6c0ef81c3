/// One line of a line-oriented file (htpasswd, API keys) that holds content: not blank, not a
/// `#` comment.
struct ContentLine {
    /// 1-based line number, for messages.
    let number: Int
    /// The line without surrounding spaces, tabs or a CRLF's `\r`.
    let text: Substring

    /// The content lines of `text`, in order. Lines end at `\n` or `\r\n`.
    static func lines(of text: String) -> [ContentLine] {
        var result: [ContentLine] = []
        // "\r\n" is one Character in Swift, so splitting at "\n" alone would miss it.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (offset, line) in lines.enumerated() {
            let trimmed = line.trimmingBlanks()
            guard !trimmed.isEmpty, trimmed.first != "#" else { continue }
            result.append(ContentLine(number: offset + 1, text: trimmed))
        }
        return result
    }
}

extension Substring {
    /// Whether `character` is a space, a tab or a carriage return.
    static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\r"
    }

    /// This text without leading and trailing spaces, tabs and carriage returns.
    func trimmingBlanks() -> Substring {
        guard let first = self.firstIndex(where: { !Self.isBlank($0) }),
            let last = self.lastIndex(where: { !Self.isBlank($0) })
        else {
            return self[self.endIndex...]
        }
        return self[first...last]
    }
}
