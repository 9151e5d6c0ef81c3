import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

struct ForwardingTests {
    @Test func forwardsRequestWithForwardedHeadersAndStripsBackendIdentity() throws {
        let harness = try ProxyHarness()
        try harness.send(
            "GET /orders?id=1 HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: x\r\n\r\n"
        )
        let request = try harness.upstreamReceived()
        #expect(request.hasPrefix("GET /orders?id=1 HTTP/1.1\r\n"))
        #expect(request.contains("X-Forwarded-For: 203.0.113.7\r\n"))
        #expect(!request.contains("10.0.0.1"))
        #expect(request.contains("X-Forwarded-Proto: https\r\n"))
        #expect(request.contains("X-Forwarded-Host: shop.example\r\n"))
        #expect(request.contains("Forwarded: for=203.0.113.7;host=shop.example;proto=https\r\n"))
        #expect(!request.lowercased().contains("x-secret"))
        #expect(!request.lowercased().contains("keep-alive: timeout"))
        #expect(!request.lowercased().contains("proxy-authorization"))

        try harness.respond(
            "HTTP/1.1 200 OK\r\nServer: Apache/2.4.1\r\nX-Powered-By: PHP/8\r\nX-AspNet-Version: 4\r\nContent-Length: 5\r\n\r\nhello"
        )
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!response.contains("Apache"))
        #expect(!response.contains("PHP"))
        #expect(!response.contains("X-AspNet-Version"))
        #expect(response.contains("Server: portcullis\r\n"))
        #expect(response.hasSuffix("\r\n\r\nhello"))
        #expect(harness.client.isActive)
    }

    /// A response whose `Connection` names other fields is rebuilt from its fields (read back
    /// from its lines): the named field goes, the others stay as they were.
    @Test func aResponseConnectionHeaderRemovesTheFieldsItNames() throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond(
            "HTTP/1.1 200 OK\r\nServer: Apache\r\nConnection: X-Backend\r\nX-Backend:  10.1.1.1 \r\nX-Kept:\t yes \r\nContent-Length: 2\r\n\r\nok"
        )
        let response = try harness.clientReceived()
        #expect(!response.contains("X-Backend") && !response.contains("10.1.1.1") && !response.contains("Apache"))
        #expect(response.contains("X-Kept: yes\r\n"))
        #expect(response.contains("Content-Length: 2\r\n") && response.hasSuffix("\r\n\r\nok"))
    }

    @Test func connectionHeaderCannotStripTheBodyFraming() throws {
        let harness = try ProxyHarness()
        let smuggled = "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n"
        try harness.send(
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \(smuggled.utf8.count)\r\nConnection: keep-alive, content-length, host\r\n\r\n\(smuggled)"
        )
        let request = try harness.upstreamReceived()
        #expect(request.contains("Content-Length: \(smuggled.utf8.count)\r\n"))
        #expect(request.contains("Host: a\r\n"))
        #expect(request.hasSuffix("\r\n\r\n\(smuggled)"))  // the body stays a body
    }

    @Test func sequentialRequestsReuseOneUpstreamConnection() throws {
        let harness = try ProxyHarness()
        for index in 0..<3 {
            try harness.send("GET /\(index) HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try harness.upstreamReceived().hasPrefix("GET /\(index) HTTP/1.1"))
            try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            #expect(try harness.clientReceived().hasSuffix("ok"))
        }
        #expect(harness.connector.attempts == 1)
        #expect(harness.pool.idleCount(for: Target(host: "10.1.2.3", port: 8080)) == 1)
    }

    /// A request head and the body that came in the same read leave in one write: on a new
    /// connection (the parts wait for the connect) and on a pooled one (leased inside the read,
    /// flushed at its end).
    @Test func aRequestAndTheBodyThatCameWithItLeaveInOneWrite() throws {
        let harness = try ProxyHarness()
        func upstreamWrites() throws -> [String] {
            harness.loop.run()
            var writes: [String] = []
            while case .byteBuffer(let buffer)? = try harness.upstream?.readOutbound(as: IOData.self) {
                writes.append(String(buffer: buffer))
            }
            return writes
        }
        for path in ["/new", "/pooled"] {
            try harness.send("POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
            let writes = try upstreamWrites()
            #expect(writes.count == 1, "\(path): \(writes)")
            #expect(writes.first?.hasPrefix("POST \(path) HTTP/1.1\r\n") == true && writes.first?.hasSuffix("\r\n\r\nabc") == true)
            try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            #expect(try harness.clientReceived().hasSuffix("ok"))
        }
        #expect(harness.connector.attempts == 1)
    }

    @Test func idlePooledConnectionIsClosedAfterItsIdleTimeout() throws {
        let harness = try ProxyHarness(upstream: UpstreamSettings(responseTimeout: .seconds(5), idleTimeout: .seconds(30)))
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        _ = try harness.clientReceived()
        harness.loop.advanceTime(by: .seconds(29))
        #expect(harness.upstream?.isActive == true)
        harness.loop.advanceTime(by: .seconds(2))
        #expect(harness.upstream?.isActive == false)
        #expect(harness.pool.idleCount(for: Target(host: "10.1.2.3", port: 8080)) == 0)
    }

    @Test func upstreamAskingToCloseIsNotReused() throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        let response = try harness.clientReceived()
        #expect(!response.lowercased().contains("connection: close"))  // the client connection stays open
        #expect(harness.pool.idleCount(for: Target(host: "10.1.2.3", port: 8080)) == 0)
    }

    @Test func streamsChunkedUploadAndChunkedResponse() throws {
        let harness = try ProxyHarness()
        try harness.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        var upstream = try harness.upstreamReceived()
        #expect(upstream.lowercased().contains("transfer-encoding: chunked\r\n"))
        #expect(upstream.hasSuffix("5\r\nhello\r\n"))
        try harness.send("6\r\n world\r\n0\r\n\r\n")
        upstream = try harness.upstreamReceived()
        #expect(upstream == "6\r\n world\r\n0\r\n\r\n")
        try harness.respond("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 201 Created\r\n"))
        #expect(response.contains("transfer-encoding: chunked") || response.contains("Transfer-Encoding: chunked"))
        #expect(response.hasSuffix("3\r\nabc\r\n0\r\n\r\n"))
    }

    @Test func connectRefusedIs502WithoutAddress() throws {
        let harness = try ProxyHarness()
        harness.connector.failure = ChannelError.connectTimeout(.seconds(1)) as any Error
        harness.connector.failure = IOError(errnoCode: 111, reason: "connect")
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(!response.contains("10.1.2.3"))
        #expect(!response.contains("8080"))
        #expect(harness.client.isActive)  // keep-alive survives a gateway error
    }

    @Test func connectTimeoutIs504() throws {
        let harness = try ProxyHarness()
        harness.connector.failure = ChannelError.connectTimeout(.seconds(5))
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 504 Gateway Timeout\r\n"))
    }

    @Test func responseTimeoutIs504() throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        harness.loop.advanceTime(by: .seconds(4))
        #expect(try harness.clientReceived() == "")
        harness.loop.advanceTime(by: .seconds(2))
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 504 Gateway Timeout\r\n"))
        #expect(harness.upstream?.isActive == false)
    }

    @Test func upstreamClosingBeforeResponseIs502() throws {
        let harness = try ProxyHarness()
        try harness.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        _ = try harness.upstreamReceived()
        harness.upstream?.pipeline.fireChannelInactive()
        try harness.upstream?.close().wait()
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(harness.connector.attempts == 1)  // a POST is never sent twice
    }

    @Test func staleReusedConnectionIsRetriedForGet() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        _ = try harness.clientReceived()
        try harness.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET /b"))
        try harness.upstream?.close().wait()  // the target dropped the keep-alive connection
        harness.loop.run()
        #expect(harness.connector.attempts == 2)
        #expect(try harness.upstreamReceived(1).hasPrefix("GET /b"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", index: 1)
        #expect(try harness.clientReceived().hasSuffix("ok"))
    }

    @Test func headResponseHasNoBody() throws {
        let harness = try ProxyHarness()
        try harness.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("HEAD / HTTP/1.1"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        let response = try harness.clientReceived()
        #expect(response.contains("Content-Length: 1000\r\n"))
        #expect(response.hasSuffix("\r\n\r\n"))
        // The connection is usable for the next request.
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET / HTTP/1.1"))
    }

    @Test func noContentAndNotModifiedPassWithoutBody() throws {
        let harness = try ProxyHarness()
        for status in ["204 No Content", "304 Not Modified"] {
            try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try harness.upstreamReceived()
            try harness.respond("HTTP/1.1 \(status)\r\nETag: \"x\"\r\n\r\n")
            let response = try harness.clientReceived()
            #expect(response.hasPrefix("HTTP/1.1 \(status)\r\n"))
            #expect(!response.lowercased().contains("transfer-encoding"))
            #expect(response.hasSuffix("\r\n\r\n"))
        }
    }

    @Test func expectContinueIsAnsweredByTheProxy() throws {
        let harness = try ProxyHarness()
        try harness.send("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(try harness.clientReceived() == "HTTP/1.1 100 Continue\r\n\r\n")
        try harness.send("abc")
        let request = try harness.upstreamReceived()
        #expect(!request.lowercased().contains("expect"))
        #expect(request.hasSuffix("\r\n\r\nabc"))
    }

    @Test func clientConnectionCloseIsHonoured() throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        let request = try harness.upstreamReceived()
        #expect(!request.lowercased().contains("connection: close"))  // upstream stays keep-alive
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let response = try harness.clientReceived()
        #expect(response.lowercased().contains("connection: close"))
        #expect(!harness.client.isActive)
        #expect(harness.pool.idleCount(for: Target(host: "10.1.2.3", port: 8080)) == 1)
    }

    @Test func upstreamDyingMidResponseCutsTheClient() throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        try harness.upstream?.close().wait()
        harness.loop.run()
        #expect(!harness.client.isActive)
    }
}
