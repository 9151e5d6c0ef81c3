import ProxyDefaults

/// When to renew and how long to back off: pure arithmetic, in seconds since 1970.
struct ACMERenewalSchedule: Sendable, Equatable {
    var fraction: Double = Defaults.ACME.renewalFraction
    var jitter: Double = Defaults.ACME.renewalJitter
    var retryInitial: Duration
    var retryMax: Duration

    /// `notBefore + fraction × lifetime − random × jitter × lifetime`, never before `notBefore`.
    ///
    /// - Parameter random: In `0..<1`; one draw per certificate, so the time stays put.
    func renewalTime(notBefore: Int64, notAfter: Int64, random: Double) -> Int64 {
        let lifetime = Double(max(0, notAfter - notBefore))
        let offset = lifetime * self.fraction - lifetime * self.jitter * min(max(random, 0), 1)
        return notBefore + Int64(offset.rounded(.down))
    }

    /// The wait after the `failures`-th failure in a row (1 for the first): `retry_initial`
    /// doubled per further failure, at most `retry_max`.
    func backoff(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = self.retryInitial
        for _ in 1..<min(failures, 40) {
            delay *= 2
            if delay >= self.retryMax { return self.retryMax }
        }
        return min(delay, self.retryMax)
    }
}
