/// The duration syntax of the configuration file: `500ms`, `10s`, `5m`, `1h`, `1h30m`, or a bare
/// integer meaning seconds.
enum DurationSyntax {
    static let expectation =
        "expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds"

    /// Parses `text`, or returns `nil` when it is not a duration.
    ///
    /// Components are summed, so `1h30m` is 90 minutes. Each number may have up to 9 digits.
    static func parse(_ text: String) -> Duration? {
        let text = text.trimmingSpaces()
        guard !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCIIDigit) {
            return text.count <= 9 ? Int(text).map { .seconds($0) } : nil
        }
        var total = Duration.zero
        var rest = Substring(text)
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard (1...9).contains(digits.count), let value = Int(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { !$0.isASCIIDigit })
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += .milliseconds(value)
            case "s": total += .seconds(value)
            case "m": total += .seconds(value * 60)
            case "h": total += .seconds(value * 3600)
            default: return nil
            }
        }
        return total
    }

    /// The shortest spelling of `duration` in this syntax, such as `1h30m` or `250ms`.
    static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        guard milliseconds != 0 else { return "0s" }
        if milliseconds % 1000 != 0 {
            return "\(milliseconds)ms"
        }
        var seconds = milliseconds / 1000
        var text = ""
        for (unit, size) in [("h", Int64(3600)), ("m", 60), ("s", 1)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text
    }
}

extension Character {
    var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = self.firstIndex(where: { !isSpace($0) }),
            let end = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[start...end])
    }
}
