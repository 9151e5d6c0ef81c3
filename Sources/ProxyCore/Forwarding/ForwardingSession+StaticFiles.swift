#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// A static route's request between its head and its answer. A reference: the session clears
/// its optional one at every request, and clearing an inline value this size (a site's many
/// fields) cost more than a pointer.
final class StaticRequest {
    /// The route's site (read in place: `route.site.…`).
    let route: StaticRoute
    /// The request's path after the route's rewrite, without the query.
    let path: String
    /// Method and fields, for the conditions, `Range` and `Accept-Encoding`.
    let head: HTTPRequestHead

    init(route: StaticRoute, path: String, head: HTTPRequestHead) {
        self.route = route
        self.path = path
        self.head = head
    }
}

/// Static routes (`routes[].static`, docs/content.md): the request goes through the same edge
/// policy as a forwarded one (access lists, auth, rate limits, rewrite, header rules), then the
/// file is found and opened on the site's thread pool (``StaticFileResolver``), and sent by a
/// ``StaticFileStream``: `sendfile` on a plain HTTP/1 connection, chunked reads otherwise.
extension ForwardingSession {
    /// The head of a static route's request: `405` for methods other than GET and HEAD; else
    /// held until its end (and the policy's asynchronous checks), then ``serveStatic(_:)``.
    func startStatic(_ route: StaticRoute, head: ClientRequestHead, nioHead: HTTPRequestHead, peer: String?) {
        self.servesStatic = true
        guard head.method == .GET || head.method == .HEAD else {
            let refusal = PolicyRefusal(
                status: .methodNotAllowed,
                reason: "method_not_allowed",
                detail: "a static route takes GET and HEAD, not \(head.method.rawValue)",
                fields: [.init("Allow", "GET, HEAD")]
            )
            self.refuse(refusal, head: head, peer: peer)
            return
        }
        var uri = nioHead.uri
        if let rewritten = self.routePolicy?.rewrite?.apply(to: uri) {
            uri = rewritten
            self.record.upstreamURI = rewritten
        }
        // By bytes: finding a `Character` segments graphemes (~2,700 instructions per request).
        let path = uri.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }).map { String(uri[..<$0]) } ?? uri
        self.staticRequest = StaticRequest(route: route, path: path, head: nioHead)
        self.lease.beginLocal()
        // Joined only when there are any (an array append per request otherwise).
        if self.settings.policy?.admissionChecks.isEmpty == false || self.routePolicy?.admissionChecks.isEmpty == false {
            let checks = (self.settings.policy?.admissionChecks ?? []) + (self.routePolicy?.admissionChecks ?? [])
            var held = head
            held.facts.rawFields = nil
            held.facts.fieldHints = nil
            self.admit(checks, PendingRequest(head: held, nioHead: nioHead, group: nil, upstreamURI: nil, peer: peer))
            return
        }
        self.record.clientAddress = self.settings.requestRewriter.clientAddress(of: nioHead, peerAddress: peer)
        self.perform(self.machine.requestHeadAnsweredLocally())
    }

    /// Answers from this loop's cache of recent lookups (``StaticFileCache``: no system call, no
    /// thread hop), or looks the file up on the thread pool, keeps what may be kept, then answers.
    func serveStatic(_ request: StaticRequest) {
        self.staticGeneration &+= 1
        let generation = self.staticGeneration
        let route = request.route  // the site read in place: a copy retains each of its fields
        let path = request.path
        let codings = StaticFileResolver.codings(site: route.site, acceptEncoding: request.head.headers.first(name: "accept-encoding"))
        let key = StaticFileCache.Key(path: path, codings: codings)
        let caches = route.site.caches
        if caches, let cached = self.loop.staticFiles.withCache(for: route.site, { $0.lookup(key, now: .now()) }) {
            self.answerStatic(cached, request)
            return
        }
        let site = route.site
        let resolver = StaticFileResolver(site: site)
        // With the cache on, a HEAD reads a small file too, so that the entry serves a GET.
        let readsSmallFiles = request.head.method == .GET || caches
        site.threadPool.runIfActive(eventLoop: self.loop.eventLoop) {
            resolver.resolve(path: path, codings: codings, readsSmallFiles: readsSmallFiles)
        }.assumeIsolated().whenComplete { result in
            if caches, case .success(let lookup) = result, StaticFileCache.isCacheable(lookup) {
                self.loop.staticFiles.withCache(for: site) { $0.store(lookup, for: key, now: .now()) }
            }
            guard generation == self.staticGeneration, self.client != nil else {
                if case .success(.file(let file)) = result, file.descriptor >= 0 { close(file.descriptor) }
                return
            }
            switch result {
            case .success(let lookup):
                self.answerStatic(lookup, request)
            case .failure(let error):
                self.writeStaticResponse(self.settings.localResponses.refusal(
                    PolicyRefusal(status: .serviceUnavailable, reason: "static_lookup_failed", detail: "\(error)")
                ), request, error: "static lookup failed: \(error)")
            }
        }
    }

    private func answerStatic(_ lookup: StaticLookup, _ request: StaticRequest) {
        switch lookup {
        case .notFound:
            self.writeStaticResponse(self.settings.localResponses.notFound, request, error: nil)
        case .badRequest(let refusal):
            self.record.refusal = refusal.rawValue
            let response = self.settings.localResponses.refusal(
                PolicyRefusal(status: .badRequest, reason: refusal.rawValue, detail: "static path refused: \(refusal.rawValue)")
            )
            self.writeStaticResponse(response, request, error: "static path refused: \(refusal.rawValue)")
        case .directoryRedirect:
            // `/docs` → `/docs/`: the path as the client sent it (before the route's rewrite),
            // its query kept. Leading slashes (and backslashes, which browsers read as slashes)
            // collapse to one: `//host/..` in `Location` would name another site.
            let target = request.head.uri
            let queryStart = target.utf8.firstIndex(of: UInt8(ascii: "?")) ?? target.utf8.endIndex
            let path = target[..<queryStart].drop { $0 == "/" || $0 == "\\" }
            let location = "/" + String(path) + "/" + String(target[queryStart...])
            let body = ByteBuffer(string: "301 Moved Permanently\n")
            let fields = self.staticFields(
                [("Location", location), ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(body.readableBytes))],
                status: .movedPermanently,
                version: request.head.version
            )
            self.writeStaticResponse(LocalResponses.Response(status: .movedPermanently, headers: fields, body: body), request, error: nil)
        case .listing(let html):
            let body = ByteBuffer(string: html)
            let fields = self.staticFields(
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", String(body.readableBytes)), ("Cache-Control", "no-cache")],
                status: .ok,
                version: request.head.version
            )
            self.writeStaticResponse(LocalResponses.Response(status: .ok, headers: fields, body: body), request, error: nil)
        case .file(let file):
            self.answerStatic(file: file, request)
        }
    }

    private func answerStatic(file: OpenedFile, _ request: StaticRequest) {
        let plan = ConditionalRequest.plan(method: request.head.method, headers: request.head.headers, validators: file.validators)
        if plan == .full, let prepared = file.prepared, let contents = file.contents {
            // The whole small file, its fields encoded when it was looked up: only the
            // rewriter's lines and the header rules' are added (``PreparedFields``).
            let routeRules = self.routePolicy?.responseRewriter != nil
            let rewriter = self.routePolicy?.responseRewriter ?? self.settings.responseRewriter
            var added = HTTPHeaders()
            if self.routePolicy != nil || self.settings.policy != nil || !self.responseFields.isEmpty {
                self.addResponseFields(to: &added, routeRules: routeRules)
            }
            let head = ClientResponseHead(status: .ok, version: request.head.version, fields: added, targetFields: prepared.raw(rewriter: rewriter))
            self.writeStaticResponse(head: head, body: contents, request, error: nil)
            return
        }
        let made = StaticResponseHead(plan: plan, file: file, site: request.route.site)
        let fields = self.staticFields(made.fields, status: made.status, version: request.head.version)
        if let contents = file.contents {
            // A small file, read whole by the lookup: head and body in one write.
            let body = made.body.flatMap { contents.getSlice(at: Int($0.offset), length: Int($0.length)) } ?? ByteBuffer()
            self.writeStaticResponse(LocalResponses.Response(status: made.status, headers: fields, body: body), request, error: nil)
            return
        }
        guard let body = made.body, body.length > 0, request.head.method != .HEAD, let client = self.client else {
            if file.descriptor >= 0 { close(file.descriptor) }
            self.writeStaticResponse(LocalResponses.Response(status: made.status, headers: fields, body: ByteBuffer()), request, error: nil)
            return
        }
        self.record.status = made.status.code
        client.writeResponseHead(ClientResponseHead(status: made.status, version: request.head.version, fields: fields))
        let generation = self.staticGeneration
        let stream = StaticFileStream(
            descriptor: file.descriptor,
            offset: body.offset,
            length: body.length,
            site: request.route.site,
            eventLoop: self.loop.eventLoop,
            client: client
        ) { error in
            guard generation == self.staticGeneration else { return }
            self.staticFinished(error: error)
        }
        self.staticStream = stream
        stream.start()
    }

    /// The file was sent (`error == nil`) or could not be: the record, then the end or a close.
    private func staticFinished(error: String?) {
        guard let stream = self.staticStream else { return }
        self.staticStream = nil
        self.record.responseBytes = Int(stream.sentBytes)
        self.writeRecord(error: error)
        if error == nil {
            self.client?.writeResponseEnd(trailers: nil)
            self.client?.flushResponse()
        } else {
            self.client?.closeConnection()
        }
    }

    /// The client went away: a file being sent stops, a lookup's answer is dropped.
    func endStatic(error: String) {
        self.staticGeneration &+= 1
        guard let stream = self.staticStream else { return }
        self.staticStream = nil
        stream.cancel()
        self.record.responseBytes = Int(stream.sentBytes)
        self.writeRecord(error: error)
    }

    /// A static route's own fields with what every response of the route gets: `Server`,
    /// the listener's fixed fields (HSTS), the route's or listener's header rules.
    private func staticFields(_ own: [(String, String)], status: HTTPResponseStatus, version: HTTPVersion) -> HTTPHeaders {
        let routeRules = self.routePolicy?.responseRewriter != nil
        let rewriter = self.routePolicy?.responseRewriter ?? self.settings.responseRewriter
        var fields = rewriter.ownFields(own)
        if self.routePolicy != nil || self.settings.policy != nil || !self.responseFields.isEmpty {
            self.addResponseFields(to: &fields, routeRules: routeRules)
        }
        return fields
    }

    /// Writes a response held in memory (`404`, `400`, a listing, a `304`, a `HEAD`'s head).
    private func writeStaticResponse(_ response: LocalResponses.Response, _ request: StaticRequest, error: String?) {
        let head = ClientResponseHead(status: response.status, version: request.head.version, fields: response.headers)
        self.writeStaticResponse(head: head, body: response.body, request, error: error)
    }

    private func writeStaticResponse(head: ClientResponseHead, body: ByteBuffer, _ request: StaticRequest, error: String?) {
        let sendsBody = body.readableBytes > 0 && request.head.method != .HEAD
        self.record.status = head.status.code
        self.record.responseBytes = sendsBody ? body.readableBytes : 0
        self.client?.writeResponseHead(head)
        if sendsBody {
            self.client?.writeResponseBody(body)
        }
        self.writeRecord(error: error)
        self.client?.writeResponseEnd(trailers: nil)
        self.client?.flushResponse()
    }
}
