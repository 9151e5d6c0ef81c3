/// When a scaling rule fires: a metric compared with a threshold, held for a while, with
/// hysteresis and a cooldown. The runtime form of a target group's `scaling` entry.
public struct ScalingRule: Sendable, Hashable {
    /// How the metric is compared with the threshold.
    public enum Comparison: Sendable, Hashable {
        case greaterThan
        case greaterThanOrEqual
        case lessThan
        case lessThanOrEqual

        /// The config spelling: `>`, `>=`, `<` or `<=`.
        public var symbol: String {
            switch self {
            case .greaterThan: ">"
            case .greaterThanOrEqual: ">="
            case .lessThan: "<"
            case .lessThanOrEqual: "<="
            }
        }
    }

    public var name: String
    public var metric: ScalingMetric
    public var comparison: Comparison
    /// In the metric's unit. Not negative.
    public var threshold: Double
    /// How long the condition must hold, without a break, before the rule fires.
    public var holdFor: Duration
    /// The least time between two firings.
    public var cooldown: Duration
    /// The re-arm band as a fraction of the threshold, 0...1 (`0.1` for `hysteresis: 10%`).
    public var hysteresis: Double

    public init(
        name: String,
        metric: ScalingMetric,
        comparison: Comparison,
        threshold: Double,
        holdFor: Duration = .zero,
        cooldown: Duration = .seconds(300),
        hysteresis: Double = 0.1
    ) {
        self.name = name
        self.metric = metric
        self.comparison = comparison
        self.threshold = threshold
        self.holdFor = holdFor
        self.cooldown = cooldown
        self.hysteresis = hysteresis
    }

    /// Whether `value` meets the condition.
    public func holds(for value: Double) -> Bool {
        switch self.comparison {
        case .greaterThan: value > self.threshold
        case .greaterThanOrEqual: value >= self.threshold
        case .lessThan: value < self.threshold
        case .lessThanOrEqual: value <= self.threshold
        }
    }

    /// How far past the threshold the metric must come back before a fired rule re-arms:
    /// `threshold × hysteresis`, rounded down to a whole number for whole-number metrics.
    ///
    /// The rounding keeps small thresholds usable: for `healthy_targets < 2` with 10 %, the band
    /// is 0.2, which becomes 0, so the rule re-arms as soon as 2 targets are healthy again rather
    /// than only at 3. For `healthy_targets < 20` the band is 2 (re-arms at 22).
    public var rearmBand: Double {
        let band = max(self.threshold * self.hysteresis, 0)
        return self.metric.isWholeNumber ? band.rounded(.down) : band
    }

    /// Whether `value` is back past the threshold by at least ``rearmBand``, so a fired rule may
    /// re-arm: for `> T` and `>= T` that is `value ≤ T − band`; for `< T` and `<= T` it is
    /// `value ≥ T + band`. In both cases the condition must also no longer hold, which matters
    /// when the band is 0.
    public func isClear(of value: Double) -> Bool {
        guard !self.holds(for: value) else { return false }
        switch self.comparison {
        case .greaterThan, .greaterThanOrEqual: return value <= self.threshold - self.rearmBand
        case .lessThan, .lessThanOrEqual: return value >= self.threshold + self.rearmBand
        }
    }
}
