import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// `Upgrade` requests and the tunnels a `101` makes, byte for byte at the channel edges.
struct TunnelTests {
    static let upgrade =
        "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    static let switching =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: backend/1\r\n\r\n"

    final class Recorder: ProxyObserver {
        var records: [RequestRecord] = []
        var opened = 0
        var closed = 0
        func requestCompleted(_ record: consuming RequestRecord) { self.records.append(record) }
        func tunnelOpened(route: String?, target: String) { self.opened += 1 }
        func tunnelClosed(route: String?, target: String) { self.closed += 1 }
    }

    @Test func anAllowedUpgradeIsForwardedAndA101MakesATunnelBothWays() throws {
        let harness = try ProxyHarness()
        let recorder = Recorder()
        harness.proxyLoop.observer = recorder
        try harness.send(Self.upgrade)
        let sent = try harness.upstreamReceived()
        #expect(sent.hasPrefix("GET /chat HTTP/1.1\r\n"))
        #expect(sent.contains("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"))
        #expect(sent.contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"))
        #expect(!sent.contains("Connection: Upgrade"))  // the client's own line is not copied

        try harness.respond(Self.switching + "server-first")
        let answer = try harness.clientReceived()
        #expect(answer.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        #expect(answer.contains("Connection: upgrade\r\nUpgrade: websocket\r\n"))
        #expect(answer.contains("Server: portcullis\r\n") && !answer.contains("backend/1"))
        #expect(!answer.lowercased().contains("content-length") && !answer.lowercased().contains("transfer-encoding"))
        #expect(answer.hasSuffix("\r\n\r\nserver-first"))
        #expect(recorder.opened == 1)
        #expect(harness.proxyLoop.openTunnels == 1)

        // Anything the client sends now is tunnel bytes, HTTP-looking or not.
        try harness.send("\u{81}\u{85}GET / HTTP/1.1\r\n")
        #expect(try harness.upstreamReceived() == "\u{81}\u{85}GET / HTTP/1.1\r\n")
        try harness.respond("\u{81}\u{02}hi")
        #expect(try harness.clientReceived() == "\u{81}\u{02}hi")
        // In flight on its target while open.
        let state = try #require(harness.proxyLoop.targetGroups["web"])
        #expect(state.inFlightCounts["10.1.2.3:8080"] == 1)

        // The target closes: the client connection closes, one record with the bytes each way.
        try harness.upstream?.close().wait()
        harness.loop.run()
        #expect(!harness.client.isActive)
        #expect(recorder.closed == 1 && harness.proxyLoop.openTunnels == 0)
        #expect(state.inFlightCounts["10.1.2.3:8080"] ?? 0 == 0)
        let record = try #require(recorder.records.first)
        #expect(recorder.records.count == 1)
        #expect(record.status == 101)
        #expect(record.requestBytes == "\u{81}\u{85}GET / HTTP/1.1\r\n".utf8.count)
        #expect(record.responseBytes == "server-first".utf8.count + "\u{81}\u{02}hi".utf8.count)
    }

    @Test func bytesAfterTheUpgradeHeadWaitForThe101() throws {
        let harness = try ProxyHarness()
        try harness.send(Self.upgrade + "early")
        #expect(!(try harness.upstreamReceived().contains("early")))
        try harness.respond(Self.switching)
        _ = try harness.clientReceived()
        #expect(try harness.upstreamReceived() == "early")
    }

    @Test func theClientClosingEndsTheTunnelAndTheTargetConnection() throws {
        let harness = try ProxyHarness()
        try harness.send(Self.upgrade)
        _ = try harness.upstreamReceived()
        try harness.respond(Self.switching)
        _ = try harness.clientReceived()
        try harness.client.close().wait()
        harness.loop.run()
        #expect(harness.upstream?.isActive == false)
        #expect(harness.pool.idleTotal == 0)
    }

    @Test func aTargetThatRefusesTheUpgradeIsAnsweredAndTheConnectionStaysHTTP() throws {
        let harness = try ProxyHarness()
        try harness.send(Self.upgrade)
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")
        let answer = try harness.clientReceived()
        #expect(answer.hasPrefix("HTTP/1.1 403 Forbidden\r\n") && answer.hasSuffix("\r\n\r\nno"))
        #expect(harness.client.isActive)
        try harness.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET /next HTTP/1.1\r\n"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try harness.clientReceived().hasSuffix("ok"))
    }

    @Test func aRouteWithoutUpgradesForwardsNoUpgradeAndA101IsAnError() throws {
        let harness = try ProxyHarness(upgrades: [])
        try harness.send(Self.upgrade)
        let sent = try harness.upstreamReceived()
        #expect(!sent.lowercased().contains("upgrade"))
        try harness.respond(Self.switching)
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 502 "))
    }

    @Test func h2cIsNeverForwarded() throws {
        let harness = try ProxyHarness(upgrades: ["websocket", "h2c"])
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
        let sent = try harness.upstreamReceived()
        #expect(!sent.lowercased().contains("upgrade") && !sent.lowercased().contains("http2-settings"))
    }

    @Test func aQuietTunnelIsClosedAfterItsIdleTimeout() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, tunnelIdleTimeout: .seconds(30)))
        let recorder = Recorder()
        harness.proxyLoop.observer = recorder
        try harness.send(Self.upgrade)
        _ = try harness.upstreamReceived()
        try harness.respond(Self.switching)
        _ = try harness.clientReceived()
        harness.loop.advanceTime(by: .seconds(20))
        try harness.send("x")  // traffic pushes the deadline
        harness.loop.advanceTime(by: .seconds(20))
        try harness.respond("y")
        harness.loop.advanceTime(by: .seconds(20))
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .seconds(11))
        #expect(!harness.client.isActive)
        #expect(harness.upstream?.isActive == false)
        #expect(recorder.records.first?.error == "tunnel idle timeout")
    }

    @Test func aDrainPastItsWaitClosesTheTunnelsToItsTarget() throws {
        let harness = try ProxyHarness()
        try harness.send(Self.upgrade)
        _ = try harness.upstreamReceived()
        try harness.respond(Self.switching)
        _ = try harness.clientReceived()
        #expect(harness.proxyLoop.closeTunnels(to: "10.9.9.9:80") == 0)
        #expect(harness.client.isActive)
        #expect(harness.proxyLoop.closeTunnels(to: "10.1.2.3:8080") == 1)
        harness.loop.run()
        #expect(!harness.client.isActive)
        #expect(harness.upstream?.isActive == false)
    }

    @Test func aReloadKeepsATunnelOnAnUnchangedRouteAndClosesOneOnAChangedRoute() throws {
        for unchanged in [true, false] {
            let harness = try ProxyHarness()
            try harness.send(Self.upgrade)
            _ = try harness.upstreamReceived()
            try harness.respond(Self.switching)
            _ = try harness.clientReceived()
            let group = harness.monitor.group
            let settings = ListenerSettings(name: "test", scheme: "https", router: Router(routes: [Route(name: "default", targetGroup: group)]))
            harness.client.pipeline.fireUserInboundEventTriggered(
                ListenerReloadedEvent(settings: settings, unchangedRoutes: unchanged ? ["default"] : [])
            )
            harness.loop.run()
            #expect(harness.client.isActive == unchanged)
            if unchanged {
                try harness.send("still")
                #expect(try harness.upstreamReceived() == "still")
            }
        }
    }

    @Test func aShutdownLeavesATunnelToTheEndOfTheGracePeriod() throws {
        let harness = try ProxyHarness()
        try harness.send(Self.upgrade)
        _ = try harness.upstreamReceived()
        try harness.respond(Self.switching)
        _ = try harness.clientReceived()
        harness.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        harness.loop.run()
        #expect(harness.client.isActive)
    }
}

/// The body and send timeouts.
struct BodyAndSendTimeoutTests {
    @Test func aTrickledBodyIsAnswered408AndTheUpstreamRequestAbandoned() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, bodyTimeout: .seconds(10)))
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab")
        _ = try harness.upstreamReceived()
        harness.loop.advanceTime(by: .seconds(8))
        try harness.send("cd")  // each piece restarts the wait
        harness.loop.advanceTime(by: .seconds(8))
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .seconds(3))
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 408 "))
        #expect(!harness.client.isActive)
        #expect(harness.upstream?.isActive == false)  // never completed, never pooled
        #expect(harness.pool.idleTotal == 0)
    }

    @Test func aBodyThatStallsAfterTheResponseStartedClosesTheConnection() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, bodyTimeout: .seconds(10)))
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel")
        #expect(try harness.clientReceived().hasSuffix("hel"))
        harness.loop.advanceTime(by: .seconds(11))
        #expect(!harness.client.isActive)
        #expect(harness.upstream?.isActive == false)
    }

    @Test func aBodyThatKeepsComingIsNotTimedOut() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, bodyTimeout: .seconds(10)))
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
        harness.loop.advanceTime(by: .seconds(9))
        try harness.send("cd")
        _ = try harness.upstreamReceived()
        harness.loop.advanceTime(by: .seconds(30))  // the response timeout (5 s) answers, not the body timeout
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 504 "))
    }

    @Test func aClientThatStopsReadingIsClosedAndItsTargetConnectionNotReused() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, sendTimeout: .seconds(15)))
        try harness.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 1000))
        _ = try harness.clientReceived()
        harness.client.isWritable = false
        harness.client.pipeline.fireChannelWritabilityChanged()
        harness.loop.advanceTime(by: .seconds(14))
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .seconds(2))
        #expect(!harness.client.isActive)
        #expect(harness.upstream?.isActive == false)
        #expect(harness.pool.idleTotal == 0)
    }

    @Test func aClientThatReadsAgainInTimeIsKept() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, sendTimeout: .seconds(15)))
        try harness.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
        harness.client.isWritable = false
        harness.client.pipeline.fireChannelWritabilityChanged()
        harness.loop.advanceTime(by: .seconds(10))
        harness.client.isWritable = true
        harness.client.pipeline.fireChannelWritabilityChanged()
        harness.loop.advanceTime(by: .seconds(10))
        try harness.respond("cd")
        #expect(try harness.clientReceived().hasSuffix("abcd"))
        #expect(harness.client.isActive)
    }
}

extension TunnelTests {
    /// The client half-closes: what it sent reaches the target first (the half-close itself is
    /// passed on over real sockets: `WebSocketIntegrationTests.aHalfCloseIsPassedOnThroughTheTunnel`;
    /// an embedded channel has no half-close).
    @Test func aClientHalfCloseSendsWhatCameBeforeIt() throws {
        let harness = try ProxyHarness()
        try harness.send(Self.upgrade)
        _ = try harness.upstreamReceived()
        try harness.respond(Self.switching)
        _ = try harness.clientReceived()
        try harness.send("last words")
        harness.client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        harness.loop.run()
        #expect(try harness.upstreamReceived() == "last words")
    }
}

extension BodyAndSendTimeoutTests {
    /// While the target does not take the body, the client is not read: that wait is ours, and
    /// the body timeout does not count it.
    @Test func theBodyTimeoutWaitsWhileTheTargetHoldsTheClientBack() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 4096, bodyTimeout: .seconds(10)))
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab")
        _ = try harness.upstreamReceived()
        let upstream = try #require(harness.upstream)
        upstream.isWritable = false
        upstream.pipeline.fireChannelWritabilityChanged()
        harness.client.read()  // held back: the target is not writable
        harness.loop.advanceTime(by: .seconds(30))
        #expect(harness.client.isActive)
        upstream.isWritable = true
        upstream.pipeline.fireChannelWritabilityChanged()
        harness.loop.run()
        harness.loop.advanceTime(by: .seconds(9))
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .seconds(2))
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 408 "))
    }
}

/// A target that sends more than it framed must not leave bytes for the next request.
struct UpstreamDesyncTests {
    @Test func bytesAfterAResponseInTheSameReadCloseTheTargetConnection() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
        #expect(try harness.clientReceived().hasSuffix("\r\n\r\nhi"))
        #expect(harness.connector.channels.first?.isActive == false)
        #expect(harness.pool.idleTotal == 0)
        try harness.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(harness.connector.channels.count == 2)  // a new connection, not the poisoned one
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood")
        let second = try harness.clientReceived()
        #expect(second.hasSuffix("good") && !second.contains("evil"))
    }

    @Test func aBodyOnAHEADAnswerClosesTheTargetConnection() throws {
        let harness = try ProxyHarness()
        try harness.send("HEAD /a HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
        let answer = try harness.clientReceived()
        #expect(answer.contains("Content-Length: 4\r\n") && answer.hasSuffix("\r\n\r\n") && !answer.contains("evil"))
        #expect(harness.pool.idleTotal == 0)
    }
}
