import NIOCore
public import NIOHPACK
public import NIOHTTP1

/// Turns the request head the forwarding session encoded for a target (``UpstreamRequestHead``:
/// HTTP/1.1 bytes, written once by the ``RequestHeaderRewriter``) into an HTTP/2 header block for
/// an h2c target, and the target's header blocks back into what the session takes
/// (``UpstreamResponseHead``, trailer fields). Pure.
///
/// Request: `:method`, `:scheme` (`http`), `:authority` (from `Host`), `:path` (the request
/// target), then the fields with lower-case names, less the connection-specific ones HTTP/2
/// forbids (RFC 9113 §8.2.2: `Connection` and the fields it names, `Keep-Alive`,
/// `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`, `TE`) and `Host`; then `te: trailers`,
/// always: the proxy takes trailers from an h2c target (gRPC servers refuse calls without it).
/// Response: `:status` and the fields as HTTP/1 field lines (the session's rebuilding path reads
/// them); interim `1xx` blocks are not heads (``responseHead(_:)`` returns `nil`).
public enum H2CMessageTranslator {
    public enum TranslationError: Error, Equatable {
        case malformedRequestHead
        case missingStatus
    }

    public static func requestHeaders(_ head: UpstreamRequestHead) throws -> HPACKHeaders {
        let bytes = head.bytes.readableBytesView
        guard let lineEnd = Self.find(crlfIn: bytes, from: bytes.startIndex) else { throw TranslationError.malformedRequestHead }
        let requestLine = bytes[bytes.startIndex..<lineEnd]
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TranslationError.malformedRequestHead }
        let method = String(decoding: parts[0], as: UTF8.self)
        let path = String(decoding: parts[1], as: UTF8.self)
        var fields: [(name: String, value: String)] = []
        var authority: String?
        var connectionNamed: Set<String> = []
        var index = lineEnd + 2
        while let end = Self.find(crlfIn: bytes, from: index), end > index {
            let line = bytes[index..<end]
            index = end + 2
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw TranslationError.malformedRequestHead }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            let value = String(String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces())
            switch name {
            case "host":
                if authority == nil { authority = value }
            case "connection":
                for token in value.split(separator: ",") {
                    connectionNamed.insert(token.trimmingSpaces().lowercased())
                }
            case "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te":
                continue
            default:
                fields.append((name, value))
            }
        }
        var block = HPACKHeaders()
        block.reserveCapacity(fields.count + 4)
        block.add(name: ":method", value: method)
        block.add(name: ":scheme", value: "http")
        if let authority { block.add(name: ":authority", value: authority) }
        block.add(name: ":path", value: path)
        // We take trailers (and pass them on): gRPC targets refuse a call without it.
        block.add(name: "te", value: "trailers")
        for field in fields where !connectionNamed.contains(field.name) {
            block.add(name: field.name, value: field.value)
        }
        return block
    }

    /// A response's header block as the session's head; `nil` for an interim (`1xx`) block.
    public static func responseHead(_ block: HPACKHeaders) throws -> UpstreamResponseHead? {
        guard let statusText = block.first(name: ":status"), let code = Int(statusText), (100...999).contains(code) else {
            throw TranslationError.missingStatus
        }
        if code < 200 { return nil }
        var lines = ByteBuffer()
        var hasContentLength = false
        for (name, value, _) in block where !name.hasPrefix(":") {
            if name == "content-length" { hasContentLength = true }
            lines.writeString(name)
            lines.writeString(": ")
            lines.writeString(value)
            lines.writeString("\r\n")
        }
        return UpstreamResponseHead(
            status: HTTPResponseStatus(statusCode: code),
            version: .http1_1,
            keepAlive: true,
            fieldHints: nil,
            rawFields: lines,
            hasContentLength: hasContentLength
        )
    }

    /// Trailer fields of a response (no pseudo-header fields).
    public static func trailers(_ block: HPACKHeaders) -> HTTPHeaders {
        var fields = HTTPHeaders()
        for (name, value, _) in block where !name.hasPrefix(":") {
            fields.add(name: name, value: value)
        }
        return fields
    }

    /// Request trailers for an h2c target: the client's fields less pseudo and connection ones.
    public static func requestTrailers(_ fields: HTTPHeaders) -> HPACKHeaders {
        HTTP2ResponseTranslator.trailers(fields)
    }

    private static func find(crlfIn bytes: ByteBufferView, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "\r") && bytes[index + 1] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }
}
