import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing

@testable import ProxyCore

/// The forwarding session compressing a response on EmbeddedChannels (the HTTP/1 connection,
/// its session, an embedded target): the head rewritten, each part sent compressed as it comes,
/// nothing done without `Accept-Encoding`.
struct CompressedForwardingTests {
    /// The body of a chunked HTTP/1.1 message's bytes after its head: the chunks' data, and
    /// whether the last chunk came.
    static func dechunk(_ bytes: ArraySlice<UInt8>) -> (data: [UInt8], ended: Bool) {
        var data: [UInt8] = []
        var index = bytes.startIndex
        while let lineEnd = bytes[index...].firstIndex(of: UInt8(ascii: "\r")) {
            guard let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) else { break }
            if size == 0 { return (data, true) }
            let start = lineEnd + 2
            data += bytes[start..<start + size]
            index = start + size + 2
            if index >= bytes.endIndex { break }
        }
        return (data, false)
    }

    static func split(_ bytes: [UInt8]) -> (head: String, body: ArraySlice<UInt8>) {
        let marker: [UInt8] = Array("\r\n\r\n".utf8)
        for index in 0...(bytes.count - 4) where Array(bytes[index..<index + 4]) == marker {
            return (String(decoding: bytes[..<index], as: UTF8.self), bytes[(index + 4)...])
        }
        return (String(decoding: bytes, as: UTF8.self), [])
    }

    @Test func eachPartGoesOutCompressedAsItComes() throws {
        let harness = try ProxyHarness(compression: CompressionPolicy())
        try harness.send("GET /data HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
        _ = try harness.upstreamReceived()
        let body = ResponseCompressorTests.sample(6000)
        let first = String(decoding: body[..<3000], as: UTF8.self)
        let second = String(decoding: body[3000...], as: UTF8.self)
        try harness.respond(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"abc\"\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(3000, radix: 16) + "\r\n" + first + "\r\n"
        )
        let early = try harness.clientReceivedBytes()
        let (head, earlyBody) = Self.split(early)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.contains("Content-Encoding: gzip\r\n") && head.contains("ETag: W/\"abc\"\r\n"))
        #expect(head.contains("Vary: Accept-Encoding\r\n") && !head.lowercased().contains("content-length"))
        // The first part decodes before the rest has come from the target.
        let partial = Self.dechunk(earlyBody)
        #expect(!partial.ended)
        #expect(try ResponseCompressorTests.inflatePrefix(partial.data) == Array(body[..<3000]))
        try harness.respond(String(3000, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n")
        let rest = Self.dechunk(try harness.clientReceivedBytes()[...])
        #expect(rest.ended)
        #expect(try ResponseCompressorTests.inflatePrefix(partial.data + rest.data, complete: true) == body)
        #expect(harness.client.isActive)
        // The next request on the connection, without Accept-Encoding: as it is.
        try harness.send("GET /data HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n" + String(repeating: "x", count: 2000))
        let plain = try harness.clientReceived()
        #expect(plain.contains("Content-Length: 2000\r\n") && !plain.contains("Content-Encoding"))
        #expect(plain.hasSuffix(String(repeating: "x", count: 2000)))
    }

    @Test func aRouteWithoutCompressionLeavesTheResponseAlone() throws {
        let harness = try ProxyHarness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2000\r\n\r\n" + String(repeating: "y", count: 2000))
        let response = try harness.clientReceived()
        #expect(response.contains("Content-Length: 2000\r\n") && !response.contains("Content-Encoding") && !response.contains("Vary"))
    }

    /// The target dies mid-body: the client's connection closes (the compressed stream is
    /// never ended as if complete), and the next response on another connection is unaffected.
    @Test func aTargetThatDiesMidBodyClosesTheClient() throws {
        let harness = try ProxyHarness(compression: CompressionPolicy())
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "z", count: 2500))
        let head = Self.split(try harness.clientReceivedBytes()).head
        #expect(head.contains("Content-Encoding: br\r\n"))
        try harness.upstream?.close().wait()
        harness.loop.run()
        let tail = try harness.clientReceivedBytes()
        #expect(!Self.dechunk(tail[...]).ended)
        #expect(!harness.client.isActive)
    }

    @Test func http2StreamsGetCompressedDataFrames() throws {
        let harness = try ProxyHarness(compression: CompressionPolicy(), http2Stream: true)
        var headers = HPACKHeaders()
        headers.add(name: ":method", value: "GET")
        headers.add(name: ":scheme", value: "https")
        headers.add(name: ":authority", value: "a")
        headers.add(name: ":path", value: "/")
        headers.add(name: "accept-encoding", value: "zstd;q=0.5, gzip")
        try harness.client.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: true)))
        harness.loop.run()
        _ = try harness.upstreamReceived()
        let body = ResponseCompressorTests.sample(4000)
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 4000\r\n\r\n" + String(decoding: body, as: UTF8.self))
        harness.loop.run()
        var responseHeaders: HPACKHeaders?
        var data: [UInt8] = []
        var ended = false
        while let frame = try harness.client.readOutbound(as: HTTP2Frame.FramePayload.self) {
            switch frame {
            case .headers(let payload):
                responseHeaders = payload.headers
                ended = ended || payload.endStream
            case .data(let payload):
                if case .byteBuffer(var buffer) = payload.data {
                    data += buffer.readBytes(length: buffer.readableBytes) ?? []
                }
                ended = ended || payload.endStream
            default:
                break
            }
        }
        #expect(responseHeaders?.first(name: "content-encoding") == "gzip")
        #expect(responseHeaders?.first(name: "content-length") == nil)
        #expect(responseHeaders?.first(name: "vary") == "Accept-Encoding")
        #expect(ended)
        #expect(try ResponseCompressorTests.inflatePrefix(data, complete: true) == body)
    }
}
