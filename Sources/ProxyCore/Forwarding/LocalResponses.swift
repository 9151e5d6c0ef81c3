public import NIOCore
public import NIOHTTP1

/// The responses a listener answers itself that do not depend on the request: each fixed
/// response route's, and the `404` when no route matches. Made once per listener (and again when
/// its routes or `Server` header change), so answering costs no header building, no string
/// formatting and no body copy per request: a pure TLS-offload target answers from here.
public struct LocalResponses: Sendable {
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        /// `Server` (when configured), `Content-Type` and `Content-Length`.
        public var headers: HTTPHeaders
        public var body: ByteBuffer
    }

    /// By route index; `nil` for routes that forward or redirect.
    private var byRoute: [Response?]
    public private(set) var notFound: Response

    /// `Server` (when configured) and the listener's fixed response fields (HSTS, static rule lines).
    private let leadingFields: HTTPHeaders

    public init(router: Router, serverHeader: String?, fixedFields: [(String, String)] = []) {
        let allocator = ByteBufferAllocator()
        var leading = HTTPHeaders()
        if let serverHeader, !serverHeader.isEmpty {
            leading.add(name: "Server", value: serverHeader)
        }
        leading.add(contentsOf: fixedFields)
        self.leadingFields = leading
        func make(_ status: HTTPResponseStatus, _ body: String, _ contentType: String) -> Response {
            var headers = leading
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            return Response(status: status, headers: headers, body: allocator.buffer(string: body))
        }
        self.byRoute = router.routes.map { route in
            guard case .fixedResponse(let status, let body, let contentType) = route.action else { return nil }
            return make(status, body, contentType)
        }
        self.notFound = make(.notFound, "404 Not Found\n", "text/plain; charset=utf-8")
    }

    /// A redirect route's response: its `Location` follows the request, so it is made per request.
    public func redirect(_ rule: RedirectRule, requestScheme: String, requestHost: String?, uri: String) -> Response {
        var headers = self.leadingFields
        headers.add(name: "Location", value: rule.location(requestScheme: requestScheme, requestHost: requestHost, uri: uri))
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        let body = "\(rule.status.code) \(rule.status.reasonPhrase)\n"
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        return Response(status: rule.status, headers: headers, body: ByteBuffer(string: body))
    }

    /// The answer to an ACME HTTP-01 request: the key authorization as `text/plain`, or `404`
    /// for an unknown token (`nil`).
    public func acmeChallenge(_ keyAuthorization: String?) -> Response {
        guard let keyAuthorization else { return self.notFound }
        var headers = self.leadingFields
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: String(keyAuthorization.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        return Response(status: .ok, headers: headers, body: ByteBuffer(string: keyAuthorization))
    }

    /// A refusal of the edge policy (`403`, `429`, `400`, …): its own fields (`Retry-After`, …)
    /// after the leading ones, a short plain-text body, `Cache-Control: no-store`.
    public func refusal(_ refusal: PolicyRefusal) -> Response {
        var headers = self.leadingFields
        for field in refusal.fields {
            headers.add(name: field.name, value: field.value)
        }
        let body = refusal.body ?? ByteBuffer(string: "\(refusal.status.code) \(refusal.status.reasonPhrase)\n")
        if refusal.body == nil || !refusal.fields.contains(where: { HeaderName.equals($0.name, "content-type") }) {
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        return Response(status: refusal.status, headers: headers, body: body)
    }

    /// The prepared response of the route at `index`, if it is a fixed response route.
    public func fixedResponse(route index: Int) -> Response? {
        index < self.byRoute.count ? self.byRoute[index] : nil
    }
}
