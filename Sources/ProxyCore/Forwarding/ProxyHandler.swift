public import Logging
public import NIOCore
public import NIOHTTP1

/// Forwards each client request to a target of the matching route and streams the response
/// back, with backpressure both ways.
///
/// The last handler of a client connection's pipeline, after ``RequestGuardHandler`` (so every
/// request it sees is valid and alone in flight). Upstream connections come from the event
/// loop's ``UpstreamPool``; body parts move as they arrive and are never accumulated: when the
/// target is not writable the client is no longer read, and when the client is not writable the
/// target is no longer read.
///
/// Placed by ``ClientHTTPHandlers`` right above the guard, the two call each other directly
/// (requests up, responses down) instead of through the pipeline (decision 0010).
public final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    private var settings: ListenerSettings
    private let loop: ProxyLoop
    private let connectionInfo: ClientConnectionInfo
    private let logger: Logger

    private var machine = ForwardingStateMachine()
    private var context: ChannelHandlerContext?
    /// The handler right below, linked by ``ClientHTTPHandlers``: responses are handed to it
    /// directly. `nil`: they go through the pipeline.
    var responseWriter: RequestGuardHandler?
    private var upstream: UpstreamConnection?
    /// The target group of the request's route, by name: the group itself is read in place
    /// through ``groupState`` (it is a large value; copying it per request costs a retain and a
    /// release of each of its fields).
    private var targetGroupName: String?
    private var groupState: TargetGroupLoopState?
    /// The group of an earlier request and the loop's ``ProxyLoop/generation`` then: keep-alive
    /// requests usually go to the same group, and the name compares in O(1) when it is the same
    /// string (a dictionary lookup hashes it).
    private var lastGroup: (name: String, generation: Int, state: TargetGroupLoopState)?
    /// The target of the current try, counted in its in-flight requests until the try ends.
    private var target: Target?
    private var targetInFlight = false
    /// Ids of the targets this request tried, in order. A handful at most (`max_tries`), so an
    /// array: no hashing per request.
    private var triedTargets: [String] = []
    private var requestKey = RequestKey(clientAddress: "-")
    private var stickyTargetName: String?
    /// While a response head from our parser is handled: which fields the rewriter may copy
    /// without looking at their names.
    private var responseHints: FieldHints?
    /// Its field lines as received (``RawResponseFields``).
    private var responseRaw: (block: ByteBuffer, hasContentLength: Bool)?
    private var setStickyCookie = false
    /// Why the current retry is happening; answered instead of 503 when no other target can be picked.
    private var retryCause: UpstreamError?
    private var localResponse: (head: HTTPResponseHead, body: ByteBuffer)?
    private var responseTimer: LazyTimer?
    private var readPending = false
    private var upstreamNeedsFlush = false
    /// From a client part until the end of that read (`channelReadComplete`): what is sent to
    /// the target meanwhile is flushed once, at the end of the read, so a request head and the
    /// body that came in the same read leave in one write.
    private var readingClient = false
    private var clientNeedsFlush = false

    // Access-log facts of the request in flight.
    private var clientHead: HTTPRequestHead?
    private var rejectionRecorded = false
    private var routeName: String?
    private var requestBytes = 0
    private var retries = 0
    private var clientAddress = "-"
    private var requestStart = NIODeadline.now()
    private var upstreamStart: NIODeadline?
    private var responseStatus: UInt = 0
    private var responseBytes = 0
    /// The TCP peer's IP address, formatted once per connection (`nil` inside: not looked up yet).
    private var cachedPeerAddress: String??
    private var forwardedCache = RequestHeaderRewriter.ForwardedCache()

    public init(
        settings: ListenerSettings,
        loop: ProxyLoop,
        connectionInfo: ClientConnectionInfo = ClientConnectionInfo(),
        logger: Logger
    ) {
        self.settings = settings
        self.loop = loop
        self.connectionInfo = connectionInfo
        self.logger = logger
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    deinit {
        // Backstops (see `startResponseTimer` and `UpstreamConnection.delegate`): nothing that
        // refers to this handler without counting may outlive it.
        self.responseTimer?.cancel()
        self.upstream?.delegate = nil
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.perform(self.machine.clientGone(), context: context)
        self.responseTimer?.cancel()
        self.context = nil
        self.responseWriter = nil
    }

    // MARK: Client → proxy

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received(self.unwrapInboundIn(data), context: context)
    }

    /// - Parameter facts: With a head from our parser, which fields the rewriter may copy
    ///   without looking at their names, and their lines as received.
    private func received(_ part: HTTPServerRequestPart, facts: RequestFacts? = nil, context: ChannelHandlerContext) {
        self.readingClient = true
        switch part {
        case .head(let head):
            self.startRequest(head, facts: facts, context: context)
        case .body(let buffer):
            self.requestBytes += buffer.readableBytes
            self.perform(self.machine.requestBody(.body(.byteBuffer(buffer)), byteCount: buffer.readableBytes), context: context)
        case .end:
            self.perform(self.machine.requestEnd(), context: context)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        self.readingClient = false
        if self.upstreamNeedsFlush {
            self.upstreamNeedsFlush = false
            self.upstream?.flush()
        }
        context.fireChannelReadComplete()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.machine.clientGone(), context: context)
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let aborted = event as? RequestAbortedEvent {
            self.responseStatus = UInt(aborted.rejection.status.code)
            self.perform(self.machine.requestAborted(), context: context)
            self.writeAccessLog(error: aborted.rejection.reason)
            return
        }
        if let rejected = event as? RequestRejectedEvent {
            self.recordRejection(rejected.rejection, context: context)
            return
        }
        if let reloaded = event as? ListenerReloadedEvent {
            self.apply(reloaded, context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.upstream?.resumeReading()
        } else {
            self.upstream?.pauseReading()
        }
        context.fireChannelWritabilityChanged()
    }

    public func read(context: ChannelHandlerContext) {
        if self.machine.connectBufferFull || (self.upstream.map { !$0.isWritable } ?? false) {
            self.readPending = true
            return
        }
        self.readClient(context: context)
    }

    /// Passes a read on: to the linked guard directly, or through the pipeline.
    private func readClient(context: ChannelHandlerContext) {
        if let writer = self.responseWriter {
            writer.readRequests()
        } else {
            context.read()
        }
    }

    /// A configuration reload: the next requests follow the new settings; a request in flight on
    /// a route that changed lets its response finish, then the connection closes.
    private func apply(_ reloaded: ListenerReloadedEvent, context: ChannelHandlerContext) {
        self.settings = reloaded.settings
        guard self.clientHead != nil else { return }
        if let route = self.routeName, reloaded.unchangedRoutes.contains(route) {
            return
        }
        // Through the whole pipeline, so RequestGuardHandler closes after this response.
        context.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    private func startRequest(_ head: HTTPRequestHead, facts: RequestFacts?, context: ChannelHandlerContext) {
        self.clientHead = head
        self.requestBytes = 0
        self.retries = 0
        self.requestStart = .now()
        self.upstreamStart = nil
        self.responseStatus = 0
        self.responseBytes = 0
        self.target = nil
        while !self.triedTargets.isEmpty {  // one or none: `removeAll` takes the generic `replaceSubrange`
            self.triedTargets.removeLast()
        }
        self.setStickyCookie = false
        self.retryCause = nil
        let peer = self.peerAddress(context: context)
        let router = self.settings.router  // one copy, not one per use
        let routeIndex = router.routeIndex(for: head)
        var groupName: String?
        if let routeIndex {
            self.routeName = router.routeNames[routeIndex]
            groupName = router.targetGroupNames[routeIndex]
        } else {
            self.routeName = nil
        }
        self.targetGroupName = groupName
        self.groupState = groupName.flatMap(self.targetGroupState(named:))
        if groupName == nil {
            // Answered here: nothing is forwarded, so no header is rewritten.
            self.clientAddress = self.settings.requestRewriter.clientAddress(of: head, peerAddress: peer)
            self.localResponse = self.localResponse(route: routeIndex, head: head)
            self.perform(self.machine.requestHeadAnsweredLocally(), context: context)
            return
        }
        let rewritten = self.settings.requestRewriter.rewrite(
            head,
            peerAddress: peer,
            cache: &self.forwardedCache,
            hints: facts?.fieldHints,
            rawFields: facts?.rawFields
        )
        self.clientAddress = rewritten.clientAddress
        self.requestKey = RequestKey(clientAddress: rewritten.clientAddress)
        var policy = ForwardingStateMachine.RetryPolicy.none
        if let state = self.groupState {
            state.recordRequest()
            let retries = state.group.retries
            policy = ForwardingStateMachine.RetryPolicy(
                maxTries: max(1, retries.maxTries),
                resendable: head.method.isIdempotent || head.headers.contains(name: "idempotency-key"),
                retryOnTimeout: retries.retryOnTimeout
            )
            if let cookie = state.group.stickiness {
                self.stickyTargetName = self.stickyTarget(in: head.headers, group: state.group, cookie: cookie)
            } else {
                self.stickyTargetName = nil
            }
        }
        self.perform(self.machine.requestHead(rewritten.head, policy: policy), context: context)
    }

    private func targetGroupState(named name: String) -> TargetGroupLoopState? {
        if let last = self.lastGroup, last.generation == self.loop.generation, last.name == name {
            return last.state
        }
        let state = self.loop.targetGroups[name]
        self.lastGroup = state.map { (name, self.loop.generation, $0) }
        return state
    }

    private func peerAddress(context: ChannelHandlerContext) -> String? {
        if let cached = self.cachedPeerAddress { return cached }
        let address = context.channel.remoteAddress?.ipAddress
        self.cachedPeerAddress = .some(address)
        return address
    }

    /// The response of a route that answers itself, or `404` when no route matched: prepared
    /// once per listener (``LocalResponses``) except a redirect's, whose `Location` follows the
    /// request.
    private func localResponse(route index: Int?, head: HTTPRequestHead) -> (head: HTTPResponseHead, body: ByteBuffer) {
        let prepared: LocalResponses.Response
        if let index, case .redirect(let rule) = self.settings.router.routes[index].action {
            prepared = self.redirect(rule, head: head)
        } else {
            prepared = index.flatMap { self.settings.localResponses.fixedResponse(route: $0) } ?? self.settings.localResponses.notFound
        }
        return (HTTPResponseHead(version: head.version, status: prepared.status, headers: prepared.headers), prepared.body)
    }

    private func redirect(_ rule: RedirectRule, head: HTTPRequestHead) -> LocalResponses.Response {
        var headers = HTTPHeaders()
        if let server = self.settings.serverHeader, !server.isEmpty {
            headers.add(name: "Server", value: server)
        }
        let location = rule.location(
            requestScheme: self.settings.scheme,
            requestHost: head.headers.first(name: "host"),
            uri: head.uri
        )
        headers.add(name: "Location", value: location)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        let body = "\(rule.status.code) \(rule.status.reasonPhrase)\n"
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        return LocalResponses.Response(status: rule.status, headers: headers, body: ByteBuffer(string: body))
    }

    // MARK: Stickiness

    /// The target named by a valid stickiness cookie, if any.
    private func stickyTarget(in headers: HTTPHeaders, group: TargetGroup, cookie: StickinessSettings) -> String? {
        guard let signer = self.loop.cookieSigner else { return nil }
        for header in headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingSpaces()
                guard trimmed.hasPrefix(cookie.cookieName + "=") else { continue }
                let value = trimmed.dropFirst(cookie.cookieName.utf8.count + 1)
                guard let dot = value.lastIndex(of: ".") else { return nil }
                let name = String(value[..<dot])
                let signature = value[value.index(after: dot)...]
                return signature == signer.signature(for: "\(group.name)/\(name)") ? name : nil
            }
        }
        return nil
    }

    private func stickyCookieHeader(for target: Target, group: TargetGroup, cookie: StickinessSettings) -> String? {
        guard let signer = self.loop.cookieSigner else { return nil }
        var value = "\(cookie.cookieName)=\(target.name).\(signer.signature(for: "\(group.name)/\(target.name)")); Path=/; HttpOnly; SameSite=Lax"
        if self.settings.scheme == "https" {
            value += "; Secure"
        }
        if let ttl = cookie.ttl {
            value += "; Max-Age=\(ttl.components.seconds)"
        }
        return value
    }

    // MARK: Carrying out decisions

    private func perform(_ action: ForwardingStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .lease:
            self.leaseUpstream(context: context, freshConnectionTo: nil)
        case .retryOnNewConnection:
            // The same target, on a new connection: a reused one went stale under us.
            self.dropUpstream()
            self.leaseUpstream(context: context, freshConnectionTo: self.target)
        case .tryAnotherTarget(let error):
            self.cancelResponseTimer()
            self.dropUpstream()
            self.finishTarget(success: false)
            if let state = self.groupState, state.hasAlternative(excluding: self.triedTargets), state.tryConsumeRetry() {
                self.logger.info(
                    "retrying on another target",
                    metadata: ["error": "\(error)", "target_group": "\(state.group.name)", "try": "\(self.machine.tries + 1)"]
                )
                self.machine.retrying()
                self.retries += 1
                self.retryCause = error
                self.leaseUpstream(context: context, freshConnectionTo: nil)
            } else {
                self.perform(self.machine.retryDenied(error), context: context)
            }
        case .sendUpstream(let head, let parts, let startTimer):
            guard let upstream = self.upstream else { return }
            if let head {
                upstream.send(.head(head))
            }
            for part in parts {
                upstream.send(part)
            }
            if self.readingClient {
                self.upstreamNeedsFlush = true  // with what else this read brings
            } else {
                upstream.flush()  // a lease that completed later: nothing else is coming now
                self.upstreamNeedsFlush = false
            }
            if startTimer {
                self.startResponseTimer(context: context)
            }
            self.resumeClientReadsIfPossible(context: context)
        case .sendUpstreamLater(let part):
            self.upstream?.send(part)
            self.upstreamNeedsFlush = true
        case .forwardResponseHead(let head):
            self.cancelResponseTimer()
            self.responseStatus = head.status.code
            let clientVersion = self.clientHead?.version ?? .http1_1
            let rewriter = self.settings.responseRewriter
            var stickyCookie: String?
            if self.setStickyCookie, let group = self.groupState?.group, let cookie = group.stickiness, let target = self.target {
                stickyCookie = self.stickyCookieHeader(for: target, group: group, cookie: cookie)
            }
            if let hints = self.responseHints, let raw = self.responseRaw, let writer = self.responseWriter, writer.writesRawFields {
                // The target's field lines go out as received, less what the rewrite removes,
                // with our `Server` line; the head carries only a cookie to add (decisions 0012, 0013).
                var added = HTTPHeaders()
                if let stickyCookie {
                    added.add(name: "Set-Cookie", value: stickyCookie)
                }
                let fields = RawResponseFields(block: raw.block, hints: hints, hasContentLength: raw.hasContentLength, rewriter: rewriter)
                writer.writeResponseHead(HTTPResponseHead(version: clientVersion, status: head.status, headers: added), fields: fields)
            } else {
                var head = head
                if let raw = self.responseRaw {
                    head.headers = RawFieldLines.headers(of: raw.block)  // it came as lines only
                }
                var rewritten = rewriter.rewrite(head, clientVersion: clientVersion, hints: self.responseHints)
                if let stickyCookie {
                    rewritten.headers.add(name: "Set-Cookie", value: stickyCookie)
                }
                self.write(.head(rewritten), context: context)
            }
            self.responseHints = nil
            self.responseRaw = nil
            self.clientNeedsFlush = true
        case .forwardResponseBody:
            break  // written by the caller, which holds the buffer
        case .finishResponse(let reuse):
            let upstream = self.upstream
            self.upstream = nil
            self.write(.end(nil), context: context)
            self.flushClient(context: context)
            self.clientNeedsFlush = false
            if let upstream {
                upstream.delegate = nil
                self.loop.pool.release(upstream, reusable: reuse, settings: self.groupState?.group.upstream ?? UpstreamSettings())
            }
            self.finishTarget(success: self.responseStatus < 500)
            self.writeAccessLog(error: nil)
            self.resumeClientReadsIfPossible(context: context)
        case .respondWithError(let error):
            self.cancelResponseTimer()
            self.dropUpstream()
            self.finishTarget(success: false)
            self.respond(with: error, context: context)
        case .respondLocally:
            guard let (head, body) = self.localResponse else { return }
            self.localResponse = nil
            self.responseStatus = head.status.code
            self.responseBytes = body.readableBytes
            self.write(.head(head), context: context)
            if body.readableBytes > 0 && self.clientHead?.method.isHEAD != true {
                self.write(.body(.byteBuffer(body)), context: context)
            }
            self.write(.end(nil), context: context)
            self.flushClient(context: context)
            self.writeAccessLog(error: nil)
        case .closeClient(let error):
            self.cancelResponseTimer()
            self.dropUpstream()
            self.finishTarget(success: false)
            self.responseStatus = UInt(error.httpStatus.code)
            self.writeAccessLog(error: error.description)
            context.close(promise: nil)
        case .abandonUpstream:
            self.cancelResponseTimer()
            self.dropUpstream()
            self.finishTarget(success: nil)
            self.resumeClientReadsIfPossible(context: context)
        }
    }

    /// Picks a target (or takes `freshConnectionTo`) and leases a connection to it.
    private func leaseUpstream(context: ChannelHandlerContext, freshConnectionTo sameTarget: Target?) {
        guard let state = self.groupState else {
            let detail = "no route matches"
            self.perform(self.machine.retryDenied(.noTarget(detail)), context: context)
            return
        }
        let upstreamSettings = state.group.upstream
        let target: Target
        if let sameTarget {
            target = sameTarget
        } else if let sticky = self.stickyTargetName, !self.triedTargets.contains(sticky),
            let stickyTarget = state.servingTarget(named: sticky), !self.triedTargets.contains(stickyTarget.id)
        {
            target = stickyTarget
        } else if let picked = state.pick(for: self.requestKey, excluding: self.triedTargets) {
            target = picked
            self.setStickyCookie = state.group.stickiness != nil
        } else {
            let detail = "target group \(state.group.name) has no available target"
            self.perform(self.machine.retryDenied(self.retryCause ?? .noTarget(detail)), context: context)
            return
        }
        if !self.targetInFlight {
            state.begin(target)
            self.targetInFlight = true
        }
        self.target = target
        if !self.triedTargets.contains(target.id) { self.triedTargets.append(target.id) }
        self.upstreamStart = self.upstreamStart ?? .now()
        // An idle pooled connection is taken right here: no completion closure per request.
        if sameTarget == nil, let connection = self.loop.pool.takeIdle(to: target) {
            self.leaseCompleted(.success(connection), target: target, upstreamSettings: upstreamSettings)
            return
        }
        self.loop.pool.lease(to: target, settings: upstreamSettings, forceNewConnection: sameTarget != nil) { result in
            self.leaseCompleted(result, target: target, upstreamSettings: upstreamSettings)
        }
    }

    private func leaseCompleted(
        _ result: Result<UpstreamConnection, UpstreamError>,
        target: Target,
        upstreamSettings: UpstreamSettings
    ) {
        guard let context = self.context else {
            if case .success(let connection) = result { connection.close() }
            return
        }
        switch result {
        case .success(let connection):
            guard self.machine.isWaitingForUpstream, self.target == target else {
                self.loop.pool.release(connection, reusable: false, settings: upstreamSettings)
                return
            }
            connection.delegate = self
            if !context.channel.isWritable { connection.pauseReading() }
            self.upstream = connection
            self.perform(self.machine.leased(reused: connection.requestCount > 1), context: context)
        case .failure(let error):
            // Answer after the rest of the current read (the request's end, usually) is in,
            // so a failed GET does not needlessly cost the client its keep-alive connection.
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = loopBound.value
                guard handler.target == target else { return }
                handler.perform(handler.machine.leaseFailed(error), context: context)
            }
        }
    }

    /// Flushes the client connection: through the linked guard, or through the pipeline.
    private func flushClient(context: ChannelHandlerContext) {
        if let writer = self.responseWriter {
            writer.flushResponse()
        } else {
            context.flush()
        }
    }

    /// Writes a response part: to the linked guard, or through the pipeline.
    private func write(_ part: HTTPServerResponsePart, context: ChannelHandlerContext) {
        if let writer = self.responseWriter {
            writer.writeResponse(part, promise: nil)
        } else {
            context.write(self.wrapOutboundOut(part), promise: nil)
        }
    }

    /// Ends the current try's in-flight accounting. `success` feeds passive health; `nil` when
    /// the outcome says nothing about the target.
    private func finishTarget(success: Bool?) {
        guard self.targetInFlight, let target = self.target else { return }
        self.targetInFlight = false
        self.groupState?.end(target, success: success)
    }

    private func respond(with error: UpstreamError, context: ChannelHandlerContext) {
        let status = error.httpStatus
        self.responseStatus = UInt(status.code)
        let body = ErrorResponses.body(status, allocator: context.channel.allocator)
        let head = ErrorResponses.head(
            status,
            version: self.clientHead?.version ?? .http1_1,
            close: false,
            serverHeader: self.settings.serverHeader,
            bodyLength: body.readableBytes
        )
        self.responseBytes = body.readableBytes
        self.write(.head(head), context: context)
        self.write(.body(.byteBuffer(body)), context: context)
        self.write(.end(nil), context: context)
        self.flushClient(context: context)
        self.logger.notice(
            "upstream failure",
            metadata: [
                "status": "\(status.code)", "error": "\(error)", "client": "\(self.clientAddress)",
                "listener": "\(self.settings.name)",
            ]
        )
        // The access log is for operators: the reason may name the target.
        self.writeAccessLog(error: "\(error)")
        self.resumeClientReadsIfPossible(context: context)
    }

    private func dropUpstream() {
        guard let upstream = self.upstream else { return }
        self.upstream = nil
        upstream.delegate = nil
        upstream.close()
    }

    private func resumeClientReadsIfPossible(context: ChannelHandlerContext) {
        guard self.readPending else { return }
        if self.machine.connectBufferFull || (self.upstream.map { !$0.isWritable } ?? false) {
            return
        }
        self.readPending = false
        self.readClient(context: context)
    }

    private func startResponseTimer(context: ChannelHandlerContext) {
        guard let state = self.groupState else { return }
        // Made at the first forwarded request: a connection that never forwards one (an idle
        // TLS connection, a fixed-response route) carries no timer.
        let timer =
            self.responseTimer
            ?? LazyTimer(timers: self.loop.timers) { [unowned(unsafe) self] in
                // Not counted: a weak reference would give this handler a side table, and every
                // retain of it the slow path. The timer never fires after the handler is gone:
                // it is cancelled in `handlerRemoved`, and in `deinit` as a backstop.
                guard let context = self.context, let target = self.target else { return }
                self.perform(self.machine.responseTimedOut(.responseTimedOut(target)), context: context)
            }
        self.responseTimer = timer
        timer.arm(in: state.group.upstream.responseTimeout)
    }

    private func cancelResponseTimer() {
        self.responseTimer?.disarm()
    }

    /// A request the guard refused before it reached us: recorded, never forwarded.
    private func recordRejection(_ rejection: RequestRejection, context: ChannelHandlerContext) {
        // A rejection closes the connection: what the codec says while it closes (an
        // unfinished head after a 408) is the same request, not another one.
        guard !self.rejectionRecorded, let observer = self.loop.observer else { return }
        self.rejectionRecorded = true
        var record = RequestRecord(
            listener: self.settings.name,
            clientAddress: self.peerAddress(context: context) ?? "-",
            method: .RAW(value: "-"),
            uri: "-",
            status: UInt(rejection.status.code),
            tlsVersion: self.connectionInfo.tlsVersion,
            error: rejection.reason
        )
        record.totalNanoseconds = 0
        observer.requestCompleted(record)
    }

    /// Hands the finished request's record to the loop's observer (access log, metrics).
    private func writeAccessLog(error: String?) {
        guard let head = self.clientHead else { return }
        self.clientHead = nil
        guard let observer = self.loop.observer else { return }
        let now = NIODeadline.now()
        var record = RequestRecord(
            listener: self.settings.name,
            route: self.routeName,
            targetGroup: self.targetGroupName,
            target: self.target?.id,
            version: head.version,
            status: self.responseStatus,
            requestBytes: self.requestBytes,
            responseBytes: self.responseBytes,
            totalNanoseconds: (now - self.requestStart).nanoseconds,
            upstreamNanoseconds: self.upstreamStart.map { (now - $0).nanoseconds },
            retries: self.retries
        )
        // Without an access log, only what the metrics count (fewer references to retain).
        if observer.wantsRequestDetails {
            record.clientAddress = self.clientAddress
            record.method = head.method
            record.uri = head.uri
            record.headers = head.headers
            record.tlsVersion = self.connectionInfo.tlsVersion
            record.error = error
        }
        observer.requestCompleted(record)
    }
}

extension ProxyHandler: RequestPartReceiver {
    func receiveRequestPart(_ part: HTTPServerRequestPart, facts: RequestFacts?) {
        guard let context = self.context else { return }
        self.received(part, facts: facts, context: context)
    }

    func receiveReadComplete() {
        guard let context = self.context else { return }
        self.channelReadComplete(context: context)
    }
}

extension ProxyHandler: UpstreamConnectionDelegate {
    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart) {
        guard let context = self.context, connection === self.upstream else { return }
        switch part {
        case .head(let head):
            self.responseHints = connection.responseFieldHints
            self.responseRaw = connection.responseRawFields
            self.perform(self.machine.responseHead(head, keepAlive: connection.responseKeepAlive), context: context)
            self.responseHints = nil
            self.responseRaw = nil
        case .body(let buffer):
            if case .forwardResponseBody = self.machine.responseBody() {
                self.responseBytes += buffer.readableBytes
                self.write(.body(.byteBuffer(buffer)), context: context)
                self.clientNeedsFlush = true
            }
        case .end:
            self.perform(self.machine.responseEnd(), context: context)
        }
    }

    func upstreamReadComplete(_ connection: UpstreamConnection) {
        guard let context = self.context, self.clientNeedsFlush else { return }
        self.clientNeedsFlush = false
        self.flushClient(context: context)
    }

    func upstreamWritabilityChanged(_ connection: UpstreamConnection, isWritable: Bool) {
        guard let context = self.context, isWritable else { return }
        self.resumeClientReadsIfPossible(context: context)
    }

    func upstream(_ connection: UpstreamConnection, closedWith error: (any Error)?) {
        guard let context = self.context, connection === self.upstream, let target = connection.target as Target? else {
            return
        }
        self.upstream = nil
        let why = error.map { "\($0)" } ?? "connection closed"
        let failure: UpstreamError
        if self.machine.isStreamingResponse {
            failure = .closedDuringResponse(target, why)
        } else {
            failure = .closedBeforeResponse(target, why)
        }
        self.perform(self.machine.upstreamClosed(failure), context: context)
    }
}

@available(*, unavailable)
extension ProxyHandler: Sendable {}
