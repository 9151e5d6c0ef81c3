import NIOCore
public import NIOHPACK
public import NIOHTTP1

/// Turns the ``ClientResponseHead`` the forwarding session gives into an HTTP/2 header block:
/// `:status` first, then the fields with lower-case names, less the connection-specific ones
/// HTTP/2 forbids (RFC 9113 §8.2.2). A target's field lines are read once, keeping what the
/// listener's ``ResponseHeaderRewriter`` keeps for HTTP/1 (``RawResponseFields``: no hop-by-hop or
/// stripped names), then our `Server`.
public enum HTTP2ResponseTranslator {
    public static func headers(for head: ClientResponseHead) -> HPACKHeaders {
        var block = HPACKHeaders()
        block.reserveCapacity(head.fields.count + 8)
        block.add(name: ":status", value: String(head.status.code))
        if let target = head.targetFields {
            // The lines the rewriter keeps, read once from the block, names lower-cased as
            // they are copied (HTTP/2 wants them so); `Transfer-Encoding` and the other
            // connection-specific fields are among the hop-by-hop ones it drops.
            target.forEachKeptField { name, value in
                block.add(name: Self.lowercased(name), value: String(decoding: value, as: UTF8.self))
            }
            if let server = target.rewriter.serverHeader, !server.isEmpty {
                block.add(name: "server", value: server)
            }
            for (name, value) in target.rewriter.fixedFields {
                block.add(name: name.lowercased(), value: value)
            }
        }
        if let requestID = head.requestID {
            // Unique per response: kept out of the HPACK dynamic table, which it would churn.
            block.add(name: "x-request-id", value: requestID.description, indexing: .nonIndexable)
        }
        Self.add(head.fields, to: &block)
        return block
    }

    /// ASCII lower case of a validated field name (token bytes only).
    static func lowercased(_ name: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: name.count) { buffer in
            for (index, byte) in name.enumerated() {
                buffer[index] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return name.count
        }
    }

    /// Trailers from a target, as a header block (no pseudo-header fields).
    public static func trailers(_ fields: HTTPHeaders) -> HPACKHeaders {
        var block = HPACKHeaders()
        Self.add(fields, to: &block)
        return block
    }

    private static func add(_ fields: HTTPHeaders, to block: inout HPACKHeaders) {
        for (name, value) in fields {
            let lower = name.lowercased()
            switch lower {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te":
                continue
            default:
                block.add(name: lower, value: value)
            }
        }
    }
}
