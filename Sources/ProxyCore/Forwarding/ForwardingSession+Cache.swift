import Logging
import NIOCore
import NIOHTTP1
import ProxyDefaults

/// The session's part in a route's HTTP cache: one stored property of the session.
struct SessionCache {
    /// The matched route's cache (`nil`: none; all a route without a cache pays is this check).
    var route: ResponseCache?
    /// The request in flight's use of it.
    var exchange: CacheExchange?
    /// Counts waits for another request's fill: an answer for a request that is gone is dropped.
    var generation = 0
    /// After a wait, how the fill ended: stored (looked up again, marked collapsed), not
    /// stored (forwarded without the cache, as the fill found it uncacheable), or the target
    /// failed (a stale response within `stale-if-error` answers; else forwarded).
    var collapsed: ResponseCache.FillOutcome?
    /// The wait outlasted ``ProxyDefaults/Defaults/Cache/lockTimeoutMilliseconds``: forwarded on its own.
    var lockTimedOut = false
    /// The request is looked up again after this session read its key from the disk tier.
    var readDisk = false
    /// A background revalidation's own session: the fill it carries out, and the stale response.
    var background: (fill: CacheFill, stale: StoredResponse)?
}

/// A request's use of its route's cache, from the lookup to the end of the response.
struct CacheExchange {
    var cache: ResponseCache
    var key: String
    var status: CacheStatus
    /// This request fetches the key for the cache (`nil`: it does not store what comes back).
    var fill: CacheFill?
    /// The stored response being revalidated (or answered on an error).
    var stale: StoredResponse?
    var requestFields: HTTPHeaders
    var requestTime: Int64
    /// The stale response's validators went with the request.
    var revalidating = false
    /// The response being kept: its head and its body so far.
    var capture: (status: HTTPResponseStatus, fields: HTTPHeaders, responseTime: Int64, body: ByteBuffer)?
    /// The target's body is dropped: a stored response was answered instead.
    var discardsBody = false
}

/// Routes with a `cache` (docs/content.md, decision 0029): a fresh stored response answers the
/// request here; a miss is forwarded and its response kept when RFC 9111 allows; concurrent
/// misses wait for the first one's response (``ResponseCache``); a stale response is revalidated
/// with its validators, or served while it is revalidated in the background
/// (`stale-while-revalidate`), or served when the target fails (`stale-if-error`).
extension ForwardingSession {
    /// Before forwarding on a route with a cache: `true` when the request was answered from the
    /// cache (or is held for another request's fill); `false` to forward it (``cache``'s
    /// exchange says what becomes of the response).
    func cacheTakes(_ cache: ResponseCache, _ head: ClientRequestHead, nioHead: HTTPRequestHead, request: PendingRequest, admitted: Bool) -> Bool {
        let now = CacheClock.now()
        let facts = CacheRequestFacts(nioHead.headers)
        let key = ResponseCache.key(scheme: self.settings.scheme, host: facts.host, target: nioHead.uri)
        if let background = self.cache.background {
            self.cache.background = nil
            self.startCacheExchange(cache, key: key, status: CacheStatus(forward: .stale), fill: background.fill, stale: background.stale, nioHead: nioHead, now: now)
            self.cache.exchange!.status.detail = "background"
            return false
        }
        if nioHead.method == .PURGE {
            self.answerPurge(cache, key: key, nioHead: nioHead, peer: request.peer, admitted: admitted)
            return true
        }
        let collapsed = self.cache.collapsed
        self.cache.collapsed = nil
        let readDisk = self.cache.readDisk
        self.cache.readDisk = false
        let requestControl = facts.hasCacheControl ? CacheControl(nioHead.headers) : CacheControl()
        var plan = CacheRules.plan(method: nioHead.method, hasBody: head.facts.framing != .none, requestControl: requestControl)
        if head.upgrade != nil {
            plan = .bypass("upgrade")  // a WebSocket handshake is never answered from the cache
        } else if let host = facts.host, !ResponseCache.isKeyableHost(host) {
            // `Host: example.com/account` would make the key of another URL: never cached.
            plan = .bypass("host")
        }
        if case .bypass(let why) = plan {
            var status = CacheStatus(forward: nioHead.method == .GET || nioHead.method == .HEAD ? .bypass : .method)
            status.detail = why
            self.startCacheExchange(cache, key: key, status: status, fill: nil, stale: nil, nioHead: nioHead, now: now)
            return false
        }
        switch collapsed {
        case .failed(let failure):
            // The fill's request found the target failing: the stale response answers this one
            // too where `stale-if-error` allows (as it answered the fill's), without a request.
            if let stale = cache.staleOnError(key, requestFields: nioHead.headers, now: now) {
                var status = CacheStatus(hit: true, forward: .stale)
                status.forwardStatus = failure
                status.collapsed = true
                status.detail = "stale-if-error"
                self.answerFromCache(stale, status: status, nioHead: nioHead, facts: facts, peer: request.peer, admitted: admitted, now: now)
                return true
            }
            var status = CacheStatus(forward: .miss)
            status.detail = "fill-failed"
            status.collapsed = true
            self.startCacheExchange(cache, key: key, status: status, fill: nil, stale: nil, nioHead: nioHead, now: now)
            return false
        case .notStored:
            var status = CacheStatus(forward: .miss)
            status.detail = self.cache.lockTimedOut ? "lock-timeout" : "uncacheable"
            self.cache.lockTimedOut = false
            status.collapsed = true
            self.startCacheExchange(cache, key: key, status: status, fill: nil, stale: nil, nioHead: nioHead, now: now)
            return false
        case .stored, nil:
            break
        }
        let eventLoop = self.loop.eventLoop
        let lookup = cache.lookup(
            key,
            requestFields: nioHead.headers,
            requestControl: requestControl,
            refresh: plan == .refresh,
            // A range or a conditional request is answered from the cache, but on a miss it is
            // forwarded as it is (its 206 or 304 would not fill the cache for the others).
            fills: nioHead.method == .GET && !facts.hasRange && !facts.isConditional,
            usesDisk: !readDisk,
            now: now
        ) { eventLoop.makePromise(of: ResponseCache.FillOutcome.self) }
        switch lookup {
        case .hit(let stored, let freshness, let revalidate):
            var status = CacheStatus(hit: true)
            status.collapsed = collapsed == .stored
            if case .fresh(let ttl) = freshness {
                status.ttl = ttl
                if readDisk { status.detail = "disk" }
            } else {
                status.forward = .stale
                status.detail = "stale-while-revalidate"
            }
            if let revalidate {
                self.revalidateInBackground(CacheFill(cache: cache, key: key, id: revalidate), stale: stored, request: nioHead, peer: request.peer)
            }
            self.answerFromCache(stored, status: status, nioHead: nioHead, facts: facts, peer: request.peer, admitted: admitted, now: now)
            return true
        case .fill(let id, let stale, let varyMiss):
            let forward: CacheStatus.Forward = plan == .refresh ? .request : stale != nil ? .stale : varyMiss ? .varyMiss : .uriMiss
            self.startCacheExchange(cache, key: key, status: CacheStatus(forward: forward), fill: CacheFill(cache: cache, key: key, id: id), stale: stale, nioHead: nioHead, now: now)
            return false
        case .miss(let stale):
            self.startCacheExchange(cache, key: key, status: CacheStatus(forward: stale != nil ? .stale : .uriMiss), fill: nil, stale: stale, nioHead: nioHead, now: now)
            return false
        case .wait(let waiter):
            self.holdForCache(request, admitted: admitted, until: waiter.futureResult, lockTimeout: true) { outcome in
                self.cache.collapsed = outcome
            }
            return true
        case .disk(let id):
            // Read off the event loop; the fill holds concurrent requests for the key meanwhile.
            self.holdForCache(request, admitted: admitted, until: cache.readFromDisk(key, id: id, eventLoop: eventLoop)) { _ in
                self.cache.readDisk = true
            }
            return true
        }
    }

    /// Holds the request (its body buffered as for an asynchronous admission check) until
    /// `future` succeeds, then forwards it again through the cache after `prepare`; an answer
    /// for a request that is gone is dropped.
    private func holdForCache<Value: Sendable>(
        _ request: PendingRequest,
        admitted: Bool,
        until future: EventLoopFuture<Value>,
        lockTimeout: Bool = false,
        prepare: @escaping (Value) -> Void
    ) {
        if !admitted {
            self.perform(self.machine.requestHeadAwaitingAdmission())
        }
        self.cache.generation &+= 1
        let generation = self.cache.generation
        var held = request
        held.head.facts.rawFields = nil
        held.head.facts.fieldHints = nil
        // A wait for another request's fill: past the lock timeout the request goes to the
        // target on its own (the fill's slow client must not hold it).
        let timeout = !lockTimeout ? nil : future.eventLoop.assumeIsolated().scheduleTask(
            in: .milliseconds(Defaults.Cache.lockTimeoutMilliseconds)
        ) {
            guard generation == self.cache.generation, self.client != nil, self.machine.isAdmitting else { return }
            self.cache.generation &+= 1
            self.cache.collapsed = .notStored
            self.cache.lockTimedOut = true
            self.forward(held.head, nioHead: held.nioHead, group: held.group, upstreamURI: held.upstreamURI, peer: held.peer, admitted: true)
        }
        future.assumeIsolated().whenSuccess { value in
            timeout?.cancel()
            guard generation == self.cache.generation, self.client != nil, self.machine.isAdmitting else { return }
            prepare(value)
            self.forward(held.head, nioHead: held.nioHead, group: held.group, upstreamURI: held.upstreamURI, peer: held.peer, admitted: true)
        }
    }

    private func startCacheExchange(
        _ cache: ResponseCache,
        key: String,
        status: CacheStatus,
        fill: CacheFill?,
        stale: StoredResponse?,
        nioHead: HTTPRequestHead,
        now: Int64
    ) {
        var exchange = CacheExchange(cache: cache, key: key, status: status, fill: fill, stale: stale, requestFields: nioHead.headers, requestTime: now)
        // Revalidated with its validators, unless the client sent conditions of its own (its
        // `304` would then be the client's answer, not the cache's).
        if let stale, fill != nil || stale.staleIfError > 0,
            stale.etag != nil || stale.lastModified != nil,
            !nioHead.headers.contains(name: "if-none-match"), !nioHead.headers.contains(name: "if-modified-since")
        {
            exchange.revalidating = true
        }
        self.record.cache = status.result
        self.cache.exchange = exchange
    }

    /// The validators a revalidation adds to the request sent to the target (RFC 9111 §4.3.1).
    func cacheValidators(into head: inout UpstreamRequestHead) {
        guard let exchange = self.cache.exchange, exchange.revalidating, let stale = exchange.stale else { return }
        var fields: [(String, String)] = []
        if let etag = stale.etag { fields.append(("If-None-Match", etag)) }
        if let lastModified = stale.lastModified { fields.append(("If-Modified-Since", lastModified)) }
        head.appendFields(fields)
    }

    /// `PURGE` of a URL: removes its stored responses, for an address `cache.purge.allow` lists.
    private func answerPurge(_ cache: ResponseCache, key: String, nioHead: HTTPRequestHead, peer: String?, admitted: Bool) {
        self.lease.beginLocal()
        let clientAddress = self.settings.requestRewriter.clientAddress(of: nioHead, peerAddress: peer)
        self.record.clientAddress = clientAddress
        let response: LocalResponses.Response
        var error: String?
        if cache.purgeAllowed(clientAddress) {
            let purged = cache.purge(key: key)
            var body = ByteBuffer(string: "{\"purged\":\(purged)}\n")
            if nioHead.method == .HEAD { body.clear() }
            let status: HTTPResponseStatus = purged > 0 ? .ok : .notFound
            var fields = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.readableBytes))])
            if let server = self.settings.serverHeader { fields.add(name: "Server", value: server) }
            response = LocalResponses.Response(status: status, headers: fields, body: body)
            self.record.cache = "purge"
        } else {
            self.record.refusal = "purge_forbidden"
            error = "PURGE from an address cache.purge.allow does not list"
            response = self.settings.localResponses.refusal(
                PolicyRefusal(status: .forbidden, reason: "purge_forbidden", detail: "PURGE is not allowed from this address")
            )
        }
        self.localResponse = (ClientResponseHead(status: response.status, version: nioHead.version, fields: response.headers), response.body, error)
        self.perform(admitted ? self.machine.admittedToAnswerLocally() : self.machine.requestHeadAnsweredLocally())
    }

    /// Answers the request with a stored response, once the request has ended.
    private func answerFromCache(
        _ stored: StoredResponse,
        status: CacheStatus,
        nioHead: HTTPRequestHead,
        facts: CacheRequestFacts,
        peer: String?,
        admitted: Bool,
        now: Int64
    ) {
        self.lease.beginLocal()
        self.record.clientAddress = self.settings.requestRewriter.clientAddress(of: nioHead, peerAddress: peer)
        self.record.cache = status.result
        let (head, body) = self.cachedResponse(stored, status: status, request: nioHead, facts: facts, now: now)
        self.localResponse = (head, body, nil)
        self.perform(admitted ? self.machine.admittedToAnswerLocally() : self.machine.requestHeadAnsweredLocally())
    }

    /// A stored response as the client gets it: `Age` and `Cache-Status` added, a `304` when the
    /// client's own conditions hold, compressed as the route compresses, with the route's or
    /// listener's response rewriting.
    /// `facts`: the request's, as ``cacheTakes(_:_:nioHead:request:admitted:)`` read them.
    func cachedResponse(
        _ stored: StoredResponse,
        status: CacheStatus,
        request: HTTPRequestHead,
        facts: CacheRequestFacts,
        now: Int64
    ) -> (ClientResponseHead, ByteBuffer) {
        let age = String(max(0, stored.currentAge(now: now) / 1000))
        let conditionsHold = facts.isConditional && Self.clientConditionsHold(request.headers, stored)
        let routeRules = self.routePolicy?.responseRewriter != nil
        let rewriter = self.routePolicy?.responseRewriter ?? self.settings.responseRewriter
        if let prepared = stored.prepared, !conditionsHold, !self.compressesCached(stored) {
            // The stored head's lines as they were prepared when it was kept (with its
            // `Content-Length`): only `Age`, `Cache-Status` and the header rules' lines are made
            // per hit, and the rewriter removes and adds as it does for a target's lines.
            let lines = prepared.raw(rewriter: rewriter) { lines in
                lines.writeStaticString("Age: ")
                lines.writeString(age)
                lines.writeStaticString("\r\nCache-Status: ")
                status.write(into: &lines)
                HTTP1Serializer.writeCRLF(into: &lines)
            }
            var fields = HTTPHeaders()
            if self.routePolicy != nil || self.settings.policy != nil || !self.responseFields.isEmpty {
                self.addResponseFields(to: &fields, routeRules: routeRules)
            }
            let head = ClientResponseHead(status: stored.status, version: request.version, fields: fields, targetFields: lines, requestID: self.record.requestID)
            return (head, stored.body)
        }
        var fields = stored.fields
        var body = stored.body
        var code = stored.status
        fields.add(name: "Age", value: age)
        fields.add(name: "Cache-Status", value: status.fieldValue)
        if conditionsHold {
            code = .notModified
            body = ByteBuffer()
        } else if code != .noContent, code != .notModified {
            fields.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            if let compression = self.routeCompression, let coding = self.requestCoding, compression.compresses(status: code, fields: fields),
                var compressor = ResponseCompressor(coding: coding, level: compression.levels.level(for: coding))
            {
                do {
                    var compressed = try compressor.compress(body, flush: false, allocator: ByteBufferAllocator())
                    var tail = try compressor.finish(allocator: ByteBufferAllocator())
                    compressed.writeBuffer(&tail)
                    body = compressed
                    CompressionPolicy.compressedFields(&fields, coding: coding)
                    fields.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
                    self.record.compression = RequestRecord.CompressionNote(coding: coding, bytesIn: compressor.bytesIn, bytesOut: compressor.bytesOut)
                } catch {
                    self.logger.error("response compression failed", metadata: ["error": "\(error)", "listener": "\(self.settings.name)"])
                }
            }
        }
        var rewritten = rewriter.rewrite(HTTPResponseHead(version: request.version, status: code, headers: fields), clientVersion: request.version)
        if self.routePolicy != nil || self.settings.policy != nil || !self.responseFields.isEmpty {
            self.addResponseFields(to: &rewritten.headers, routeRules: routeRules)
        }
        var head = ClientResponseHead(status: rewritten.status, version: rewritten.version, fields: rewritten.headers)
        head.requestID = self.record.requestID
        return (head, body)
    }

    /// Whether the route compresses `stored` for this request (the test of the slow path in
    /// ``cachedResponse(_:status:request:facts:now:)``, made on the stored fields and body length).
    private func compressesCached(_ stored: StoredResponse) -> Bool {
        guard let compression = self.routeCompression, self.requestCoding != nil, stored.status != .noContent, stored.status != .notModified else {
            return false
        }
        return stored.body.readableBytes >= compression.minBytes && compression.compresses(status: stored.status, fields: stored.fields)
    }

    /// Whether the client's `If-None-Match` (else `If-Modified-Since`) holds for `stored`
    /// (RFC 9111 §4.3.2): it then gets a `304`.
    static func clientConditionsHold(_ fields: HTTPHeaders, _ stored: StoredResponse) -> Bool {
        guard stored.status == .ok else { return false }
        let ifNoneMatch = fields[canonicalForm: "if-none-match"]
        if !ifNoneMatch.isEmpty {
            guard let etag = stored.etag else { return false }
            return ConditionalRequest.matches(ifNoneMatch, etag: etag, weak: true)
        }
        if let since = fields.first(name: "if-modified-since").flatMap(HTTPDate.parse),
            let modified = (stored.lastModified ?? stored.fields.first(name: "date")).flatMap(HTTPDate.parse)
        {
            return modified <= since
        }
        return false
    }

    /// Revalidates `stale` in a session of its own, on the next tick (the client is answered
    /// from the cache meanwhile).
    private func revalidateInBackground(_ fill: CacheFill, stale: StoredResponse, request: HTTPRequestHead, peer: String?) {
        var fields = request.headers
        for name in ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"] {
            fields.remove(name: name)
        }
        let head = ClientRequestHead(
            method: .GET,
            target: request.uri,
            version: request.version,
            fields: fields,
            facts: RequestFacts(framing: .none, hostCount: 1, expectsContinue: false, unsupportedExpect: nil, keepAlive: true)
        )
        let settings = self.settings
        let loop = self.loop
        let logger = self.logger
        self.loop.eventLoop.assumeIsolated().execute {
            let session = ForwardingSession(settings: settings, loop: loop, logger: logger)
            let client = CacheRevalidationClient(peerAddress: peer)
            client.session = session
            session.client = client
            session.cache.background = (fill, stale)
            session.requestHead(head)
            session.requestEnd()
            session.clientReadComplete()
        }
    }

    // MARK: The response

    /// The target's response head on a route with a cache: `true` when a stored response was
    /// answered instead (a `304` to a revalidation, or an error within `stale-if-error`);
    /// otherwise notes whether the response is kept.
    func cacheResponseHead(_ head: UpstreamResponseHead) -> Bool {
        guard var exchange = self.cache.exchange else { return false }
        let method = self.record.head?.method ?? .GET
        let code = head.status.code
        if !(method == .GET || method == .HEAD || method == .OPTIONS || method == .TRACE), code < 400 {
            // An unsafe method that succeeded invalidates what is stored for its URL (§4.4).
            exchange.cache.purge(key: exchange.key)
        }
        guard exchange.fill != nil || exchange.stale != nil else { return false }
        let now = CacheClock.now()
        let fields = head.fields
        let settings = exchange.cache.settings
        if exchange.revalidating, head.status == .notModified, let stale = exchange.stale {
            let merged = CacheRules.merge(stale, notModified: fields, requestTime: exchange.requestTime, responseTime: now, defaultTTL: settings.defaultTTL)
            // The `304` answers this client: a `Set-Cookie`, `private` or `no-store` on it makes
            // the merged response this client's alone, so it is not kept (and the old one goes).
            let control = CacheControl(fields)
            let keeps = !fields.contains(name: "set-cookie") && !control.isPrivate && !control.noStore
            exchange.fill?.finish(storing: keeps ? merged : nil)
            if !keeps { exchange.cache.purge(key: exchange.key) }
            exchange.fill = nil
            exchange.status.forwardStatus = 304
            exchange.discardsBody = true
            self.cache.exchange = exchange
            self.writeStored(merged, status: exchange.status, now: now)
            return true
        }
        let failed = [500, 502, 503, 504].contains(code)
        if let stale = exchange.stale, failed, CacheRules.servesOnError(stale, now: now) {
            exchange.fill?.fail(status: code)
            exchange.fill = nil
            // Not a `hit` (RFC 9211 §2.1): the request went to the target.
            var status = CacheStatus(hit: false, forward: .stale)
            status.forwardStatus = code
            status.detail = "stale-if-error"
            exchange.status = status
            exchange.discardsBody = true
            self.cache.exchange = exchange
            self.writeStored(stale, status: status, now: now)
            return true
        }
        if exchange.stale != nil { exchange.status.forwardStatus = code }
        if let fill = exchange.fill {
            let control = CacheControl(fields)
            if let why = CacheRules.refusal(
                method: method,
                status: head.status,
                responseFields: fields,
                responseControl: control,
                requestHasAuthorization: exchange.requestFields.contains(name: "authorization") || self.routeAuthenticates,
                defaultTTL: settings.defaultTTL
            ) {
                exchange.status.detail = why
                if failed {
                    fill.fail(status: code)
                } else {
                    fill.finish(storing: nil)
                }
                exchange.fill = nil
            } else if let length = fields.first(name: "content-length").flatMap({ Int($0.trimmingSpaces()) }), length > settings.maxObjectBytes {
                exchange.status.detail = "too-large"
                fill.finish(storing: nil)
                exchange.fill = nil
            } else {
                // Room for the whole body when its length is known: one allocation of its size,
                // not a buffer doubled as it grows (decision 0029: the memory bound); at most
                // `captureReservation` before the bytes come, so that targets announcing large
                // bodies they do not send cannot make every miss hold `max_object`.
                let length = fields.first(name: "content-length").flatMap { Int($0.trimmingSpaces()) } ?? 0
                let reserved = max(0, min(length, settings.maxObjectBytes, Defaults.Cache.captureReservationBytes))
                exchange.capture = (head.status, fields, now, ByteBufferAllocator().buffer(capacity: reserved))
                exchange.status.stored = true
            }
        }
        self.record.cache = exchange.status.result
        self.cache.exchange = exchange
        return false
    }

    /// Writes a stored response's head and body in place of the target's (the target's body is
    /// then dropped, and its end ends the response).
    private func writeStored(_ stored: StoredResponse, status: CacheStatus, now: Int64) {
        guard let request = self.record.head else { return }
        self.record.cache = status.result
        let (head, body) = self.cachedResponse(stored, status: status, request: request, facts: CacheRequestFacts(request.headers), now: now)
        self.record.status = head.status.code
        self.client?.writeResponseHead(head)
        if body.readableBytes > 0, request.method != .HEAD {
            self.record.responseBytes += body.readableBytes
            self.client?.writeResponseBody(body)
        }
        self.client?.flushResponse()
    }

    /// A part of the target's body on a route with a cache: kept when the response is (a
    /// response that grows past `max_object` is not); `true` when it is dropped instead of sent.
    func cacheResponseBody(_ body: ByteBuffer) -> Bool {
        guard self.cache.exchange != nil else { return false }
        if self.cache.exchange!.discardsBody { return true }
        guard self.cache.exchange!.capture != nil else { return false }
        if self.cache.exchange!.capture!.body.readableBytes + body.readableBytes > self.cache.exchange!.cache.settings.maxObjectBytes {
            self.cache.exchange!.capture = nil
            self.cache.exchange!.fill?.finish(storing: nil)
            self.cache.exchange!.fill = nil
        } else {
            self.cache.exchange!.capture!.body.writeImmutableBuffer(body)
        }
        return false
    }

    /// The target's response ended: a kept response is stored (and the waiters told).
    func cacheResponseEnded() {
        guard let exchange = self.cache.exchange else { return }
        self.cache.exchange = nil
        guard let capture = exchange.capture, let fill = exchange.fill, self.record.head?.method == .GET else { return }
        fill.finish(
            storing: CacheRules.store(
                key: exchange.key,
                status: capture.status,
                responseFields: capture.fields,
                body: capture.body,
                requestFields: exchange.requestFields,
                requestTime: exchange.requestTime,
                responseTime: capture.responseTime,
                defaultTTL: exchange.cache.settings.defaultTTL
            )
        )
    }

    /// The target could not be reached or failed: a stale response within `stale-if-error`
    /// answers instead (`true`); the fill, if any, ends.
    func cacheServesStaleOnError(_ error: UpstreamError) -> Bool {
        guard let exchange = self.cache.exchange else { return false }
        self.cache.exchange = nil
        exchange.fill?.fail(status: error.httpStatus.code)
        let now = CacheClock.now()
        guard let stale = exchange.stale, CacheRules.servesOnError(stale, now: now), let request = self.record.head else { return false }
        var status = CacheStatus(hit: true, forward: .stale)
        status.forwardStatus = error.httpStatus.code
        status.detail = "stale-if-error"
        self.record.cache = status.result
        let (head, body) = self.cachedResponse(stale, status: status, request: request, facts: CacheRequestFacts(request.headers), now: now)
        self.record.status = head.status.code
        self.record.responseBytes = request.method == .HEAD ? 0 : body.readableBytes
        self.writeRecord(error: "\(error)")
        self.client?.writeResponseHead(head)
        if body.readableBytes > 0, request.method != .HEAD {
            self.client?.writeResponseBody(body)
        }
        self.client?.writeResponseEnd(trailers: nil)
        self.client?.flushResponse()
        self.client?.resumeRequestReads()
        return true
    }
}
