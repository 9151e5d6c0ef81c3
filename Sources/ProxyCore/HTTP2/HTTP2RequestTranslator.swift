public import NIOHPACK
public import NIOHTTP1

/// Turns an HTTP/2 request's header block into the ``ClientRequestHead`` the forwarding session
/// takes, or refuses it (RFC 9113 §8.1.1, §8.2, §8.3). A pure function: the stream answers a
/// refusal with its status and never forwards the request.
///
/// It is the only check of the block (swift-nio-http2's own header-block validation is off, as
/// it would check our responses again too: decisions 0007, 0017): names in lower case, of token
/// characters; no CR, LF or NUL in a value, nor whitespace around it (§8.2.1); pseudo-header
/// fields known, once each, before the others, with `:method`, `:scheme` and `:path` (§8.3.1).
/// And what HTTP/1.1 on the target's side needs:
/// - `:authority` becomes the `Host` field (first); a `host` field that names another
///   authority, or userinfo in `:authority`, is refused;
/// - `:path` is an origin-form target of visible ASCII (`*` for `OPTIONS`), `:method` a token:
///   the request line written to the target cannot be split;
/// - `cookie` crumbs are joined into one field with `; ` (§8.2.3);
/// - `te` may only be `trailers` (and is not forwarded: it is hop-by-hop);
/// - `content-length` is one number, and the body's framing follows from it and END_STREAM: no
///   body, that length, or chunked to the target (a `Transfer-Encoding: chunked` field is added);
/// - the header list within `limits.header_bytes` (431), a declared body within
///   `limits.body_bytes` (413), and the rest of ``RequestValidator``'s rules;
/// - `CONNECT` (a tunnel, or RFC 8441's extended form) is not offered: 405.
public enum HTTP2RequestTranslator {
    /// The version the session records for a request that came over HTTP/2.
    public static let version = HTTPVersion(major: 2, minor: 0)

    /// - Parameters:
    ///   - headers: The HEADERS frame's block, as swift-nio-http2 decoded it.
    ///   - endStream: The HEADERS frame ended the stream: the request has no body.
    /// - Throws: ``RequestRejection`` with the status to answer.
    public static func translate(_ headers: HPACKHeaders, endStream: Bool, limits: RequestLimits) throws(RequestRejection) -> ClientRequestHead {
        var method: String?
        var path: String?
        var authority: String?
        var host: String?
        var contentLength: Int?
        var cookies: [String] = []
        var expect: String?
        var listSize = 0
        var fields: [(String, String)] = []
        fields.reserveCapacity(headers.count + 1)

        var scheme = false
        var regularSeen = false
        for (name, value, _) in headers {
            // RFC 9113 §6.5.2: a field's size is its name and value plus 32.
            listSize += name.utf8.count + value.utf8.count + 32
            guard HTTPSyntaxCheck.isFieldValue(value) else {
                throw RequestRejection(.badRequest, "invalid value of \(HTTPSyntaxCheck.printable(name))")
            }
            if name.utf8.first == UInt8(ascii: ":") {
                guard !regularSeen else { throw RequestRejection(.badRequest, "pseudo-header \(HTTPSyntaxCheck.printable(name)) after a field") }
                var seen: Bool
                switch name {
                case ":method":
                    seen = method != nil
                    method = value
                case ":path":
                    seen = path != nil
                    path = value
                case ":authority":
                    seen = authority != nil
                    authority = value
                case ":scheme":
                    seen = scheme  // `X-Forwarded-Proto` says how the client reached us
                    scheme = true
                default:
                    throw RequestRejection(.badRequest, "unknown pseudo-header \(HTTPSyntaxCheck.printable(name))")
                }
                if seen { throw RequestRejection(.badRequest, "repeated pseudo-header \(name)") }
                continue
            }
            regularSeen = true
            guard HTTPSyntaxCheck.isLowercaseToken(name) else {
                throw RequestRejection(.badRequest, "invalid field name \(HTTPSyntaxCheck.printable(name))")
            }
            switch name {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
                throw RequestRejection(.badRequest, "connection-specific field \(name) in an HTTP/2 request")
            case "te":
                guard value.lowercased() == "trailers" else {
                    throw RequestRejection(.badRequest, "TE other than trailers in an HTTP/2 request")
                }
            case "host":
                guard host == nil else { throw RequestRejection(.badRequest, "more than one Host header") }
                host = value
            case "cookie":
                cookies.append(value)
            case "content-length":
                guard let length = Self.length(value) else {
                    throw RequestRejection(.badRequest, "invalid Content-Length")
                }
                if let contentLength, contentLength != length {
                    throw RequestRejection(.badRequest, "conflicting Content-Length values")
                }
                contentLength = length
            case "expect":
                expect = value
            default:
                fields.append((name, value))
            }
        }
        if listSize > limits.headerBytes {
            throw RequestRejection(.requestHeaderFieldsTooLarge, "header list of \(listSize) bytes exceeds \(limits.headerBytes)")
        }
        if method == "CONNECT" {
            throw RequestRejection(.methodNotAllowed, "CONNECT over HTTP/2 is not offered")
        }
        guard let method, let path, scheme else {
            throw RequestRejection(.badRequest, "missing :method, :scheme or :path")
        }
        guard HTTPSyntaxCheck.isToken(method) else { throw RequestRejection(.badRequest, "invalid :method") }
        guard HTTPSyntaxCheck.isOriginFormTarget(path) || (path == "*" && method == "OPTIONS") else {
            throw RequestRejection(.badRequest, "invalid :path")
        }
        let hostValue: String
        switch (authority, host) {
        case (let authority?, let host?):
            guard HTTPSyntaxCheck.isAuthority(authority), authority.lowercased() == host.lowercased() else {
                throw RequestRejection(.badRequest, "Host differs from :authority")
            }
            hostValue = authority
        case (let authority?, nil):
            guard HTTPSyntaxCheck.isAuthority(authority) else { throw RequestRejection(.badRequest, "invalid :authority") }
            hostValue = authority
        case (nil, let host?):
            guard HTTPSyntaxCheck.isAuthority(host) else { throw RequestRejection(.badRequest, "invalid Host") }
            hostValue = host
        case (nil, nil):
            throw RequestRejection(.badRequest, "missing :authority and Host")
        }

        let framing: RequestBodyFraming
        if endStream {
            if let contentLength, contentLength != 0 {
                throw RequestRejection(.badRequest, "Content-Length \(contentLength) on a request without a body")
            }
            framing = contentLength == 0 ? .contentLength(0) : .none
        } else if let contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .chunked
        }

        var all: [(String, String)] = []
        all.reserveCapacity(fields.count + 4)
        all.append(("host", hostValue))
        all.append(contentsOf: fields)
        if !cookies.isEmpty {
            all.append(("cookie", cookies.joined(separator: "; ")))
        }
        switch framing {
        case .contentLength(let length): all.append(("content-length", String(length)))
        case .chunked: all.append(("transfer-encoding", "chunked"))
        case .none: break
        }
        var unsupportedExpect: String?
        var expectsContinue = false
        if let expect {
            if expect.lowercased() == "100-continue" {
                expectsContinue = true  // nothing to wait for: an HTTP/2 client sends its body when it will
            } else {
                unsupportedExpect = expect
            }
        }
        let facts = RequestFacts(
            framing: framing,
            hostCount: 1,
            expectsContinue: expectsContinue,
            unsupportedExpect: unsupportedExpect,
            keepAlive: true
        )
        let head = ClientRequestHead(
            method: HTTPMethod(rawValue: method),
            target: path,
            version: Self.version,
            fields: HTTPHeaders(all),
            facts: facts
        )
        _ = try RequestValidator.validate(head.nioHead, facts: facts, maxBodyBytes: limits.bodyBytes)
        return head
    }

    /// A `content-length` value: digits only, within `Int`.
    static func length(_ value: String) -> Int? {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 18, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(value)
    }
}

/// The byte-level checks of a request line's parts from a source other than our parser.
enum HTTPSyntaxCheck {
    /// Whether every byte of `text` has `byteClass` in ``HTTPByteClass/table``, and passes `also`:
    /// one pass over the string's contiguous bytes, the table read once (not once per byte).
    @inline(__always)
    private static func all(_ text: String, _ byteClass: UInt8, also: (UInt8) -> Bool = { _ in true }) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            HTTPByteClass.table.withUnsafeBufferPointer { table in
                for byte in bytes where table[Int(byte)] & byteClass == 0 || !also(byte) {
                    return false
                }
                return true
            }
        }
    }

    /// RFC 9110 §5.6.2 `token`.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && Self.all(text, HTTPByteClass.token)
    }

    /// RFC 9113 §8.2.1: a field name of token characters, none of them upper case.
    static func isLowercaseToken(_ text: String) -> Bool {
        !text.isEmpty && Self.all(text, HTTPByteClass.token, also: { !($0 >= 0x41 && $0 <= 0x5A) })
    }

    /// RFC 9113 §8.2.1: no NUL, CR or LF anywhere, no space or tab first or last. (Other
    /// control bytes are refused too, as our HTTP/1 parser refuses them: the value goes to an
    /// HTTP/1.1 target as it is.)
    static func isFieldValue(_ text: String) -> Bool {
        let utf8 = text.utf8
        if let first = utf8.first, first == 0x20 || first == 0x09 { return false }
        if let last = utf8.last, last == 0x20 || last == 0x09 { return false }
        return Self.all(text, HTTPByteClass.fieldValue)
    }

    /// A name for a log line: at most 64 bytes, control bytes replaced.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    /// `/` then visible ASCII (no space, no control byte, nothing above 0x7E): written into an
    /// HTTP/1.1 request line as it is.
    static func isOriginFormTarget(_ text: String) -> Bool {
        text.utf8.first == UInt8(ascii: "/") && Self.all(text, HTTPByteClass.target)
    }

    /// `host[:port]` without userinfo: visible ASCII but `@`, `/`, `?`, `#`, `\`.
    static func isAuthority(_ text: String) -> Bool {
        !text.isEmpty
            && Self.all(text, HTTPByteClass.target) { byte in
                byte != UInt8(ascii: "@") && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "?")
                    && byte != UInt8(ascii: "#") && byte != UInt8(ascii: "\\")
            }
    }
}
