/// Limits retries to a share of the requests, so retries cannot multiply the load on a group
/// that is already failing.
///
/// A token bucket, one per event loop. Every request deposits `percent / 100` of a token, and
/// every retry spends a whole one. The bucket starts with `minimumTokens` so that a quiet
/// proxy can still retry a few times, and holds at most `max(minimumTokens, 100)` tokens, so a
/// long calm period cannot bank enough tokens for a retry storm.
///
/// Tokens are counted in millionths, so that for example ten requests at 10% make exactly one
/// token (repeated `0.1` additions in `Double` would fall just short).
///
/// Configuration key: `target_groups.<name>.retries.budget` (percentage, default `20%`) gives
/// `percent`. `minimumTokens` is not configurable.
public struct RetryBudget: Sendable {
    private static let unitsPerToken = 1_000_000

    private let deposit: Int
    private let capacity: Int
    private var balance: Int

    /// - Parameters:
    ///   - percent: Retries allowed per 100 requests, such as `20`. Negative counts as zero.
    ///   - minimumTokens: Tokens in the bucket at the start, so a few retries are possible
    ///     before any request has been recorded. Negative counts as zero.
    public init(percent: Double, minimumTokens: Double = 3) {
        let units = Double(Self.unitsPerToken)
        let minimum = Int((max(minimumTokens, 0) * units).rounded())
        self.deposit = Int((max(percent, 0) / 100 * units).rounded())
        self.capacity = max(minimum, 100 * Self.unitsPerToken)
        self.balance = minimum
    }

    /// Tokens in the bucket now; a retry needs 1.
    public var availableTokens: Double {
        Double(self.balance) / Double(Self.unitsPerToken)
    }

    /// Deposits this request's share of a token. Call once per request, retried or not.
    public mutating func recordRequest() {
        self.balance = min(self.capacity, self.balance + self.deposit)
    }

    /// Spends one token if there is one.
    ///
    /// - Returns: `true` when the retry may go ahead; `false` when the budget is spent and the
    ///   error should go to the client instead.
    public mutating func tryConsumeRetry() -> Bool {
        guard self.balance >= Self.unitsPerToken else { return false }
        self.balance -= Self.unitsPerToken
        return true
    }
}
