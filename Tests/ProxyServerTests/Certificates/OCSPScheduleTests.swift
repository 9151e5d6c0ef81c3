@testable import ProxyServer
import Testing

/// When OCSP responses are fetched again, how long one is stapled, and how failures back off.
struct OCSPScheduleTests {
    let schedule = OCSPSchedule(maximumRefresh: 86_400, retryInitial: 2, retryMaximum: 600)

    @Test func aResponseIsRefreshedHalfwayThroughItsValidity() {
        let response = OCSPTimes(thisUpdate: 1000, nextUpdate: 1000 + 7200)
        #expect(self.schedule.refreshTime(of: response) == 4600)
        #expect(self.schedule.next(held: response, failures: 0, lastFailure: nil, now: 2000) == .wait(until: 4600))
        #expect(self.schedule.next(held: response, failures: 0, lastFailure: nil, now: 4600) == .fetch)
        // A week-long response is still refreshed within a day.
        let long = OCSPTimes(thisUpdate: 0, nextUpdate: 7 * 86_400)
        #expect(self.schedule.refreshTime(of: long) == 86_400)
    }

    @Test func nothingHeldIsFetchedAtOnceAndAResponseWithoutNextUpdateLastsTheMaximum() {
        #expect(self.schedule.next(held: nil, failures: 0, lastFailure: nil, now: 5) == .fetch)
        let open = OCSPTimes(thisUpdate: 0, nextUpdate: nil)
        #expect(self.schedule.expiry(of: open) == 86_400)
        #expect(self.schedule.refreshTime(of: open) == 43_200)
    }

    @Test func failuresBackOffAndTheHeldResponseStaysStapleableUntilItExpires() {
        let response = OCSPTimes(thisUpdate: 0, nextUpdate: 3600)
        #expect(self.schedule.retryDelay(afterFailures: 1) == 2)
        #expect(self.schedule.retryDelay(afterFailures: 2) == 4)
        #expect(self.schedule.retryDelay(afterFailures: 5) == 32)
        #expect(self.schedule.retryDelay(afterFailures: 40) == 600)
        // Failed at 1800 (the refresh time), twice: the next try is 4 s later.
        #expect(self.schedule.next(held: response, failures: 2, lastFailure: 1800, now: 1801) == .wait(until: 1804))
        #expect(self.schedule.next(held: response, failures: 2, lastFailure: 1800, now: 1804) == .fetch)
        #expect(self.schedule.isStapleable(response, now: 3599))
        #expect(!self.schedule.isStapleable(response, now: 3600))
    }
}
