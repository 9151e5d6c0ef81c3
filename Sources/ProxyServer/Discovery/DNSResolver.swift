import NIOCore
import NIOPosix
import ProxyCore

/// A DNS stub resolver on the server's event loops: each query is a UDP datagram to the
/// configured resolvers in turn (a timeout moves on to the next, `attempts` rounds), and a
/// truncated answer is asked again over TCP (RFC 7766). Nothing blocks: a query is a future on
/// a loop, not a thread waiting in `res_query` (decision 0032).
final class DNSResolver: Sendable {
    let configuration: ResolverConfiguration
    private let group: any EventLoopGroup

    init(configuration: ResolverConfiguration, group: any EventLoopGroup) {
        self.configuration = configuration
        self.group = group
    }

    /// Asks for the records of `type` for `name`. An answer with NOERROR or NXDOMAIN is
    /// returned (no such name is an answer: no records); SERVFAIL, REFUSED and other codes
    /// try the next resolver, and throw when every one failed.
    func query(_ name: String, type: DNSMessage.RecordType) async throws -> DNSMessage.Response {
        var lastError: any Error = DNSResolverError.noResolver
        for _ in 0..<self.configuration.attempts {
            for server in self.configuration.servers {
                do {
                    let address = try SocketAddress(ipAddress: server.host, port: server.port)
                    let id = UInt16.random(in: 0...UInt16.max)
                    let query = try DNSMessage.query(id: id, name: name, type: type)
                    var response = try await self.exchangeUDP(query, id: id, with: address)
                    if response.truncated {
                        response = try await self.exchangeTCP(query, id: id, with: address)
                    }
                    guard response.answers(name, type: type) else {
                        lastError = DNSResolverError.malformed("an answer to another question", server: server.description)
                        continue
                    }
                    switch response.responseCode {
                    case DNSMessage.ResponseCode.noError, DNSMessage.ResponseCode.nameError:
                        return response
                    default:
                        lastError = DNSResolverError.responseCode(response.responseCode, server: server.description)
                    }
                } catch let error as DNSMessageError {
                    if case .invalidName = error { throw error }
                    lastError = DNSResolverError.malformed(error.description, server: server.description)
                } catch {
                    lastError = error
                }
            }
        }
        throw lastError
    }

    private func exchangeUDP(_ query: [UInt8], id: UInt16, with server: SocketAddress) async throws -> DNSMessage.Response {
        let eventLoop = self.group.next()
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let timeout = TimeAmount(self.configuration.timeout)
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramAnswerHandler(id: id, server: server, promise: promise))
                }
            }
            .bind(host: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
            .get()
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(DNSResolverError.timeout(server: "\(server)"))
        }
        var buffer = channel.allocator.buffer(capacity: query.count)
        buffer.writeBytes(query)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: buffer), promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let bytes = try await promise.futureResult.get()
        return try DNSMessage.parse(bytes)
    }

    private func exchangeTCP(_ query: [UInt8], id: UInt16, with server: SocketAddress) async throws -> DNSMessage.Response {
        let eventLoop = self.group.next()
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let timeout = TimeAmount(self.configuration.timeout)
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(DNSResolverError.timeout(server: "\(server) (TCP)"))
        }
        defer { timer.cancel() }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StreamAnswerHandler(promise: promise))
                    }
                }
                .connect(to: server)
                .get()
        } catch {
            promise.fail(error)
            throw error
        }
        defer { channel.close(promise: nil) }
        var buffer = channel.allocator.buffer(capacity: query.count + 2)
        buffer.writeInteger(UInt16(query.count))
        buffer.writeBytes(query)
        channel.writeAndFlush(buffer, promise: nil)
        let bytes = try await promise.futureResult.get()
        let response = try DNSMessage.parse(bytes)
        guard response.id == id else { throw DNSResolverError.malformed("answer for another query", server: "\(server)") }
        return response
    }
}

/// Takes the first datagram from the resolver that carries the query's id; others (late answers
/// to an earlier try, spoofed ones from elsewhere) are ignored.
private final class DatagramAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let id: UInt16
    private let server: SocketAddress
    private let promise: EventLoopPromise<[UInt8]>

    init(id: UInt16, server: SocketAddress, promise: EventLoopPromise<[UInt8]>) {
        self.id = id
        self.server = server
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard envelope.remoteAddress == self.server,
            let bytes = envelope.data.getBytes(at: envelope.data.readerIndex, length: envelope.data.readableBytes),
            bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == self.id
        else { return }
        self.promise.succeed(bytes)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An ICMP error for an earlier datagram: the timeout decides.
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closed before an answer (the loops are shutting down); no-op after one.
        self.promise.fail(ChannelError.ioOnClosedChannel)
    }
}

@available(*, unavailable)
extension DatagramAnswerHandler: Sendable {}

/// Reads one length-prefixed DNS message from a TCP connection (RFC 1035 §4.2.2).
private final class StreamAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<[UInt8]>
    private var received: ByteBuffer?

    init(promise: EventLoopPromise<[UInt8]>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = Self.unwrapInboundIn(data)
        if self.received == nil {
            self.received = chunk
        } else {
            self.received?.writeBuffer(&chunk)
        }
        guard let received = self.received, let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= Int(length) + 2,
            let bytes = received.getBytes(at: received.readerIndex + 2, length: Int(length))
        else { return }
        self.promise.succeed(bytes)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(DNSResolverError.malformed("the TCP connection closed before a whole answer", server: "\(context.remoteAddress.map { "\($0)" } ?? "?")"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension StreamAnswerHandler: Sendable {}

/// Why a query got no usable answer.
enum DNSResolverError: Error, CustomStringConvertible {
    case noResolver
    case timeout(server: String)
    case responseCode(Int, server: String)
    case malformed(String, server: String)

    var description: String {
        switch self {
        case .noResolver: "no resolver configured"
        case .timeout(let server): "no answer from \(server)"
        case .responseCode(let code, let server):
            "\(server) answered \(Self.name(of: code))"
        case .malformed(let message, let server): "\(server): \(message)"
        }
    }

    static func name(of code: Int) -> String {
        switch code {
        case DNSMessage.ResponseCode.serverFailure: "SERVFAIL"
        case DNSMessage.ResponseCode.refused: "REFUSED"
        case 1: "FORMERR"
        case 4: "NOTIMP"
        default: "response code \(code)"
        }
    }
}
