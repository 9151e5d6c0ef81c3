import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

struct TimeoutAndTunnelStateMachineTests {
    @Test func theBodyTimerRunsFromTheHeadToTheRequestsEnd() {
        var machine = ConnectionTimeoutStateMachine()
        #expect(machine.connectionStarted() == .startTimer(.header))
        #expect(machine.headReceived(hasBody: true) == .startTimer(.body))
        #expect(machine.timerFired(.header) == .none)  // stale
        #expect(machine.bodyReceived() == .startTimer(.body))
        #expect(machine.requestEnded() == .cancelTimer)
        #expect(machine.timerFired(.body) == .none)  // stale: the body is in
        #expect(machine.responseCompleted() == .startTimer(.idle))
        #expect(machine.bytesReceived() == .startTimer(.header))
        #expect(machine.headReceived(hasBody: true) == .startTimer(.body))
        #expect(machine.timerFired(.body) == .bodyTimedOut)
    }

    @Test func aTunnelHasItsOwnIdleTimer() {
        var machine = ConnectionTimeoutStateMachine()
        _ = machine.connectionStarted()
        _ = machine.headReceived(hasBody: false)
        #expect(machine.tunnelStarted() == .startTimer(.tunnelIdle))
        #expect(machine.bytesReceived() == .startTimer(.tunnelIdle))
        #expect(machine.tunnelBytesSent() == .startTimer(.tunnelIdle))
        #expect(machine.timerFired(.idle) == .none)
        #expect(machine.timerFired(.tunnelIdle) == .closeIdle)
        #expect(machine.phase == .closed)
    }

    @Test func forwardingMachineTunnelsOnlyAnUpgradeRequest() {
        var plain = ForwardingStateMachine()
        _ = plain.requestHead(UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
        _ = plain.requestEnd()
        _ = plain.leased(reused: false)
        guard case .none = plain.responseHead(UpstreamResponseHead(status: .switchingProtocols, rawFields: ByteBuffer())) else {
            Issue.record("a 101 to a plain request is not a tunnel")
            return
        }
        #expect(!plain.isTunnel)

        var upgrade = ForwardingStateMachine()
        var head = UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))
        head.upgrade = true
        _ = upgrade.requestHead(head)
        _ = upgrade.requestEnd()
        _ = upgrade.leased(reused: false)
        guard case .startTunnel = upgrade.responseHead(UpstreamResponseHead(status: .switchingProtocols, rawFields: ByteBuffer())) else {
            Issue.record("expected a tunnel")
            return
        }
        #expect(upgrade.isTunnel)
        _ = upgrade.tunnelEnded()
        #expect(!upgrade.isTunnel)
    }

    @Test func aRetryIsLeasedWhenAllowedAndAnsweredWhenNot() {
        let target = Target(host: "10.0.0.1", port: 80)
        for allowed in [true, false] {
            var machine = ForwardingStateMachine()
            let policy = ForwardingStateMachine.RetryPolicy(maxTries: 2, resendable: true, retryOnTimeout: false)
            _ = machine.requestHead(UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")), policy: policy)
            _ = machine.requestEnd()
            guard case .tryAnotherTarget(let cause) = machine.leaseFailed(.connectTimedOut(target)) else {
                Issue.record("expected a retry question")
                return
            }
            switch machine.retry(allowed: allowed, cause: cause) {
            case .lease:
                #expect(allowed)
                #expect(machine.tries == 2)
            case .respondWithError(let error):
                #expect(!allowed)
                #expect(error.httpStatus == .gatewayTimeout)
            default:
                Issue.record("unexpected action")
            }
        }
    }
}
