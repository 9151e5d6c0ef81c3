public import NIOCore
public import NIOHTTP1

/// The small responses the proxy writes itself. They name no target, address or port.
public enum ErrorResponses {
    /// A complete response head for `status` with a short plain-text body.
    public static func head(
        _ status: HTTPResponseStatus,
        version: HTTPVersion = .http1_1,
        close: Bool,
        serverHeader: String?,
        bodyLength: Int
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(5)
        if let serverHeader, !serverHeader.isEmpty {
            headers.add(name: "Server", value: serverHeader)
        }
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(bodyLength))
        headers.add(name: "Cache-Control", value: "no-store")
        if close {
            headers.add(name: "Connection", value: "close")
        }
        return HTTPResponseHead(version: version == .http1_0 ? .http1_0 : .http1_1, status: status, headers: headers)
    }

    /// `"502 Bad Gateway\n"`: the status line's words and nothing else.
    public static func body(_ status: HTTPResponseStatus, allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(string: "\(status.code) \(status.reasonPhrase)\n")
    }

    /// A complete HTTP/1.1 response as raw bytes, for places below the HTTP encoder (the 408 of
    /// the header timeout).
    public static func raw(_ status: HTTPResponseStatus, serverHeader: String?, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = "\(status.code) \(status.reasonPhrase)\n"
        var text = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        if let serverHeader, !serverHeader.isEmpty {
            text += "Server: \(serverHeader)\r\n"
        }
        text += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        text += body
        return allocator.buffer(string: text)
    }
}
