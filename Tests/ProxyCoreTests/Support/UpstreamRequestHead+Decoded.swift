import NIOCore
import NIOHTTP1

@testable import ProxyCore

extension UpstreamRequestHead {
    /// The encoded head read back by our parser: what a target receives.
    var decoded: HTTPRequestHead {
        var parser = HTTP1Parser(isRequest: true, maxHeadBytes: 1 << 20, maxFields: 10_000)
        var bytes = self.bytes
        guard case .head? = try? parser.next(&bytes), bytes.readableBytes == 0 else {
            fatalError("not one request head: \(String(buffer: self.bytes))")
        }
        let head = parser.takeHead()
        return HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.fields))
    }

    /// The fields the target receives.
    var headers: HTTPHeaders { self.decoded.headers }

    /// The head as text.
    var text: String { String(buffer: self.bytes) }
}
