import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The forwarding session's parts on their own: the target lease and the request record.
struct SessionPartsTests {
    private static func group(_ targets: [Target], loop: EmbeddedEventLoop, stickiness: StickinessSettings? = nil) -> TargetGroupLoopState {
        let group = TargetGroup(name: "web", targets: targets, retries: RetrySettings(maxTries: 3), stickiness: stickiness)
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: nil, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        return monitor.makeLoopState(on: loop)
    }

    @Test func aLeaseNeverPicksATriedTargetAndCountsTheRequestOnce() {
        let loop = EmbeddedEventLoop()
        let targets = [Target(host: "10.0.0.1", port: 80), Target(host: "10.0.0.2", port: 80)]
        let state = Self.group(targets, loop: loop)
        var lease = TargetLease()
        lease.begin(group: state, key: RequestKey(clientAddress: "198.51.100.1"), stickyTarget: nil)
        guard case .target(let first) = lease.pick() else { Issue.record("no pick"); return }
        #expect(state.inFlight(to: first) == 1)
        #expect(lease.retryAllowed())
        guard case .target(let second) = lease.pick() else { Issue.record("no second pick"); return }
        #expect(second != first)
        #expect(state.inFlight(to: first) == 0 && state.inFlight(to: second) == 1)  // one request, counted once, where it is
        #expect(!lease.retryAllowed())  // both tried
        guard case .none(let why) = lease.pick() else { Issue.record("a third pick"); return }
        #expect(why.contains("no available target"))
        lease.finish(success: true)
        lease.finish(success: true)  // once
        #expect(state.inFlightCounts.values.reduce(0, +) == 0)
    }

    @Test func aServingStickyTargetComesFirstAndThenNeedsNoCookie() {
        let loop = EmbeddedEventLoop()
        let targets = [Target(host: "10.0.0.1", port: 80), Target(host: "10.0.0.2", port: 80)]
        let state = Self.group(targets, loop: loop, stickiness: StickinessSettings())
        var lease = TargetLease()
        lease.begin(group: state, key: RequestKey(clientAddress: "198.51.100.1"), stickyTarget: targets[1].name)
        guard case .target(let picked) = lease.pick() else { Issue.record("no pick"); return }
        #expect(picked == targets[1])
        #expect(!lease.setsStickyCookie)
        lease.finish(success: true)
        lease.begin(group: state, key: RequestKey(clientAddress: "198.51.100.1"), stickyTarget: nil)
        _ = lease.pick()
        #expect(lease.setsStickyCookie)
        lease.finish(success: nil)
    }

    final class Recorder: ProxyObserver {
        var records: [RequestRecord] = []
        var wantsRequestDetails = true
        func requestCompleted(_ record: consuming RequestRecord) { self.records.append(record) }
    }

    @Test func aRecordIsMadeOnceWithTheRequestsFacts() {
        var builder = RequestRecordBuilder()
        let observer = Recorder()
        let facts = RequestFacts(framing: .none, hostCount: 1, expectsContinue: false, unsupportedExpect: nil, keepAlive: true)
        builder.begin(ClientRequestHead(method: .GET, target: "/x?y=1", version: .http1_1, fields: ["Host": "a", "User-Agent": "t/1"], facts: facts))
        builder.route = "r"
        builder.targetGroup = "web"
        builder.status = 200
        builder.responseBytes = 5
        builder.clientAddress = "198.51.100.1"
        builder.upstreamStarted()
        builder.finish(listener: "l", target: "10.0.0.1:80", tlsVersion: "TLSv1.3", error: nil, to: observer)
        builder.finish(listener: "l", target: nil, tlsVersion: nil, error: nil, to: observer)  // once
        #expect(observer.records.count == 1)
        let record = observer.records[0]
        #expect(record.uri == "/x?y=1" && record.userAgent == "t/1" && record.status == 200 && record.responseBytes == 5)
        #expect(record.route == "r" && record.targetGroup == "web" && record.target == "10.0.0.1:80" && record.clientAddress == "198.51.100.1")
        #expect(record.upstreamNanoseconds != nil)

        observer.wantsRequestDetails = false
        builder.begin(ClientRequestHead(method: .POST, target: "/p", version: .http1_1, fields: ["Host": "a"], facts: facts))
        builder.finish(listener: "l", target: nil, tlsVersion: nil, error: "x", to: observer)
        let bare = observer.records[1]
        #expect(bare.uri == "/" && bare.error == nil && bare.status == 0)  // counted only: no details, a fresh start

        let refused = builder.refused(RequestRejection(.requestTimeout, "slow"), version: .http1_1, listener: "l", peerAddress: "203.0.113.9", tlsVersion: nil)
        #expect(refused?.status == 408 && refused?.clientAddress == "203.0.113.9" && refused?.error == "slow")
        #expect(builder.refused(RequestRejection(.badRequest, "again"), version: .http1_1, listener: "l", peerAddress: nil, tlsVersion: nil) == nil)
        // Each HTTP/2 stream is a request of its own: every refusal is recorded.
        let h2 = HTTPVersion(major: 2, minor: 0)
        #expect(builder.refused(RequestRejection(.badRequest, "one"), version: h2, listener: "l", peerAddress: nil, tlsVersion: nil)?.version == h2)
        #expect(builder.refused(RequestRejection(.badRequest, "two"), version: h2, listener: "l", peerAddress: nil, tlsVersion: nil) != nil)
    }
}
