import ProxyDefaults

/// When to renew and how long to back off: pure arithmetic, in seconds since 1970.
public struct ACMERenewalSchedule: Sendable, Equatable {
    public var fraction: Double = Defaults.ACME.renewalFraction
    public var jitter: Double = Defaults.ACME.renewalJitter
    public var retryInitial: Duration
    public var retryMax: Duration

    public init(retryInitial: Duration, retryMax: Duration) {
        self.retryInitial = retryInitial
        self.retryMax = retryMax
    }

    /// `notBefore + fraction × lifetime − random × jitter × lifetime`, never before `notBefore`.
    ///
    /// - Parameter random: In `0..<1`; one draw per certificate, so the time stays put.
    public func renewalTime(notBefore: Int64, notAfter: Int64, random: Double) -> Int64 {
        let lifetime = Double(max(0, notAfter - notBefore))
        let offset = lifetime * self.fraction - lifetime * self.jitter * min(max(random, 0), 1)
        return notBefore + Int64(offset.rounded(.down))
    }

    /// The wait after the `failures`-th failure in a row (1 for the first): `retry_initial`
    /// doubled per further failure, at most `retry_max`.
    public func backoff(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = self.retryInitial
        for _ in 1..<min(failures, 40) {
            delay *= 2
            if delay >= self.retryMax { return self.retryMax }
        }
        return min(delay, self.retryMax)
    }
}
