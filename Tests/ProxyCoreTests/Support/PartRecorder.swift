import NIOCore
import NIOEmbedded
import NIOHTTP1

/// What a decoder handed up, as text, for comparing two decoders on the same bytes: heads as
/// `describe` writes them, body bytes joined (parts are split where the reads were, the bytes
/// are what counts), ends with their trailers, and one `error` for a run of errors.
final class PartRecorder<Head: Equatable>: ChannelInboundHandler {
    typealias InboundIn = HTTPPart<Head, ByteBuffer>
    var events: [String] = []
    private let describe: (Head) -> String

    init(describe: @escaping (Head) -> String) {
        self.describe = describe
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.events.append("head " + self.describe(head))
        case .body(let buffer):
            if let last = self.events.last, last.hasPrefix("body ") {
                self.events[self.events.count - 1] = last + String(buffer: buffer)
            } else {
                self.events.append("body " + String(buffer: buffer))
            }
        case .end(let trailers):
            self.events.append("end \(trailers.map { $0.map { "\($0.name)=\($0.value)" } } ?? [])")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.events.last != "error" {
            self.events.append("error")
        }
    }
}

extension EmbeddedChannel {
    /// Writes `bytes` inbound in reads of `step` bytes; errors are for the pipeline to see.
    func writeInbound(_ bytes: [UInt8], inReadsOf step: Int) {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            _ = try? self.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }
}
