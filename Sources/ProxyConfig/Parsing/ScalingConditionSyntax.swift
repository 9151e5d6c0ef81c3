/// The syntax of a scaling rule's `when`: `<metric> <operator> <threshold>`, optionally followed
/// by `for <duration>`, such as `requests_per_target_per_second > 200 for 60s`.
///
/// Spaces around the operator are optional. Thresholds are plain non-negative numbers, except
/// that `healthy_targets` needs a whole number and `p95_latency` takes a duration (`500ms`, `1s`)
/// or a bare number of milliseconds.
enum ScalingConditionSyntax {
    static let expectation =
        "expected \"<metric> <operator> <threshold>\", such as \"requests_per_target_per_second > 200\" or \"healthy_targets < 2\""

    /// A parsed `when`.
    struct Parsed {
        var condition: ScalingCondition
        /// The `for <duration>` at the end, if there was one.
        var holdFor: Duration?
    }

    /// Parses `text`, or says what is wrong with it.
    static func parse(_ text: String) -> Result<Parsed, SyntaxProblem> {
        var words = text.trimmingSpaces().split(whereSeparator: { $0 == " " || $0 == "\t" })
        var holdFor: Duration?
        if words.count >= 2, words[words.count - 2] == "for" {
            let durationText = String(words.removeLast())
            words.removeLast()
            guard let duration = DurationSyntax.parse(durationText) else {
                return .failure(
                    SyntaxProblem("invalid duration \"\(durationText)\" after \"for\" (\(DurationSyntax.expectation))")
                )
            }
            holdFor = duration
        }
        let condition = words.joined(separator: " ")

        let metricName = condition.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        guard !metricName.isEmpty else {
            return .failure(SyntaxProblem("\(Self.expectation); got \"\(text)\""))
        }
        let metricNames = ScalingCondition.Metric.allCases.map(\.rawValue)
        guard let metric = ScalingCondition.Metric(rawValue: String(metricName)) else {
            let hint = Suggestion.closest(to: String(metricName), in: metricNames)
            let choices = "expected one of: \(metricNames.joined(separator: ", "))"
            let detail = hint.map { "did you mean \"\($0)\"?" } ?? choices
            return .failure(SyntaxProblem("unknown metric \"\(metricName)\" (\(detail))"))
        }

        var rest = condition.dropFirst(metricName.count).drop(while: { $0 == " " })
        let operatorText = rest.prefix(while: { "<>=!".contains($0) })
        guard let comparison = ScalingCondition.Comparison(rawValue: String(operatorText)) else {
            let found = operatorText.isEmpty ? "no operator" : "operator \"\(operatorText)\""
            return .failure(SyntaxProblem("\(found) after \(metric.rawValue) (expected >, >=, < or <=)"))
        }
        rest = rest.dropFirst(operatorText.count).drop(while: { $0 == " " })
        guard !rest.isEmpty else {
            return .failure(SyntaxProblem("missing threshold after \"\(metric.rawValue) \(comparison.rawValue)\""))
        }
        let threshold: Double
        switch Self.threshold(String(rest), for: metric) {
        case .success(let value): threshold = value
        case .failure(let problem): return .failure(problem)
        }
        if threshold == 0, comparison == .lessThan {
            return .failure(SyntaxProblem("\(metric.rawValue) < 0 can never hold: metrics are never negative"))
        }
        let parsed = ScalingCondition(metric: metric, comparison: comparison, threshold: threshold)
        return .success(Parsed(condition: parsed, holdFor: holdFor))
    }

    /// Parses a threshold in the unit of `metric`.
    static func threshold(_ text: String, for metric: ScalingCondition.Metric) -> Result<Double, SyntaxProblem> {
        switch metric {
        case .p95Latency:
            if let milliseconds = Self.number(text) {
                return .success(milliseconds)
            }
            if let duration = DurationSyntax.parse(text) {
                let parts = duration.components
                return .success(Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15)
            }
            return .failure(
                SyntaxProblem(
                    "invalid latency \"\(text)\" (expected a duration such as 500ms or 1s; a bare number means milliseconds)"
                )
            )
        case .healthyTargets:
            guard let value = Self.number(text), value.rounded() == value else {
                return .failure(SyntaxProblem("healthy_targets is compared with a whole number of targets (got \"\(text)\")"))
            }
            return .success(value)
        case .requestsPerTargetPerSecond, .inFlightPerTarget:
            guard let value = Self.number(text) else {
                return .failure(
                    SyntaxProblem("invalid threshold \"\(text)\" for \(metric.rawValue) (expected a number such as 200 or 12.5)")
                )
            }
            return .success(value)
        }
    }

    /// A non-negative decimal number without unit or sign, such as `200` or `12.5`, up to 9 digits
    /// on each side of the point.
    static func number(_ text: String) -> Double? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ (1...9).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
        return Double(text)
    }
}
