import NIOCore
public import NIOHTTP1

/// Why a request is refused before anything of it is forwarded.
public struct RequestRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public var status: HTTPResponseStatus
    /// For logs; never sent to the client beyond the status line's reason phrase.
    public var reason: String

    public init(_ status: HTTPResponseStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(self.status.code) \(self.reason)" }
}

/// What a validated request head says about its body.
public enum RequestBodyFraming: Hashable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}

/// What a request head's fields say about framing, `Host`, `Expect` and keeping the
/// connection, once its bytes were found valid.
///
/// Our parser notes it while it reads the fields (``RequestFraming``), so the guard
/// validates a head without a pass over its fields; ``RequestValidator/facts(of:)`` finds it in
/// a head from anywhere else.
public struct RequestFacts: Hashable, Sendable {
    /// As the fields frame the body (before the body limit is applied).
    public var framing: RequestBodyFraming
    public var hostCount: Int
    public var expectsContinue: Bool
    /// The first `Expect` value that is not `100-continue`.
    public var unsupportedExpect: String?
    public var keepAlive: Bool
    /// Which fields the request rewriter may copy without looking at their names; from the
    /// parser only.
    public var fieldHints: FieldHints?
    /// The head's field lines as received, with ``fieldHints`` (``RequestHeaderRewriter``): a
    /// slice of the received bytes, to be used before the read that brought them returns.
    var rawFields: ByteBuffer?

    public init(
        framing: RequestBodyFraming,
        hostCount: Int,
        expectsContinue: Bool,
        unsupportedExpect: String?,
        keepAlive: Bool,
        fieldHints: FieldHints? = nil
    ) {
        self.init(
            framing: framing,
            hostCount: hostCount,
            expectsContinue: expectsContinue,
            unsupportedExpect: unsupportedExpect,
            keepAlive: keepAlive,
            fieldHints: fieldHints,
            rawFields: nil
        )
    }

    init(
        framing: RequestBodyFraming,
        hostCount: Int,
        expectsContinue: Bool,
        unsupportedExpect: String?,
        keepAlive: Bool,
        fieldHints: FieldHints?,
        rawFields: ByteBuffer?
    ) {
        self.framing = framing
        self.hostCount = hostCount
        self.expectsContinue = expectsContinue
        self.unsupportedExpect = unsupportedExpect
        self.keepAlive = keepAlive
        self.fieldHints = fieldHints
        self.rawFields = rawFields
    }
}

/// Checks a decoded request head for the ambiguities that enable request smuggling and for
/// what HTTP/1.1 requires.
///
/// A pure function: the ``HTTP1ServerConnection`` turns a rejection into a response and a close.
/// In two steps: the bytes and framing (``facts(of:)``, which our parser does itself while it
/// reads a head), then what the facts must satisfy (``validate(_:facts:maxBodyBytes:)``).
public enum RequestValidator {
    /// - Returns: How the body is framed.
    /// - Throws: ``RequestRejection`` with `400`, `413` or `417`.
    public static func validate(_ head: HTTPRequestHead, maxBodyBytes: Int?) throws(RequestRejection) -> RequestBodyFraming {
        try Self.validate(head, facts: Self.facts(of: head), maxBodyBytes: maxBodyBytes)
    }

    /// What a valid set of facts must also satisfy: one `Host` (in HTTP/1.1), no expectation but
    /// `100-continue`, a declared body within the limit, no body on `TRACE`.
    public static func validate(_ head: HTTPRequestHead, facts: RequestFacts, maxBodyBytes: Int?) throws(RequestRejection) -> RequestBodyFraming {
        if head.version == .http1_1 && facts.hostCount == 0 {
            throw RequestRejection(.badRequest, "missing Host header")
        }
        if facts.hostCount > 1 {
            throw RequestRejection(.badRequest, "more than one Host header")
        }
        // Every Expect must be 100-continue (the only expectation HTTP/1.1 defines): after
        // validation, an Expect header means exactly that.
        if let expect = facts.unsupportedExpect {
            throw RequestRejection(.expectationFailed, "unsupported Expect: \(expect)")
        }
        if case .contentLength(let length) = facts.framing, let maxBodyBytes, length > maxBodyBytes {
            throw RequestRejection(.payloadTooLarge, "Content-Length \(length) exceeds \(maxBodyBytes)")
        }
        if head.method.isTRACE && facts.framing != .none {
            // RFC 9110 §9.3.8: a TRACE request must not have content, and the HTTP encoder
            // drops its framing headers, so a body would reach the target unframed.
            throw RequestRejection(.badRequest, "TRACE with a body")
        }
        return facts.framing
    }

    /// Checks the head's bytes (version, target, field names and values) and framing fields,
    /// and collects its facts: what our parser does while it reads a head.
    public static func facts(of head: HTTPRequestHead) throws(RequestRejection) -> RequestFacts {
        guard head.version.major == 1, head.version.minor <= 1, head.version.minor >= 0 else {
            throw RequestRejection(.badRequest, "unsupported HTTP version \(head.version)")
        }
        guard !head.uri.isEmpty, Self.every(byteOf: head.uri, is: HTTPByteClass.target) else {
            throw RequestRejection(.badRequest, "invalid request target")
        }
        var hostCount = 0
        var contentLengths: [Substring] = []
        var transferCodings: [Substring] = []
        var expectsContinue = false
        var unsupportedExpect: String?
        for (name, value) in head.headers {
            guard Self.isToken(name) else {
                throw RequestRejection(.badRequest, "invalid header name")
            }
            guard Self.isFieldValue(value) else {
                throw RequestRejection(.badRequest, "control character in header \(name)")
            }
            if HeaderName.equals(name, "host") {
                hostCount += 1
            } else if HeaderName.equals(name, "content-length") {
                contentLengths.append(contentsOf: value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() })
            } else if HeaderName.equals(name, "transfer-encoding") {
                transferCodings.append(contentsOf: value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty })
            } else if HeaderName.equals(name, "expect") {
                if HeaderName.equals(value, "100-continue") {
                    expectsContinue = true
                } else {
                    unsupportedExpect = unsupportedExpect ?? value
                }
            }
        }

        var framing = RequestBodyFraming.none
        if !transferCodings.isEmpty {
            guard contentLengths.isEmpty else {
                throw RequestRejection(.badRequest, "both Content-Length and Transfer-Encoding")
            }
            guard head.version == .http1_1 else {
                throw RequestRejection(.badRequest, "Transfer-Encoding in an HTTP/1.0 request")
            }
            guard transferCodings.last?.lowercased() == "chunked",
                transferCodings.dropLast().allSatisfy({ $0.lowercased() != "chunked" })
            else {
                throw RequestRejection(.badRequest, "Transfer-Encoding does not end in chunked")
            }
            framing = .chunked
        } else if let first = contentLengths.first {
            guard contentLengths.allSatisfy({ $0 == first }) else {
                throw RequestRejection(.badRequest, "conflicting Content-Length values")
            }
            // Even the same length twice (two fields, or a list): as our parser refuses it.
            guard contentLengths.count == 1 else {
                throw RequestRejection(.badRequest, "repeated Content-Length")
            }
            guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let length = Int(first)
            else {
                throw RequestRejection(.badRequest, "invalid Content-Length")
            }
            framing = length == 0 ? .none : .contentLength(length)
        }
        return RequestFacts(
            framing: framing,
            hostCount: hostCount,
            expectsContinue: expectsContinue,
            unsupportedExpect: unsupportedExpect,
            keepAlive: KeepAlive.isKeepAlive(head.headers, version: head.version)
        )
    }

    /// RFC 9110 `token`: visible ASCII except delimiters.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && Self.every(byteOf: text, is: HTTPByteClass.token)
    }

    /// RFC 9110 `field-value`: no control characters except horizontal tab (so no CR, LF or NUL,
    /// which also rules out obs-fold continuation lines).
    static func isFieldValue(_ text: String) -> Bool {
        Self.every(byteOf: text, is: HTTPByteClass.fieldValue)
    }

    @inline(__always)
    private static func every(byteOf text: String, is wanted: UInt8) -> Bool {
        HTTPByteClass.table.withUnsafeBufferPointer { table in
            text.utf8.withContiguousStorageIfAvailable { bytes in
                for byte in bytes where table[Int(byte)] & wanted == 0 {
                    return false
                }
                return true
            } ?? text.utf8.allSatisfy { table[Int($0)] & wanted != 0 }
        }
    }
}
