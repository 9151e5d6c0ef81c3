import NIOCore
import NIOEmbedded
import Testing

@testable import ProxyCore

/// The handler at the front of a client pipeline: the header goes to its closure, the bytes after
/// it up the pipeline once each, and a connection without a valid header is closed.
struct ProxyProtocolHandlerTests {
    /// What reached the handler's closures and the handler after it, in order.
    final class Events {
        var log: [String] = []
        var headers: [ProxyProtocolHeader] = []
        var rejections: [ProxyProtocolHandler.Rejection] = []
        var received: [UInt8] = []
    }

    /// Records every read (and read-complete) that gets past the PROXY protocol handler.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let events: Events

        init(events: Events) {
            self.events = events
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = self.unwrapInboundIn(data)
            self.events.log.append("read \(String(buffer: bytes))")
            self.events.received += Array(bytes.readableBytesView)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            self.events.log.append("readComplete")
        }
    }

    struct Harness {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let timers: LoopTimers
        let events = Events()

        init(timeout: TimeAmount = .seconds(5)) throws {
            self.channel = EmbeddedChannel(loop: self.loop)
            self.timers = LoopTimers(eventLoop: self.loop)
            let events = self.events
            let handler = ProxyProtocolHandler(
                timeout: timeout,
                timers: self.timers,
                onHeader: { header in
                    events.headers.append(header)
                    events.log.append("header")
                },
                onRejection: { rejection in
                    events.rejections.append(rejection)
                    events.log.append("rejected")
                }
            )
            try self.channel.pipeline.syncOperations.addHandlers([handler, Recorder(events: events)])
            try self.channel.connect(to: SocketAddress(ipAddress: "10.0.0.2", port: 40000)).wait()
        }

        func send(_ bytes: [UInt8]) throws {
            try self.channel.writeInbound(ByteBuffer(bytes: bytes))
        }

        func send(_ text: String) throws {
            try self.send(Array(text.utf8))
        }

        var handlerIsInPipeline: Bool {
            (try? self.channel.pipeline.syncOperations.handler(type: ProxyProtocolHandler.self)) != nil
        }
    }

    private static let v1Line = "PROXY TCP4 192.0.2.1 198.51.100.7 50000 443\r\n"
    private static let v1Header = ProxyProtocolHeader(
        version: .v1,
        command: .proxy,
        addresses: .tcp(
            source: .init(address: "192.0.2.1", port: 50000),
            destination: .init(address: "198.51.100.7", port: 443)
        )
    )

    @Test func passesOnTheBytesAfterAHeaderInTheSameReadThenLeaves() throws {
        let harness = try Harness()
        try harness.send(Self.v1Line + "GET / HTTP/1.1\r\n")
        #expect(harness.events.headers == [Self.v1Header])
        #expect(harness.events.log == ["header", "read GET / HTTP/1.1\r\n", "readComplete"])
        #expect(!harness.handlerIsInPipeline)
        #expect(harness.events.rejections.isEmpty)
        #expect(harness.channel.isActive)
        #expect(try harness.channel.finish().isClean)
    }

    @Test func passesOnNothingForAHeaderAlone() throws {
        let harness = try Harness()
        try harness.send(HAProxyCaptures.v2Local)
        #expect(harness.events.headers == [ProxyProtocolHeader(version: .v2, command: .local, addresses: .unknown)])
        #expect(harness.events.log == ["header", "readComplete"])
        #expect(!harness.handlerIsInPipeline)
        try harness.send("after")
        #expect(harness.events.log == ["header", "readComplete", "read after", "readComplete"])
        #expect(try harness.channel.finish().isClean)
    }

    @Test(arguments: [HAProxyCaptures.v1IPv4, HAProxyCaptures.v2IPv6, HAProxyCaptures.v2TLVs])
    func readsAHeaderSentByteByByte(capture: [UInt8]) throws {
        let harness = try Harness()
        guard case .header(_, let headerLength) = ProxyProtocolParser.parse(ByteBuffer(bytes: capture)) else {
            Issue.record("the capture is not a header")
            return
        }
        for (index, byte) in capture.enumerated() {
            try harness.send([byte])
            #expect(harness.events.headers.count == (index + 1 >= headerLength ? 1 : 0))
            #expect(harness.handlerIsInPipeline == (index + 1 < headerLength))
        }
        // Not one read-complete up the pipeline while the header was incomplete.
        #expect(harness.events.log.first == "header")
        #expect(harness.events.received == Array(capture[headerLength...]))
        #expect(harness.events.rejections.isEmpty)
        #expect(try harness.channel.finish().isClean)
    }

    @Test func passesOnEveryLaterReadOnceAndInOrder() throws {
        let harness = try Harness()
        let line = Array(Self.v1Line.utf8)
        try harness.send(Array(line[..<10]))
        try harness.send(Array(line[10...]) + Array("abc".utf8))
        try harness.send("def")
        try harness.send("ghi")
        #expect(
            harness.events.log == ["header", "read abc", "readComplete", "read def", "readComplete", "read ghi", "readComplete"]
        )
        #expect(harness.events.received == Array("abcdefghi".utf8))
    }

    @Test func closesOnAnInvalidHeaderAndSaysWhy() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(harness.events.rejections == [.invalid(reason: "no PROXY protocol signature")])
        #expect(harness.events.log == ["rejected"])
        #expect(!harness.channel.isActive)
        #expect(harness.events.received.isEmpty)
    }

    @Test func closesOnAnInvalidHeaderCompletedLater() throws {
        let harness = try Harness()
        try harness.send("PROXY TCP4 1.2.3.4 ")
        #expect(harness.channel.isActive)
        try harness.send("5.6.7.8 01 2\r\nGET /")
        #expect(harness.events.rejections == [.invalid(reason: "v1: invalid source port")])
        #expect(!harness.channel.isActive)
        #expect(harness.events.received.isEmpty)
        #expect(harness.events.headers.isEmpty)
    }

    @Test func closesWhenTheHeaderTakesTooLong() throws {
        let harness = try Harness(timeout: .seconds(3))
        try harness.send("PROXY TCP4 1.2.3.4")
        harness.loop.advanceTime(by: .milliseconds(2999))
        #expect(harness.channel.isActive)
        #expect(harness.events.rejections.isEmpty)
        harness.loop.advanceTime(by: .milliseconds(1))
        #expect(harness.events.rejections == [.timedOut])
        #expect(!harness.channel.isActive)
        #expect(harness.events.received.isEmpty)
        #expect(harness.timers.count == 0)
    }

    @Test func closesWhenNoByteComesAtAll() throws {
        let harness = try Harness(timeout: .seconds(3))
        harness.loop.advanceTime(by: .seconds(3))
        #expect(harness.events.rejections == [.timedOut])
        #expect(!harness.channel.isActive)
    }

    @Test func aHeaderInTimeStopsTheTimer() throws {
        let harness = try Harness(timeout: .seconds(3))
        harness.loop.advanceTime(by: .seconds(2))
        try harness.send(Self.v1Line)
        harness.loop.advanceTime(by: .seconds(10))
        #expect(harness.events.rejections.isEmpty)
        #expect(harness.channel.isActive)
        #expect(harness.timers.count == 0)
        #expect(try harness.channel.finish().isClean)
    }

    @Test func aPeerThatLeavesEarlyIsNotReported() throws {
        let harness = try Harness(timeout: .seconds(3))
        try harness.send("PROXY TCP")
        _ = try harness.channel.finish()
        harness.loop.advanceTime(by: .seconds(10))
        #expect(harness.events.rejections.isEmpty)
        #expect(harness.events.headers.isEmpty)
        #expect(harness.timers.count == 0)
    }

    @Test func closesOnBytesThatAreNoHeaderWithoutWaitingForMore() throws {
        let harness = try Harness()
        try harness.send([0x16, 0x03, 0x01])  // a TLS ClientHello: the proxy in front sent no header
        #expect(harness.events.rejections.count == 1)
        #expect(!harness.channel.isActive)
    }

    /// The composition root may refuse a header's client (say, by a deny list) from `onHeader`.
    @Test func anOnHeaderThatClosesTheChannelIsSafe() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let events = Events()
        let handler = ProxyProtocolHandler(
            timeout: .seconds(3),
            timers: LoopTimers(eventLoop: loop),
            onHeader: { _ in channel.close(promise: nil) },
            onRejection: { events.rejections.append($0) }
        )
        try channel.pipeline.syncOperations.addHandlers([handler, Recorder(events: events)])
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.2", port: 40000)).wait()
        try channel.writeInbound(ByteBuffer(string: Self.v1Line + "GET /"))
        loop.run()
        #expect(!channel.isActive)
        #expect(events.rejections.isEmpty)
        #expect(events.received.count <= 5)
    }

    @Test func theHandlerIsFreedOnceItLeaves() throws {
        weak var weakHandler: ProxyProtocolHandler?
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let timers = LoopTimers(eventLoop: loop)
        try {
            let handler = ProxyProtocolHandler(timeout: .seconds(3), timers: timers, onHeader: { _ in }, onRejection: { _ in })
            weakHandler = handler
            try channel.pipeline.syncOperations.addHandler(handler)
        }()
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.2", port: 40000)).wait()
        #expect(weakHandler != nil)
        try channel.writeInbound(ByteBuffer(string: Self.v1Line))
        #expect(weakHandler == nil)
        #expect(try channel.finish().isClean)
    }
}
