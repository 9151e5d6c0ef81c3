/// How a target group retries failed requests on another target: the `retries` block.
///
/// Configuration keys (all optional):
/// - `max_tries` (integer 1...10, default 2): attempts per request, the first included. `1`
///   means no retries.
/// - `budget` (percentage 0...100, default `20%`, written `20%` or `20`, fractions allowed): retries
///   in flight may be at most this share of the requests in flight to the group, so that an outage
///   does not multiply the load. `0` allows no retries.
/// - `retry_on_timeout` (bool, default `false`): also retry a request whose target did not answer
///   within `upstream.response_timeout`. The target may have processed it, so this repeats requests.
public struct RetryConfiguration: Sendable, Equatable {
    /// 1...10; 1 means no retries.
    public var maxTries: Int
    /// 0...100.
    public var budgetPercent: Double
    public var retryOnTimeout: Bool

    public init(maxTries: Int = 2, budgetPercent: Double = 20, retryOnTimeout: Bool = false) {
        self.maxTries = maxTries
        self.budgetPercent = budgetPercent
        self.retryOnTimeout = retryOnTimeout
    }
}
