import NIOEmbedded
import Testing

@testable import ProxyCore

/// A repeated `Content-Length`, even of one length: refused in a request before anything
/// reaches a target (as nginx and HAProxy do); taken from a target (RFC 9110 §8.6) and written
/// to the client once.
struct RepeatedContentLengthTests {
    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
    ])
    func aRequestIsRefusedWith400AndReachesNoTarget(request: String) throws {
        let harness = try ProxyHarness()
        try harness.send(request)
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 400 "), "got \(response.prefix(40))")
        #expect(response.lowercased().contains("connection: close"))
        #expect(!harness.client.isActive)
        #expect(harness.connector.attempts == 0)
        #expect(harness.upstream == nil)
    }

    @Test(arguments: ["Content-Length: 5\r\nX-App: 1\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\nX-App: 1\r\n"])
    func aResponseReachesTheClientWithOneContentLength(fields: String) throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET / HTTP/1.1\r\n"))
        try harness.respond("HTTP/1.1 200 OK\r\n\(fields)\r\nhello")
        let response = try harness.clientReceived()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.lowercased().split(separator: "\r\n").filter { $0.hasPrefix("content-length:") }.count == 1, "\(response)")
        #expect(response.contains("Content-Length: 5\r\n") && response.contains("X-App: 1\r\n"))
        #expect(response.hasSuffix("\r\n\r\nhello"))
        #expect(harness.client.isActive)
    }
}
