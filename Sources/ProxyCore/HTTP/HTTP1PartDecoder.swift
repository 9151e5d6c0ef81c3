import NIOCore
import NIOHTTP1

/// What our two HTTP/1 decoders (``HTTP1RequestDecoder``, ``UpstreamResponseDecoder``) do alike:
/// run the ``HTTP1Parser`` until it needs more bytes, hand each body part and end to the handler
/// linked above (or fire it through the pipeline), and end a body that lasts until the close
/// when the input ends. Each decides what a head means and where it goes (``headParsed(context:)``).
protocol HTTP1PartDecoder: ByteToMessageDecoder, AnyObject {
    associatedtype Head: Equatable
    var parser: HTTP1Parser { get set }
    /// The parser returned a head: frame it (or drop it) and hand it on.
    func headParsed(context: ChannelHandlerContext) throws
    /// Hands a body part or an end on: to the linked handler, or through the pipeline.
    func pass(_ part: HTTPPart<Head, ByteBuffer>, context: ChannelHandlerContext)
}

extension HTTP1PartDecoder {
    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while let event = try self.parser.next(&buffer) {
            switch event {
            case .head:
                try self.headParsed(context: context)
            case .body(let body):
                self.pass(.body(body), context: context)
            case .end(let trailers):
                self.pass(.end(trailers), context: context)
            }
        }
        return .needMoreData
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try self.decode(context: context, buffer: &buffer)
        if seenEOF, let event = try self.parser.finish(buffer), case .end(let trailers) = event {
            self.pass(.end(trailers), context: context)
        }
        return .needMoreData
    }
}
