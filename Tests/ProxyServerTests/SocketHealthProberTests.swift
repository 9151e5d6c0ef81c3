import NIOCore
import NIOPosix
import ProxyCore
import Testing

@testable import ProxyServer

/// HTTP probes over a real socket, read as proxied responses are read: a target whose answer
/// our parser refuses is unhealthy, with the parser's reason.
struct SocketHealthProberTests {
    /// Answers every connection's first read with `response`, then closes.
    private func probe(answering response: String, expect: [ClosedRange<Int>] = [200...399]) async throws -> ProbeResult {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FixedAnswer(response: response))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = try #require(server.localAddress?.port)
        let settings = HealthCheckSettings(kind: .http(path: "/healthz"), timeout: .seconds(5), expectedStatus: expect)
        let result = try await SocketHealthProber().probe(Target(host: "127.0.0.1", port: port), settings: settings, on: group.next()).get()
        try await server.close()
        try await group.shutdownGracefully()
        return result
    }

    @Test func aWellFormedAnswerPassesWithItsStatus() async throws {
        #expect(try await self.probe(answering: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == .passed(status: 200))
        #expect(try await self.probe(answering: "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n") == .failed(reason: .status(503)))
        #expect(try await self.probe(answering: "HTTP/1.1 200 OK\r\n\r\nuntil the close") == .passed(status: 200))
    }

    /// NIO's decoder passed the head of these on before it failed: the probes used to pass.
    @Test func anAnswerOurParserRefusesFails() async throws {
        #expect(
            try await self.probe(answering: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                == .failed(reason: .malformedResponse("invalid chunk size"))
        )
        #expect(
            try await self.probe(answering: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked, gzip\r\n\r\n")
                == .failed(reason: .malformedResponse("Transfer-Encoding with chunked not last"))
        )
        #expect(try await self.probe(answering: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab") == .failed(reason: .reset))
    }
}

private final class FixedAnswer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let response: String
    private var answered = false

    init(response: String) {
        self.response = response
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = String(buffer: self.unwrapInboundIn(data))
        guard !self.answered else { return }
        self.answered = true
        precondition(request.hasPrefix("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:"), "probe request: \(request)")
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: self.response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
