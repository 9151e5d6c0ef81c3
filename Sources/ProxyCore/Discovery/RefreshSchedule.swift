public import ProxyDefaults

/// When a name is resolved again (decision 0032): after its `refresh`, or after the answer's
/// TTL when that is shorter, never sooner than a floor; after a failure, sooner (the last answer
/// stays meanwhile).
public struct RefreshSchedule: Sendable, Hashable {
    public var refresh: Duration
    public var minimum: Duration
    public var retryAfterFailure: Duration

    public init(
        refresh: Duration,
        minimum: Duration = Defaults.Discovery.minimumInterval,
        retryAfterFailure: Duration = Defaults.Discovery.retryAfterFailure
    ) {
        self.refresh = refresh
        self.minimum = minimum
        self.retryAfterFailure = retryAfterFailure
    }

    /// The wait after a resolution that succeeded; `ttl` is the smallest TTL of the records
    /// used (`nil`: the answer had none, as an empty one).
    public func delay(afterAnswerWithTTL ttl: UInt32?) -> Duration {
        let byTTL = ttl.map { Duration.seconds(Int64($0)) } ?? self.refresh
        return max(self.minimum, min(self.refresh, byTTL))
    }

    /// The wait after a resolution that failed.
    public var delayAfterFailure: Duration {
        max(self.minimum, min(self.refresh, self.retryAfterFailure))
    }
}
