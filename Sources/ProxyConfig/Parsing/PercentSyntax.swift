/// The percentage syntax of the configuration file: a number in 0...100 with an optional `%`,
/// such as `20`, `20%` or `12.5%`. A space may come before the `%`.
enum PercentSyntax {
    static func expectation(wholeOnly: Bool) -> String {
        wholeOnly
            ? "expected a whole number in 0...100, such as 50 or 50%"
            : "expected a number in 0...100, such as 20, 20% or 12.5%"
    }

    /// Parses `text` as a non-negative number with an optional `%`, or returns `nil` when it is
    /// not one. The range is checked by the caller.
    ///
    /// - Parameter wholeOnly: Whether fractions such as `12.5` are refused.
    static func parse(_ text: String, wholeOnly: Bool) -> Double? {
        var number = text.trimmingSpaces()
        if number.hasSuffix("%") {
            number = String(number.dropLast()).trimmingSpaces()
        }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard (1...9).contains(parts[0].count), parts[0].allSatisfy(\.isASCIIDigit) else { return nil }
        if parts.count == 2 {
            guard !wholeOnly, (1...9).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigit) else {
                return nil
            }
        }
        return Double(number)
    }
}
