/// When an OCSP response is fetched again, until when one may be stapled, and how failed
/// fetches back off: pure functions of times in seconds since 1970, so they are tested without
/// a clock.
struct OCSPSchedule {
    /// The longest a response is kept before it is fetched again, and the validity given to a
    /// response without `nextUpdate`.
    var maximumRefresh: Double
    var retryInitial: Double
    var retryMaximum: Double

    /// The end of a response's usefulness: its `nextUpdate`, or `thisUpdate` plus
    /// ``maximumRefresh`` when it has none.
    func expiry(of response: OCSPTimes) -> Double {
        response.nextUpdate ?? (response.thisUpdate + self.maximumRefresh)
    }

    /// Whether a response may be stapled at `now`.
    func isStapleable(_ response: OCSPTimes, now: Double) -> Bool {
        now < self.expiry(of: response)
    }

    /// When to fetch a response again: halfway through its validity (`thisUpdate...nextUpdate`),
    /// and no later than ``maximumRefresh`` after `thisUpdate`.
    func refreshTime(of response: OCSPTimes) -> Double {
        let halfway = response.thisUpdate + (self.expiry(of: response) - response.thisUpdate) / 2
        return min(halfway, response.thisUpdate + self.maximumRefresh)
    }

    /// The wait after `failures` failed fetches in a row (1, 2, …): ``retryInitial`` doubled
    /// each time, at most ``retryMaximum``.
    func retryDelay(afterFailures failures: Int) -> Double {
        let doubled = self.retryInitial * Double(1 << min(max(failures - 1, 0), 30))
        return min(doubled, self.retryMaximum)
    }

    /// What to do next.
    enum Step: Equatable {
        /// Fetch now.
        case fetch
        /// Nothing to do until then (seconds since 1970).
        case wait(until: Double)
    }

    /// The next step for a certificate holding `held` (`nil`: none) after `failures` failed
    /// fetches in a row, the last one at `lastFailure`.
    func next(held: OCSPTimes?, failures: Int, lastFailure: Double?, now: Double) -> Step {
        if failures > 0, let lastFailure {
            let retry = lastFailure + self.retryDelay(afterFailures: failures)
            // Failures are retried on the back-off schedule (the held response, if any, stays
            // stapled meanwhile while it is stapleable).
            return retry <= now ? .fetch : .wait(until: retry)
        }
        guard let held else { return .fetch }
        let refresh = self.refreshTime(of: held)
        return refresh <= now ? .fetch : .wait(until: refresh)
    }
}

/// The times of an OCSP response, in seconds since 1970.
struct OCSPTimes: Equatable {
    var thisUpdate: Double
    var nextUpdate: Double?
}
