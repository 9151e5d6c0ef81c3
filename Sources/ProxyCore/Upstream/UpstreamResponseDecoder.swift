import NIOCore
import NIOHTTP1

/// NIO's strict HTTP/1 response decoder, driven by our ``DecoderDriver``, which does not watch
/// the writes of the connection.
///
/// The response decoder must know each request's method (a response to `HEAD` has no body).
/// Given NIO's decoder itself, NIO's `ByteToMessageHandler` learns it by unwrapping and
/// inspecting every part written to the target, through a generic path that cost ~4,500
/// instructions per request; here the ``HTTP1RequestEncoder`` tells it the method of each head
/// it writes, in one call.
final class UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart

    private let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)

    /// A request with this head is being sent: its response follows, in order.
    func requestSent(_ head: HTTPRequestHead) {
        self.decoder.write(data: .head(head))
    }

    func decoderAdded(context: ChannelHandlerContext) {
        self.decoder.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        self.decoder.decoderRemoved(context: context)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try self.decoder.decode(context: context, buffer: &buffer)
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }

    func shouldReclaimBytes(buffer: ByteBuffer) -> Bool {
        self.decoder.shouldReclaimBytes(buffer: buffer)
    }
}

@available(*, unavailable)
extension UpstreamResponseDecoder: Sendable {}
