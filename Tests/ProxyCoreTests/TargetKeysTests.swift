import Logging
import NIOEmbedded
import Testing

@testable import ProxyCore

/// Per-request tables index arrays by a target's key (``TargetKeys``) instead of hashing its id.
struct TargetKeysTests {
    @Test func equalIdsShareAKeyAndOthersDoNot() {
        let a = Target(host: "10.7.0.1", port: 8080, weight: 3, name: "first")
        let sameAddress = Target(host: "10.7.0.1", port: 8080)
        let otherPort = Target(host: "10.7.0.1", port: 8081)
        let ipv6 = Target(host: "::1", port: 8080)
        #expect(a.key == sameAddress.key)
        #expect(a.key != otherPort.key)
        #expect(ipv6.id == "[::1]:8080" && ipv6.key != a.key)
        #expect(TargetKeys.key(for: "10.7.0.1:8080") == a.key)
    }

    @Test func inFlightCountsAreKeptByTargetAndReportedById() {
        let loop = EmbeddedEventLoop()
        let one = Target(host: "10.7.1.1", port: 80)
        let two = Target(host: "10.7.1.2", port: 80)
        let group = TargetGroup(name: "g", targets: [one, two])
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: nil, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let state = monitor.makeLoopState(on: loop)
        state.begin(one)
        state.begin(one)
        state.begin(two)
        state.end(one, success: nil)
        #expect(state.inFlight(to: one) == 1)
        #expect(state.inFlightCounts == ["10.7.1.1:80": 1, "10.7.1.2:80": 1])
        state.end(one, success: nil)
        state.end(two, success: nil)
        state.end(two, success: nil)  // one end too many stays at zero
        #expect(state.inFlightCounts.isEmpty)
        #expect(state.inFlight(to: Target(host: "10.7.1.3", port: 80)) == 0)  // never counted
    }
}
