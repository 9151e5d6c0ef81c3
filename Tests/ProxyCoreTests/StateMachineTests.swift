import NIOHTTP1
import Testing

@testable import ProxyCore

struct StateMachineTests {
    @Test func timeoutMachineDistinguishesSlowHeadFromIdle() {
        var machine = ConnectionTimeoutStateMachine()
        #expect(machine.connectionStarted() == .startTimer(.header))
        #expect(machine.headReceived(hasBody: false) == .cancelTimer)
        #expect(machine.timerFired(.header) == .none)  // stale timer
        #expect(machine.responseCompleted() == .startTimer(.idle))
        #expect(machine.bytesReceived() == .startTimer(.header))
        #expect(machine.bytesReceived() == .none)
        #expect(machine.timerFired(.idle) == .none)
        #expect(machine.timerFired(.header) == .headTimedOut)
    }

    @Test func forwardingMachineNeverReplaysAPost() {
        var machine = ForwardingStateMachine()
        let post = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
        guard case .lease = machine.requestHead(UpstreamRequestHead(post)) else { Issue.record("expected lease"); return }
        _ = machine.requestEnd()
        _ = machine.leased(reused: true)
        guard case .respondWithError(let error) = machine.upstreamClosed(.closedBeforeResponse) else {
            Issue.record("a POST must not be retried")
            return
        }
        #expect(error.httpStatus == .badGateway)
    }

    @Test func forwardingMachineRetriesAnIdempotentRequestOnceOnAStaleConnection() {
        var machine = ForwardingStateMachine()
        _ = machine.requestHead(UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
        _ = machine.requestEnd()
        _ = machine.leased(reused: true)
        guard case .retryOnNewConnection = machine.upstreamClosed(.closedBeforeResponse) else {
            Issue.record("expected a retry")
            return
        }
        _ = machine.leased(reused: false)
        guard case .respondWithError = machine.upstreamClosed(.closedBeforeResponse) else {
            Issue.record("only one retry, and only on a reused connection")
            return
        }
    }

    @Test func forwardingMachineSendsAPostCutByAGoAwayAgainOnAnotherConnectionOnce() {
        var machine = ForwardingStateMachine()
        let post = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
        _ = machine.requestHead(UpstreamRequestHead(post), policy: .init(maxTries: 2, resendable: false, retryOnTimeout: false))
        _ = machine.requestEnd()
        _ = machine.leased(reused: true)
        // Above the GOAWAY's last stream id: not processed, so sent again whatever the method.
        guard case .retryOnNewConnection = machine.upstreamRefused(.closedBeforeResponse, connectionGoingAway: true) else {
            Issue.record("expected a retry on another connection")
            return
        }
        _ = machine.leased(reused: false)
        // A second GOAWAY: another target (the route allows two tries).
        guard case .tryAnotherTarget = machine.upstreamRefused(.closedBeforeResponse, connectionGoingAway: true) else {
            Issue.record("expected another target")
            return
        }
        _ = machine.retry(allowed: true, cause: .closedBeforeResponse)
        _ = machine.leased(reused: false)
        guard case .respondWithError = machine.upstreamRefused(.closedBeforeResponse, connectionGoingAway: true) else {
            Issue.record("max_tries spent")
            return
        }
    }

    @Test func forwardingMachineSendsARefusedStreamToAnotherTargetNotTheSameOne() {
        var machine = ForwardingStateMachine()
        let post = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
        _ = machine.requestHead(UpstreamRequestHead(post), policy: .init(maxTries: 2, resendable: false, retryOnTimeout: false))
        _ = machine.requestEnd()
        _ = machine.leased(reused: false)
        guard case .tryAnotherTarget = machine.upstreamRefused(.closedBeforeResponse, connectionGoingAway: false) else {
            Issue.record("expected another target")
            return
        }
    }

    @Test func guardMachineHoldsPipelinedRequests() {
        var machine = RequestGuardStateMachine(maxBodyBytes: 10)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([("Host", "a")]))
        #expect(machine.requestHead(head) == .forward)
        #expect(machine.requestEnd() == .forward)
        #expect(machine.isHoldingReads)
        #expect(machine.requestHead(head) == .buffer)
        #expect(machine.responseHead(HTTPResponseHead(version: .http1_1, status: .ok)) == .write(connectionHeader: nil))
        #expect(machine.responseEnd() == .nextRequest)
        #expect(!machine.isHoldingReads)
    }

    @Test func guardMachineClosesAfterEarlyResponse() {
        var machine = RequestGuardStateMachine(maxBodyBytes: nil)
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([("Host", "a"), ("Content-Length", "5")]))
        #expect(machine.requestHead(head) == .forward)
        #expect(machine.responseHead(HTTPResponseHead(version: .http1_1, status: .forbidden)) == .write(connectionHeader: "close"))
        #expect(machine.responseEnd() == .closeAfterWrite)
    }
}
