import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Each malformed request gets its status, the connection closes, and no target is contacted.
struct RequestGuardTests {
    static let badRequests: [(name: String, raw: String, status: String)] = [
        ("content-length with transfer-encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"),
        ("differing duplicate content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "400"),
        ("invalid content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc", "400"),
        ("negative content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", "400"),
        ("transfer-encoding not ending in chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "400"),
        ("unknown transfer-encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "400"),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", "400"),
        ("control character in value", "GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\u{01}b\r\n\r\n", "400"),
        ("control character in name", "GET / HTTP/1.1\r\nHost: a\r\nX-B\u{01}ad: ab\r\n\r\n", "400"),
        ("space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-Bad : ab\r\n\r\n", "400"),
        ("missing host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "400"),
        ("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"),
        ("http/0.9", "GET /\r\n\r\n", "400"),
        ("garbage", "\u{16}\u{03}\u{01}\u{02}\u{00}\r\n\r\n", "400"),
        ("unsupported expectation", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: magic\r\n\r\n", "417"),
        ("oversized head", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "b", count: 2000))\r\n\r\n", "431"),
        ("trace with a body", "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "400"),
        ("oversized declared body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", "413"),
    ]

    @Test(arguments: Self.badRequests.map(\.name))
    func refusesAndForwardsNothing(name: String) throws {
        let case_ = try #require(Self.badRequests.first { $0.name == name })
        let harness = try ProxyHarness()
        try harness.send(case_.raw)
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 \(case_.status) "), "\(name): got \(response.prefix(40))")
        #expect(response.lowercased().contains("connection: close"))
        #expect(!harness.client.isActive)
        #expect(harness.connector.attempts == 0, "\(name) reached a target")
    }

    @Test func oversizedChunkedBodyIsAbortedUpstreamAndAnswered413() throws {
        let harness = try ProxyHarness()  // body limit 4096
        try harness.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = String(repeating: "x", count: 3000)
        try harness.send("bb8\r\n\(chunk)\r\n")
        _ = try harness.upstreamReceived()
        try harness.send("bb8\r\n\(chunk)\r\n")
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 413 "))
        // The target never saw a complete request: its connection was closed without the last chunk.
        #expect(harness.upstream?.isActive == false)
        #expect(!harness.client.isActive)
    }

    @Test func headerTimeoutAnswers408() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 10, headerTimeout: .seconds(10), idleTimeout: .seconds(60)))
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n")  // never finished
        harness.loop.advanceTime(by: .seconds(9))
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .seconds(2))
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(!harness.client.isActive)
        #expect(harness.connector.attempts == 0)
    }

    @Test func idleKeepAliveConnectionIsClosedQuietly() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 10, headerTimeout: .seconds(10), idleTimeout: .seconds(30)))
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        _ = try harness.clientReceived()
        harness.loop.advanceTime(by: .seconds(20))  // past the header timeout: idle, not slow
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .seconds(11))
        #expect(try harness.clientReceived() == "")
        #expect(!harness.client.isActive)
    }

    /// The loop's timer heap keeps no entry of a closed connection: the timers of its handlers
    /// leave the heap at once (lazily disarmed ones would otherwise wait for their old deadline).
    @Test func aClosedConnectionLeavesNoTimerInTheLoopHeap() throws {
        let harness = try ProxyHarness(limits: RequestLimits(headerBytes: 1024, bodyBytes: 10, headerTimeout: .seconds(10), idleTimeout: .seconds(30)))
        for _ in 0..<3 {
            try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try harness.upstreamReceived()
            try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            _ = try harness.clientReceived()
        }
        #expect(harness.proxyLoop.timers.count > 0)  // idle timeout armed; the response timer lingers, disarmed
        _ = try harness.client.finish()
        #expect(harness.proxyLoop.timers.count == 0)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET /1 "))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1")
        #expect(try harness.clientReceived().hasSuffix("\r\n\r\n1"))
        #expect(try harness.upstreamReceived().hasPrefix("GET /2 "))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2")
        #expect(try harness.clientReceived().hasSuffix("\r\n\r\n2"))
    }

    @Test func quiesceClosesIdleConnectionAndFinishesBusyOne() throws {
        let idle = try ProxyHarness()
        idle.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        idle.loop.run()
        #expect(!idle.client.isActive)

        let busy = try ProxyHarness()
        try busy.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        busy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        busy.loop.run()
        #expect(busy.client.isActive)
        _ = try busy.upstreamReceived()
        try busy.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let response = try busy.clientReceived()
        #expect(response.lowercased().contains("connection: close"))
        #expect(response.hasSuffix("ok"))
        #expect(!busy.client.isActive)
    }
}
