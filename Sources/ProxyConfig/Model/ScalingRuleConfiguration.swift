/// One rule of a target group's `scaling` list: when a metric crosses a threshold for long
/// enough, run a command and/or post to a webhook, so an operator's script can add or remove
/// targets (typically with `portcullis targets register`).
///
/// A rule fires once per crossing: after firing it waits until the metric is back past the
/// threshold by the hysteresis band, and it never fires twice within `cooldown`.
///
/// Configuration keys (under `target_groups.<name>.scaling[i]`):
/// - `name` (name, default `rule<position>`: `rule1`, `rule2`, …): unique within the group; sent
///   in the payload.
/// - `when` (string, required): `<metric> <operator> <threshold>`, such as
///   `requests_per_target_per_second > 200`; see ``ScalingCondition``. May end in `for <duration>`
///   instead of using the `for` key.
/// - `for` (duration, default `0s`, at most `24h`): how long the condition must hold without a
///   break before the rule fires; `0s` fires on the first evaluation that sees it.
/// - `cooldown` (duration, default `300s`, at most `24h`): the least time between two firings of
///   this rule.
/// - `hysteresis` (percentage 0...100, default `10%`): after firing, the rule re-arms only once the
///   metric is back past the threshold by this share of it.
/// - `exec` (string): a command run with `/bin/sh -c`.
/// - `webhook` (`http://host:port/path`): receives a `POST` with the JSON payload.
///
/// At least one of `exec` and `webhook` is required.
public struct ScalingRuleConfiguration: Sendable, Equatable {
    /// The default `cooldown`.
    public static let defaultCooldown = Duration.seconds(300)
    /// The default `hysteresis`, in percent.
    public static let defaultHysteresisPercent = 10.0
    /// The longest `for` and `cooldown` accepted.
    public static let maximumDuration = Duration.seconds(24 * 3600)

    public var name: String
    public var condition: ScalingCondition
    /// The `for` key: how long the condition must hold before the rule fires.
    public var holdFor: Duration
    public var cooldown: Duration
    /// 0...100.
    public var hysteresisPercent: Double
    /// Run with `/bin/sh -c`.
    public var exec: String?
    public var webhook: WebhookURL?

    public init(
        name: String,
        condition: ScalingCondition,
        holdFor: Duration = .zero,
        cooldown: Duration = ScalingRuleConfiguration.defaultCooldown,
        hysteresisPercent: Double = ScalingRuleConfiguration.defaultHysteresisPercent,
        exec: String? = nil,
        webhook: WebhookURL? = nil
    ) {
        self.name = name
        self.condition = condition
        self.holdFor = holdFor
        self.cooldown = cooldown
        self.hysteresisPercent = hysteresisPercent
        self.exec = exec
        self.webhook = webhook
    }

    /// The condition with its `for`, as in `requests_per_target_per_second > 200 for 60s`; the
    /// `for` part is left out when it is `0s`.
    public var summary: String {
        self.holdFor == .zero
            ? self.condition.description : "\(self.condition) for \(DurationSyntax.format(self.holdFor))"
    }

    /// The name of a rule without a `name`: `rule1` for the first rule in the list.
    public static func defaultName(position: Int) -> String {
        "rule\(position)"
    }
}
