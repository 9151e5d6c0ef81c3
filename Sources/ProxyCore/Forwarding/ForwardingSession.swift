#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
public import NIOCore
public import NIOHTTP1

/// Forwards the requests of one client (an HTTP/1 connection's, one after the other) to targets
/// of the matching routes and streams the responses back, with backpressure both ways; after a
/// `101` it carries a tunnel's bytes.
///
/// Protocol-neutral: it takes a ``ClientRequestHead`` and the body's pieces, and gives back a
/// ``ClientResponseHead`` and the body's pieces through its ``client``
/// (``ForwardingSessionClient``). It knows nothing of HTTP/1 framing: the connection frames.
/// Every request it sees is valid and alone in flight (the connection's guard saw to that).
///
/// The parts it is made of, each tested on its own:
/// - route selection: the listener's ``Router``, ``LocalResponses`` and redirects, the
///   ``StickyCookie`` codec;
/// - the target lease: the group's picker (``TargetGroupLoopState``), the loop's
///   ``UpstreamPool``; every retry decision in ``ForwardingStateMachine``;
/// - the request record (``RequestRecord``) for the loop's ``ProxyObserver``.
///
/// > Important: Event-loop bound: the client connection's loop, which is its upstream
/// > connections' loop too.
public final class ForwardingSession {
    /// What a reload means for the request in flight (``reloaded(_:)``).
    public enum ReloadOutcome: Equatable {
        case keep
        /// Its route changed: finish the response, then close.
        case closeAfterResponse
        /// A tunnel on a route that changed: close it now.
        case close
    }

    var settings: ListenerSettings
    let loop: ProxyLoop
    private let connectionInfo: ClientConnectionInfo
    let logger: Logger

    /// The connection (or stream) that brought the requests. Held strongly; the connection
    /// clears it when it goes away, which ends the cycle.
    public var client: (any ForwardingSessionClient)?

    var machine = ForwardingStateMachine()
    /// The target connection (HTTP/1) or stream (h2c) of the request in flight.
    private var upstream: LeasedUpstream?
    /// gRPC calls (HTTP/2 clients only) of the request in flight: `nil` for any other request;
    /// its `grpc-timeout`, if any (``GRPCTimeout``). Failures are answered the gRPC way
    /// (``GRPCFailureResponse``).
    var grpcCall: GRPCCall?
    /// The target's trailers of the response in flight (h2c), handed to the client at its end.
    var responseTrailers: HTTPHeaders?
    /// The target of the request in flight: its group (read in place: it is a large value, and a
    /// copy per request costs a retain and a release of each of its fields), the pick, the
    /// in-flight count.
    var lease = TargetLease()
    /// The group of an earlier request and the loop's ``ProxyLoop/generation`` then: keep-alive
    /// requests usually go to the same group, and the name compares in O(1) when it is the same
    /// string (a dictionary lookup hashes it).
    private var lastGroup: (name: String, generation: Int, state: TargetGroupLoopState)?
    /// The protocol the request switches to when its target agrees (`101`).
    private var upgrade: String?
    /// Why the current retry is happening; answered instead of 503 when no other target can be picked.
    private var retryCause: UpstreamError?
    var localResponse: (head: ClientResponseHead, body: ByteBuffer, error: String?)?
    /// A static route's request, answered from its files once the request has ended.
    var staticRequest: StaticRequest?
    /// The file being sent for the request in flight.
    var staticStream: StaticFileStream?
    /// Counts static lookups: a lookup's answer for a request that is gone is dropped.
    var staticGeneration = 0
    /// The request in flight is a static route's: its record names `static` as its target.
    var servesStatic = false
    /// The edge policy of the request in flight's route (`nil`: none, or no route).
    var routePolicy: EdgePolicy?
    /// The response compression of the request in flight's route (`nil`: none, or no route).
    var routeCompression: CompressionPolicy?
    /// The coding the request in flight accepts on that route (``CompressionPolicy/coding(method:version:acceptEncoding:)``),
    /// worked out from its head while it is at hand; `nil`: its response goes as it is.
    var requestCoding: ContentCoding?
    /// The compressor of the response in flight, when it is compressed (docs/content.md); it
    /// owns the library's state, freed when this lets go of it (end of body, or dropped with
    /// the target connection).
    private var compressor: ResponseCompressor?
    /// The route's HTTP cache and the request in flight's use of it (ForwardingSession+Cache.swift).
    var cache = SessionCache()
    /// Whether the request in flight uses the route's cache, read in place: `cache.exchange !=
    /// nil` copied the exchange out and destroyed it through its metadata, several times per
    /// request on routes without a cache (decision 0035).
    var hasCacheExchange: Bool { self.cache.exchange?.requestTime != nil }
    /// Fields the request in flight's response gets besides the rewriter's (`RateLimit`).
    var responseFields: [PolicyRefusal.Field] = []
    /// Fields authentication sends on with the request in flight (`claims_to_headers`).
    private var authFields: [PolicyRefusal.Field] = []
    /// Whether the proxy authenticated this request itself (a route or listener `auth`, or a
    /// forward-auth's fields): for the cache, such a request counts as one with `Authorization`
    /// (RFC 9111 §3.5), so a per-user response is not stored for the next user.
    var routeAuthenticates: Bool {
        self.routePolicy?.auth != nil || self.settings.policy?.auth != nil || !self.authFields.isEmpty
    }
    /// A verified token's claims, for the asynchronous checks (`jwt_claim:` keys of shared limits).
    private var claims: [String: String] = [:]
    /// Counts the requests that went through asynchronous admission checks: a check's answer
    /// for an earlier request (the client went, another came) is ignored.
    private var admissionGeneration = 0
    private var responseTimer: LazyTimer?
    private var upstreamNeedsFlush = false
    /// From a client part until the end of that read: what is sent to the target meanwhile is
    /// flushed once, at the end of the read, so a request head and the body that came in the
    /// same read leave in one write.
    private var readingClient = false
    private var clientNeedsFlush = false

    /// The request in flight as the access log and the metrics will see it. (Internal, as the
    /// fields above without `private`: the static file part, ForwardingSession+StaticFiles.swift,
    /// reads and sets them.)
    var record = RequestRecordBuilder()
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

    deinit {
        self.responseTimer?.cancel()
    }

    // MARK: From the client

    /// Whether the client may be read: not while a connect buffers too much or the target is
    /// not taking what is sent.
    public var wantsRequestBytes: Bool {
        !(self.machine.connectBufferFull || (self.upstream.map { !$0.isWritable } ?? false))
    }

    /// The client address the connection's PROXY protocol header gave, if any.
    var proxiedAddress: String? { self.connectionInfo.proxiedAddress }

    /// A request's head has come and its record is not yet written.
    public var isHandlingRequest: Bool { self.record.head != nil }

    /// Its last request finished and nothing is in flight: it can take the next request, from
    /// another client (an HTTP/2 connection's next stream).
    var isReusable: Bool { self.machine.isIdle && self.record.head == nil && self.upstream == nil && self.staticStream == nil }

    public func requestHead(_ head: ClientRequestHead) {
        self.readingClient = true
        self.startRequest(head)
    }

    public func requestBody(_ body: ByteBuffer) {
        self.readingClient = true
        self.record.requestBytes += body.readableBytes
        self.perform(self.machine.requestBody(.body(.byteBuffer(body)), byteCount: body.readableBytes))
    }

    /// - Parameter trailers: The client's trailer fields (HTTP/2); only h2c targets get them.
    public func requestEnd(trailers: HTTPHeaders? = nil) {
        self.readingClient = true
        self.perform(self.machine.requestEnd(trailers: trailers))
    }

    /// The end of a read from the client: what was sent to the target goes out now.
    public func clientReadComplete() {
        self.readingClient = false
        if self.upstreamNeedsFlush {
            self.upstreamNeedsFlush = false
            self.upstream?.flush()
        }
    }

    public func clientWritabilityChanged(_ writable: Bool) {
        if writable {
            self.staticStream?.resume()
            self.upstream?.resumeReading()
        } else {
            self.upstream?.pauseReading()
        }
    }

    /// The client connection closed (or went away).
    public func clientClosed() {
        if self.machine.isTunnel {
            self.endTunnel(error: nil)
            return
        }
        self.perform(self.machine.clientGone())
        self.compressor = nil
        self.cache.exchange = nil
        self.responseTimer?.cancel()
        self.responseTimer = nil
        self.endStatic(error: "client closed")
    }

    /// The client did not read what was sent for `send_timeout`; its connection closes next.
    public func clientSendTimedOut() {
        self.logger.notice("client stopped reading; closing", metadata: ["client": "\(self.record.clientAddress)", "listener": "\(self.settings.name)"])
        if self.machine.isTunnel {
            self.endTunnel(error: "send timeout")
        } else if self.record.head != nil {
            self.perform(self.machine.clientGone())
            self.writeRecord(error: "send timeout")
        }
    }

    /// The connection refused the request part-way (its body grew past the limit, or stalled):
    /// whatever started upstream is abandoned, never completed.
    public func requestAborted(_ rejection: RequestRejection) {
        self.record.status = UInt(rejection.status.code)
        self.perform(self.machine.requestAborted())
        self.writeRecord(error: rejection.reason)
    }

    /// A request was refused before any of it reached the session: recorded, never forwarded.
    public func requestRejected(_ rejection: RequestRejection, version: HTTPVersion = .http1_1) {
        guard let observer = self.loop.observer,
            let record = self.record.refused(
                rejection,
                version: version,
                listener: self.settings.name,
                peerAddress: self.client?.peerAddress,
                tlsVersion: self.connectionInfo.tlsVersion
            )
        else { return }
        observer.requestCompleted(record)
    }

    /// A configuration reload: the next requests follow the new settings; a request in flight on
    /// a route that changed lets its response finish, then the connection closes; a tunnel on a
    /// route that changed closes.
    public func reloaded(_ reloaded: ListenerReloadedEvent) -> ReloadOutcome {
        self.settings = reloaded.settings
        // The cached forwarding lines carry the old settings' scheme (`X-Forwarded-Proto`, `proto=`).
        self.forwardedCache = RequestHeaderRewriter.ForwardedCache()
        guard self.record.head != nil else { return .keep }
        if let route = self.record.route, reloaded.unchangedRoutes.contains(route) {
            return .keep
        }
        return self.machine.isTunnel ? .close : .closeAfterResponse
    }

    // MARK: Tunnels

    /// Bytes from the client through an established tunnel.
    public func tunnelReceived(_ bytes: ByteBuffer) {
        guard self.machine.isTunnel, let upstream = self.upstream else { return }
        self.record.requestBytes += bytes.readableBytes
        upstream.sendTunnel(bytes)
        if self.readingClient {
            self.upstreamNeedsFlush = true
        } else {
            upstream.flush()
        }
        self.readingClient = true
    }

    /// The client half-closed its side of a tunnel: the target's side is half-closed too, and
    /// what it still sends goes to the client until it closes (then the tunnel ends).
    public func tunnelClientInputClosed() {
        guard self.machine.isTunnel, let upstream = self.upstream else {
            self.client?.closeConnection()
            return
        }
        upstream.shutdownOutput()
    }

    /// The tunnel carried nothing for `tunnel_idle_timeout`; the connection closes next.
    public func tunnelClosedIdle() {
        self.endTunnel(error: "tunnel idle timeout")
    }

    /// Closes the tunnel, if this session carries one to `targetID` (a drain that ran out of time).
    func closeTunnel(to targetID: String) {
        guard self.machine.isTunnel, self.lease.target?.id == targetID else { return }
        self.endTunnel(error: "target drained")
        self.client?.closeConnection()
    }

    private func startTunnel(_ head: UpstreamResponseHead) {
        self.cancelResponseTimer()
        self.record.status = 101
        // The target's fields less the hop-by-hop and identity ones, with our `Server`; then the
        // two that make the switch, which are hop-by-hop and so were removed.
        let targetFields = head.fields
        let version = self.record.head?.version ?? .http1_1
        var rewritten = self.settings.responseRewriter.rewrite(
            HTTPResponseHead(version: head.version, status: .switchingProtocols, headers: targetFields),
            clientVersion: version
        )
        rewritten.headers.add(name: "Connection", value: "upgrade")
        rewritten.headers.add(name: "Upgrade", value: targetFields.first(name: "upgrade") ?? self.upgrade ?? "")
        // Registered before anything is written: a write that fails closes the connection at
        // once, and the tunnel then ends (and leaves the registry) inside that call.
        if let target = self.lease.target {
            self.loop.tunnels.opened(self, target: target.id)
            self.loop.observer?.tunnelOpened(route: self.record.route, target: target.id)
        }
        self.client?.writeResponseHead(ClientResponseHead(status: .switchingProtocols, version: version, fields: rewritten.headers))
        self.client?.startTunnel()
        self.upstream?.startTunnel()
        self.client?.flushResponse()
    }

    /// Ends the tunnel once: the target connection closes, the record is written.
    private func endTunnel(error: String?) {
        guard self.machine.isTunnel else { return }
        _ = self.machine.tunnelEnded()
        self.dropUpstream()
        if let target = self.lease.target {
            self.loop.tunnels.closed(self, target: target.id)
            self.loop.observer?.tunnelClosed(route: self.record.route, target: target.id)
        }
        self.lease.finish(success: nil)
        self.writeRecord(error: error)
    }

    // MARK: Route selection

    private func startRequest(_ head: ClientRequestHead) {
        self.record.begin(head)
        self.compressor = nil
        self.staticRequest = nil
        self.servesStatic = false
        self.retryCause = nil
        self.upgrade = nil
        self.routePolicy = nil
        self.grpcCall = nil
        self.responseTrailers = nil
        // gRPC runs over HTTP/2 only: an HTTP/1 request pays one comparison here.
        if head.version.major == 2, GRPCFailureResponse.isGRPC(contentType: head.fields.first(name: "content-type")) {
            self.grpcCall = GRPCCall(timeout: head.fields.first(name: "grpc-timeout").flatMap(GRPCTimeout.parse))
        }
        if !self.responseFields.isEmpty { self.responseFields = [] }
        if !self.authFields.isEmpty { self.authFields = [] }
        if !self.claims.isEmpty { self.claims = [:] }
        let peer = self.client?.peerAddress
        let router = self.settings.router  // one copy, not one per use
        var nioHead = head.nioHead
        if let challenges = self.settings.acmeHTTPChallenges, ACMEHTTPChallenges.isChallengeTarget(nioHead.uri) {
            // ACME HTTP-01: before the path checks, the edge policy, any route and the HTTPS redirect.
            self.answerACMEChallenge(challenges.keyAuthorization(forTarget: nioHead.uri), head: head, peer: peer)
            return
        }
        // The path checked and normalised once, before routing (docs/security.md).
        let hygiene = PathNormalizer.check(nioHead.uri, self.settings.hygiene)
        if let violation = hygiene.violation {
            if !self.settings.hygiene.monitorOnly {
                self.refuse(PolicyRefusal(status: .badRequest, reason: violation, detail: "request target refused: \(violation)"), head: head, peer: peer)
                return
            }
            self.record.monitored = violation
            self.logger.notice("request hygiene (monitor): would refuse", metadata: ["reason": "\(violation)", "listener": "\(self.settings.name)"])
        }
        var upstreamURI = hygiene.target
        if let normalized = hygiene.target {
            nioHead.uri = normalized
        }
        let routeIndex = router.routeIndex(for: nioHead)
        let routeFacts = routeIndex.map { router.facts[$0] }  // one reference: no copy of the route
        let routePolicy = routeFacts?.policy
        self.routePolicy = routePolicy
        let compression = routeFacts?.compression
        self.routeCompression = compression
        self.requestCoding = compression?.coding(method: nioHead.method, version: nioHead.version, acceptEncoding: nioHead.headers["accept-encoding"])
        self.cache.route = routeFacts?.cache
        if self.hasCacheExchange { self.cache.exchange = nil }
        if let refusal = self.policyRefusal(route: routePolicy, head: nioHead, peer: peer) {
            self.refuse(refusal, head: head, peer: peer)
            return
        }
        let groupName = routeFacts?.targetGroupName
        self.record.route = routeFacts?.name
        self.record.targetGroup = groupName
        if let route = routeFacts?.staticRoute {
            self.startStatic(route, head: head, nioHead: nioHead, peer: peer)
            return
        }
        let groupState = groupName.flatMap(self.targetGroupState(named:))
        if groupName == nil {
            if routeIndex == nil, let allowed = router.allowedMethods(for: nioHead) {
                let refusal = PolicyRefusal(
                    status: .methodNotAllowed,
                    reason: "method_not_allowed",
                    detail: "no route takes \(nioHead.method.rawValue) here",
                    fields: [.init("Allow", allowed.map(\.rawValue).joined(separator: ", "))]
                )
                self.refuse(refusal, head: head, peer: peer)
                return
            }
            self.lease.beginLocal()
            // Answered here: nothing is forwarded, so no header is rewritten.
            self.record.clientAddress = self.settings.requestRewriter.clientAddress(of: nioHead, peerAddress: peer)
            let (responseHead, body) = self.localResponse(route: routeIndex, head: head)
            self.localResponse = (responseHead, body, nil)
            self.perform(self.machine.requestHeadAnsweredLocally())
            return
        }
        if let rewrite = routePolicy?.rewrite, let rewritten = rewrite.apply(to: nioHead.uri) {
            upstreamURI = rewritten
        }
        self.record.upstreamURI = upstreamURI
        // Only a request without a body switches protocols: the target's `101` may come before a
        // body is read, and the rest of it would then cross the tunnel unframed.
        if let routeIndex, head.facts.framing == .none, let wanted = head.upgradeProtocol,
            router.routes[routeIndex].upgrades.contains(wanted)
        {
            self.upgrade = head.upgrade
        }
        if routePolicy != nil || self.settings.policy != nil {
            let checks = (self.settings.policy?.admissionChecks ?? []) + (routePolicy?.admissionChecks ?? [])
            if !checks.isEmpty {
                // The read's buffer is not kept while the checks run: the fields are rewritten
                // from the parsed head instead of copied from their lines.
                var held = head
                held.facts.rawFields = nil
                held.facts.fieldHints = nil
                self.admit(checks, PendingRequest(head: held, nioHead: nioHead, group: groupState, upstreamURI: upstreamURI, peer: peer))
                return
            }
        }
        // The parts as parameters, not packed into a PendingRequest: a copy of the head per
        // request (retaining each of its references) is measurable (decision 0018).
        self.forward(head, nioHead: nioHead, group: groupState, upstreamURI: upstreamURI, peer: peer, admitted: false)
    }

    /// A request between its routing and its forwarding: what the rewrite and the lease need.
    struct PendingRequest {
        var head: ClientRequestHead
        /// With the normalised path.
        var nioHead: HTTPRequestHead
        var group: TargetGroupLoopState?
        var upstreamURI: String?
        var peer: String?
    }

    /// Rewrites the head for the target and starts the lease (`admitted`: after asynchronous
    /// admission checks, which held the request).
    func forward(
        _ head: ClientRequestHead,
        nioHead: HTTPRequestHead,
        group groupState: TargetGroupLoopState?,
        upstreamURI: String?,
        peer: String?,
        admitted: Bool
    ) {
        if let cache = self.cache.route,
            self.cacheTakes(cache, head, nioHead: nioHead, request: PendingRequest(head: head, nioHead: nioHead, group: groupState, upstreamURI: upstreamURI, peer: peer), admitted: admitted)
        {
            return
        }
        let routePolicy = self.routePolicy
        var rewritten = self.settings.requestRewriter.rewrite(
            nioHead,
            peerAddress: peer,
            cache: &self.forwardedCache,
            hints: head.facts.fieldHints,
            rawFields: head.facts.rawFields,
            upgrade: self.upgrade,
            uri: upstreamURI,
            rules: routePolicy?.requestRules ?? self.settings.policy?.requestRules,
            addedFields: self.authFields,
            requestIDs: self.settings.requestID ? self.loop.requestIDs : nil
        )
        self.record.clientAddress = rewritten.clientAddress
        self.record.requestID = rewritten.requestID
        if self.cache.exchange?.revalidating == true {
            self.cacheValidators(into: &rewritten.head)
        }
        var policy = ForwardingStateMachine.RetryPolicy.none
        var stickyTarget: String?
        if let state = groupState {
            state.recordRequest()
            let retries = state.group.retries
            policy = ForwardingStateMachine.RetryPolicy(
                maxTries: max(1, retries.maxTries),
                resendable: head.method.isIdempotent || head.fields.contains(name: "idempotency-key"),
                retryOnTimeout: retries.retryOnTimeout
            )
            stickyTarget = self.stickyCookie(of: state)?.target(in: head.fields)
        }
        self.lease.begin(group: groupState, key: RequestKey(clientAddress: rewritten.clientAddress), stickyTarget: stickyTarget)
        if admitted {
            self.perform(self.machine.admitted(rewritten.head, policy: policy))
        } else {
            self.perform(self.machine.requestHead(rewritten.head, policy: policy))
        }
    }

    /// Holds the request while `checks` run, one after the other; forwards it when all let it
    /// through, answers the first refusal otherwise.
    func admit(_ checks: [any AdmissionCheck], _ request: PendingRequest) {
        self.admissionGeneration &+= 1
        let clientAddress = self.settings.requestRewriter.clientAddress(of: request.nioHead, peerAddress: request.peer)
        self.record.clientAddress = clientAddress
        self.perform(self.machine.requestHeadAwaitingAdmission())
        let admission = AdmissionRequest(
            head: request.nioHead,
            clientAddress: clientAddress,
            scheme: self.settings.scheme,
            claims: self.claims,
            listener: self.settings.name
        )
        self.runCheck(checks[...], admission, request, generation: self.admissionGeneration)
    }

    private func runCheck(_ checks: ArraySlice<any AdmissionCheck>, _ admission: AdmissionRequest, _ request: PendingRequest, generation: Int) {
        guard let check = checks.first else {
            if self.staticRequest != nil {
                self.perform(self.machine.admittedToAnswerLocally())
                return
            }
            self.forward(request.head, nioHead: request.nioHead, group: request.group, upstreamURI: request.upstreamURI, peer: request.peer, admitted: true)
            return
        }
        check.admit(admission, loop: self.loop).hop(to: self.loop.eventLoop).assumeIsolated().whenComplete { result in
            guard generation == self.admissionGeneration, self.machine.isAdmitting, self.client != nil else { return }
            switch result {
            case .success(.passed(let requestFields, let responseFields)):
                self.authFields += requestFields
                self.responseFields += responseFields
                self.runCheck(checks.dropFirst(), admission, request, generation: generation)
            case .success(.refused(let refusal)):
                self.refuseHeldRequest(refusal, version: request.head.version)
            case .failure(let error):
                self.refuseHeldRequest(
                    PolicyRefusal(status: .serviceUnavailable, reason: "admission_error", detail: "admission check failed: \(error)"),
                    version: request.head.version
                )
            }
        }
    }

    /// Answers a request an asynchronous check turned away (once its body has come).
    private func refuseHeldRequest(_ refusal: PolicyRefusal, version: HTTPVersion) {
        self.prepareRefusal(refusal, version: version)
        self.perform(self.machine.admissionRefused())
    }

    /// The refusal's answer, kept for when the request has ended; its reason in the record.
    private func prepareRefusal(_ refusal: PolicyRefusal, version: HTTPVersion) {
        self.lease.beginLocal()
        self.record.refusal = refusal.reason
        self.record.rateLimitKey = refusal.rateLimitKey
        let prepared = self.settings.localResponses.refusal(refusal)
        self.localResponse = (ClientResponseHead(status: prepared.status, version: version, fields: prepared.headers), prepared.body, refusal.detail)
    }

    /// The listener's and then the route's access list, authentication and rate limits
    /// (``EdgePolicy/admit``): the first refusal, if any. The client address is worked out only
    /// when a policy looks at it.
    private func policyRefusal(route: EdgePolicy?, head: HTTPRequestHead, peer: String?) -> PolicyRefusal? {
        let listener = self.settings.policy
        guard listener?.admitsEveryone == false || route?.admitsEveryone == false else { return nil }
        let clientAddress = self.settings.requestRewriter.clientAddress(of: head, peerAddress: peer)
        let now = NIODeadline.now().uptimeNanoseconds
        let unixTime = Int64(time(nil))  // the wall clock, for token expiry (vDSO: no system call)
        func admit(_ policy: EdgePolicy?) -> PolicyRefusal? {
            guard let policy, !policy.admitsEveryone else { return nil }
            return policy.admit(
                clientAddress: clientAddress,
                fields: head.headers,
                now: now,
                unixTime: unixTime,
                rateLimitFields: &self.responseFields,
                authFields: &self.authFields,
                claims: &self.claims
            )
        }
        // The listener's first, then the route's (no array per request).
        return admit(listener) ?? admit(route)
    }

    /// Answers a request the edge policy turned away: recorded with its reason, never forwarded.
    func refuse(_ refusal: PolicyRefusal, head: ClientRequestHead, peer: String?) {
        self.record.clientAddress = self.settings.requestRewriter.clientAddress(of: head.nioHead, peerAddress: peer)
        self.prepareRefusal(refusal, version: head.version)
        self.perform(self.machine.requestHeadAnsweredLocally())
    }

    private func targetGroupState(named name: String) -> TargetGroupLoopState? {
        // Read in place: a copy of the tuple retained and released its name and state.
        if self.lastGroup?.generation == self.loop.generation, self.lastGroup?.name == name, let state = self.lastGroup?.state {
            return state
        }
        let state = self.loop.targetGroups[name]
        self.lastGroup = state.map { (name, self.loop.generation, $0) }
        return state
    }

    /// The group's fields read in place: passing `state.group` copied the whole group (every
    /// reference in it retained and released) per request.
    private func stickyCookie(of state: TargetGroupLoopState) -> StickyCookie? {
        guard let settings = state.group.stickiness, let signer = self.loop.cookieSigner else { return nil }
        return StickyCookie(cookieName: settings.cookieName, groupName: state.group.name, signer: signer)
    }

    private func answerACMEChallenge(_ keyAuthorization: String?, head: ClientRequestHead, peer: String?) {
        self.record.route = nil
        self.record.targetGroup = nil
        self.lease.beginLocal()
        self.record.clientAddress = self.settings.requestRewriter.clientAddress(of: head.nioHead, peerAddress: peer)
        let prepared = self.settings.localResponses.acmeChallenge(keyAuthorization)
        self.localResponse = (ClientResponseHead(status: prepared.status, version: head.version, fields: prepared.headers), prepared.body, nil)
        self.perform(self.machine.requestHeadAnsweredLocally())
    }

    /// The response of a route that answers itself, or `404` when no route matched: prepared
    /// once per listener (``LocalResponses``) except a redirect's, whose `Location` follows the
    /// request.
    private func localResponse(route index: Int?, head: ClientRequestHead) -> (head: ClientResponseHead, body: ByteBuffer) {
        let prepared: LocalResponses.Response
        if let index, case .redirect(let rule) = self.settings.router.routes[index].action {
            prepared = self.settings.localResponses.redirect(
                rule,
                requestScheme: self.settings.scheme,
                requestHost: head.fields.first(name: "host"),
                uri: head.target
            )
        } else {
            prepared = index.flatMap { self.settings.localResponses.fixedResponse(route: $0) } ?? self.settings.localResponses.notFound
        }
        return (ClientResponseHead(status: prepared.status, version: head.version, fields: prepared.headers), prepared.body)
    }

    // MARK: Carrying out decisions

    func perform(_ action: ForwardingStateMachine.Action) {
        switch action {
        case .none:
            break
        case .lease:
            self.leaseUpstream(freshConnectionTo: nil)
        case .retryOnNewConnection:
            // The same target, on a new connection: a reused one went stale under us.
            self.dropUpstream()
            self.leaseUpstream(freshConnectionTo: self.lease.target)
        case .tryAnotherTarget(let error):
            self.cancelResponseTimer()
            self.dropUpstream()
            self.lease.finish(success: false)
            let allowed = self.lease.retryAllowed()
            if allowed, let state = self.lease.group {
                self.logger.info(
                    "retrying on another target",
                    metadata: ["error": "\(error)", "target_group": "\(state.group.name)", "try": "\(self.machine.tries + 1)"]
                )
                self.record.retries += 1
                self.retryCause = error
            }
            self.perform(self.machine.retry(allowed: allowed, cause: error))
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
                self.startResponseTimer()
            }
            self.client?.resumeRequestReads()
        case .sendUpstreamLater(let part):
            self.upstream?.send(part)
            self.upstreamNeedsFlush = true
        case .forwardResponseHead(let head):
            self.forwardResponseHead(head)
        case .startTunnel(let head):
            self.startTunnel(head)
        case .finishResponse(let reuse):
            // The compressed stream's end goes out before the response's.
            var compressionFailure: CompressionError?
            if self.compressor != nil {
                compressionFailure = self.finishCompression()
            }
            // Everything about this request is settled before the client is told: writing the
            // end may let the next request in (or close the connection) within the call.
            let upstream = self.upstream
            self.upstream = nil
            if let upstream {
                upstream.setDelegate(nil)
                let settings = self.lease.group?.group.upstream ?? UpstreamSettings()
                upstream.release(reusable: reuse && !settings.proxyProtocol, settings: settings)
            }
            self.lease.finish(success: self.record.status < 500)
            // Read before the record is written (which lets go of the request head).
            let trailers = self.responseTrailers == nil ? nil : self.takeResponseTrailers()
            if self.hasCacheExchange {
                self.cacheResponseEnded()
            }
            self.writeRecord(error: compressionFailure?.description)
            if compressionFailure != nil {
                // The compressed stream cannot be ended: the client sees it cut, not complete.
                self.client?.flushResponse()
                self.client?.closeConnection()
                return
            }
            self.clientNeedsFlush = false
            self.client?.writeResponseEnd(trailers: trailers)
            self.client?.flushResponse()
            self.client?.resumeRequestReads()
        case .respondWithError(let error):
            self.cancelResponseTimer()
            self.dropUpstream()
            self.lease.finish(success: false)
            if self.hasCacheExchange, self.cacheServesStaleOnError(error) {
                return
            }
            self.respond(with: error)
        case .respondLocally:
            if self.localResponse == nil, let request = self.staticRequest {
                self.staticRequest = nil
                self.serveStatic(request)
                return
            }
            self.staticRequest = nil
            // Taken out, not copied then cleared: a copy retained and released each of its
            // references (the head's fields and lines, the body).
            guard let (head, body, error) = self.localResponse.take() else { return }
            self.record.status = head.status.code
            self.record.responseBytes = body.readableBytes
            self.client?.writeResponseHead(head)
            if body.readableBytes > 0 && self.record.head?.method.isHEAD != true {
                self.client?.writeResponseBody(body)
            }
            self.writeRecord(error: error)
            self.client?.writeResponseEnd(trailers: nil)
            self.client?.flushResponse()
        case .closeClient(let error):
            self.cancelResponseTimer()
            self.dropUpstream()
            self.lease.finish(success: false)
            self.cache.exchange = nil
            self.record.status = UInt(error.httpStatus.code)
            self.writeRecord(error: error.description)
            self.client?.closeConnection()
        case .abandonUpstream:
            self.cancelResponseTimer()
            self.dropUpstream()
            self.lease.finish(success: nil)
            self.cache.exchange = nil
            self.client?.resumeRequestReads()
        }
    }

    private func forwardResponseHead(_ head: UpstreamResponseHead) {
        self.cancelResponseTimer()
        self.record.status = head.status.code
        if self.hasCacheExchange, self.cacheResponseHead(head) {
            return
        }
        let clientVersion = self.record.head?.version ?? .http1_1
        let routePolicy = self.routePolicy
        let routeRules = routePolicy?.responseRewriter != nil
        let rewriter = routeRules ? routePolicy!.responseRewriter! : self.settings.responseRewriter
        // Per-request response fields exist only with a policy somewhere (or a rate limit's).
        let addsFields = routePolicy != nil || self.settings.policy != nil || !self.responseFields.isEmpty || self.hasCacheExchange
        var stickyCookie: String?
        if self.lease.setsStickyCookie, let state = self.lease.group, let cookie = self.stickyCookie(of: state), let target = self.lease.target {
            stickyCookie = cookie.setCookieValue(target: target.name, secure: self.settings.scheme == "https", maxAge: state.group.stickiness?.ttl)
        }
        // Compression needs the target's fields by name: its responses take the rebuilding path.
        var targetFields: HTTPHeaders?
        var coding: ContentCoding?
        if let compression = self.routeCompression, let accepted = self.requestCoding {
            (coding, targetFields) = self.compressionCoding(compression, accepted: accepted, head: head)
        }
        if coding == nil, let hints = head.fieldHints {
            // The target's field lines go out as received, less what the rewrite removes,
            // with our `Server` line; the head carries only what is added per request: a
            // cookie, the request id, the policy's fields (decisions 0012, 0013).
            var added = HTTPHeaders()
            if let stickyCookie {
                added.add(name: "Set-Cookie", value: stickyCookie)
            }
            if addsFields { self.addResponseFields(to: &added, routeRules: routeRules) }
            let fields = RawResponseFields(block: head.rawFields, hints: hints, hasContentLength: head.hasContentLength, rewriter: rewriter)
            let responseHead = ClientResponseHead(status: head.status, version: clientVersion, fields: added, targetFields: fields, requestID: self.record.requestID)
            // Handed over (`consume`): an argument made in place was copied and destroyed twice.
            self.client?.writeResponseHead(consume responseHead)
        } else {
            let nioHead = HTTPResponseHead(version: head.version, status: head.status, headers: targetFields ?? head.fields)
            var rewritten = rewriter.rewrite(nioHead, clientVersion: clientVersion, hints: nil)
            if let coding {
                CompressionPolicy.compressedFields(&rewritten.headers, coding: coding)
            }
            if let stickyCookie {
                rewritten.headers.add(name: "Set-Cookie", value: stickyCookie)
            }
            if addsFields { self.addResponseFields(to: &rewritten.headers, routeRules: routeRules) }
            self.client?.writeResponseHead(
                ClientResponseHead(status: rewritten.status, version: rewritten.version, fields: rewritten.headers, targetFields: nil, requestID: self.record.requestID)
            )
        }
        self.clientNeedsFlush = true
    }

    /// The coding the response is compressed with, if any (its compressor made, in
    /// ``compressor``), and the target's fields when they had to be read to decide.
    /// `accepted`: what the request allows (decided when it came: most requests, without an
    /// `Accept-Encoding` or for HEAD, never get here).
    private func compressionCoding(_ compression: CompressionPolicy, accepted coding: ContentCoding, head: UpstreamResponseHead) -> (ContentCoding?, HTTPHeaders?) {
        let fields = head.fields
        guard compression.compresses(status: head.status, fields: fields),
            let compressor = ResponseCompressor(coding: coding, level: compression.levels.level(for: coding))
        else {
            return (nil, fields)
        }
        self.compressor = compressor
        return (coding, fields)
    }

    /// Compresses and writes a part of the response body (`body`), or flushes what the library
    /// holds (`nil`: at the end of a read from the target, so nothing waits for the next one);
    /// a library failure ends the response as a target that died mid-way would (the connection
    /// closes).
    private func writeCompressed(_ body: ByteBuffer?) {
        let output: ByteBuffer
        do {
            if let body {
                output = try self.compressor!.compress(body, flush: false, allocator: ByteBufferAllocator())
            } else {
                output = try self.compressor!.flush(allocator: ByteBufferAllocator())
            }
        } catch {
            self.compressor = nil
            self.logger.error("response compression failed", metadata: ["error": "\(error)", "listener": "\(self.settings.name)"])
            let target = self.upstream?.target
            self.dropUpstream()
            if let target {
                self.perform(self.machine.upstreamClosed(.closedDuringResponse(target, error.description)))
            } else {
                self.client?.closeConnection()
            }
            return
        }
        // An empty part would end a chunked HTTP/1.1 body: only bytes are written.
        guard output.readableBytes > 0 else { return }
        self.record.responseBytes += output.readableBytes
        self.client?.writeResponseBody(output)
        self.clientNeedsFlush = true
    }

    /// Ends the compressed stream: writes its last bytes, notes the compression in the record,
    /// and lets go of the compressor (and so of the library's state). The failure, if any.
    private func finishCompression() -> CompressionError? {
        guard var compressor = self.compressor else { return nil }
        self.compressor = nil
        do {
            let tail = try compressor.finish(allocator: ByteBufferAllocator())
            if tail.readableBytes > 0 {
                self.record.responseBytes += tail.readableBytes
                self.client?.writeResponseBody(tail)
            }
        } catch {
            self.logger.error("response compression failed", metadata: ["error": "\(error)", "listener": "\(self.settings.name)"])
            return error
        }
        self.record.compression = RequestRecord.CompressionNote(coding: compressor.coding, bytesIn: compressor.bytesIn, bytesOut: compressor.bytesOut)
        return nil
    }

    /// The fields a forwarded response gets per request: the `X-Request-Id`, the rate limits'
    /// `RateLimit` fields, and the response header rules' lines that use variables.
    func addResponseFields(to fields: inout HTTPHeaders, routeRules: Bool) {
        if let status = self.cache.exchange?.status {
            fields.add(name: "Cache-Status", value: status.fieldValue)
        }
        for field in self.responseFields {
            fields.add(name: field.name, value: field.value)
        }
        let lines = routeRules ? self.routePolicy?.responseLines : self.settings.policy?.responseLines
        guard let lines, !lines.isEmpty else { return }
        let variables = HeaderTemplate.Variables(
            clientIP: self.record.clientAddress,
            requestID: self.record.requestID?.description,
            host: self.record.head?.headers.first(name: "host"),
            scheme: self.settings.scheme
        )
        for line in lines {
            fields.add(name: line.name, value: line.value.render(variables))
        }
    }

    // MARK: The target lease

    /// Picks a target (or takes `freshConnectionTo`) and leases a connection to it.
    private func leaseUpstream(freshConnectionTo sameTarget: Target?) {
        let pick = self.lease.pick(same: sameTarget)
        guard case .target(let target) = pick, let upstreamSettings = self.lease.group?.group.upstream else {
            var detail = "no target"
            if case .none(let why) = pick { detail = why }
            self.perform(self.machine.retryDenied(self.retryCause ?? .noTarget(detail)))
            return
        }
        self.record.upstreamStarted()
        // An idle pooled connection is taken right here: no completion closure per request.
        // A connection that starts with a PROXY header belongs to one client: always new.
        if upstreamSettings.targetProtocol == .h2c {
            self.loop.h2cPool.lease(to: target, settings: upstreamSettings) { result in
                self.leaseCompleted(result.map(LeasedUpstream.other), target: target, upstreamSettings: upstreamSettings)
            }
            return
        }
        if sameTarget == nil, !upstreamSettings.proxyProtocol, let connection = self.loop.pool.takeIdle(to: target) {
            self.leaseCompleted(.success(.http1(connection)), target: target, upstreamSettings: upstreamSettings)
            return
        }
        self.loop.pool.lease(to: target, settings: upstreamSettings, forceNewConnection: sameTarget != nil || upstreamSettings.proxyProtocol) { result in
            self.leaseCompleted(result.map(LeasedUpstream.http1), target: target, upstreamSettings: upstreamSettings)
        }
    }

    private func leaseCompleted(
        _ result: Result<LeasedUpstream, UpstreamError>,
        target: Target,
        upstreamSettings: UpstreamSettings
    ) {
        guard let client = self.client else {
            if case .success(let connection) = result { connection.close() }
            return
        }
        switch result {
        case .success(let connection):
            guard self.machine.isWaitingForUpstream, self.lease.target == target else {
                connection.release(reusable: false, settings: upstreamSettings)
                return
            }
            connection.setDelegate(self)
            if !client.isWritable { connection.pauseReading() }
            if upstreamSettings.proxyProtocol {
                connection.sendPreamble(self.proxyProtocolHeader())
            }
            self.upstream = connection
            self.perform(self.machine.leased(reused: connection.requestCount > 1))
        case .failure(let error):
            // Answer after the rest of the current read (the request's end, usually) is in,
            // so a failed GET does not needlessly cost the client its keep-alive connection.
            self.loop.eventLoop.assumeIsolated().execute {
                guard self.client != nil, self.lease.target == target else { return }
                self.perform(self.machine.leaseFailed(error))
            }
        }
    }

    /// The PROXY protocol v2 header for a target (`upstream.proxy_protocol: v2`): the real
    /// client (after `trusted_proxies` and an incoming PROXY header) and what it connected to.
    private func proxyProtocolHeader() -> ByteBuffer {
        let destination = self.connectionInfo.destination ?? ("0.0.0.0", 0)
        return ProxyProtocolEncoder.v2(
            source: (self.record.clientAddress, self.connectionInfo.sourcePort),
            destination: (destination.address, destination.port)
        )
    }

    private func respond(with error: UpstreamError) {
        if self.grpcCall != nil {
            self.respondToGRPCCall(with: error)
            return
        }
        let status = error.httpStatus
        self.record.status = UInt(status.code)
        var body = ErrorResponses.body(status, allocator: ByteBufferAllocator())
        var head = ErrorResponses.head(
            status,
            version: self.record.head?.version ?? .http1_1,
            close: false,
            serverHeader: self.settings.serverHeader,
            bodyLength: body.readableBytes
        )
        // `portcullis dev` only: a page that names the local port that is not answering.
        if self.settings.developmentErrorPages,
            let page = DevelopmentErrorPage.page(
                for: error,
                target: self.lease.target.map { ($0.host, $0.port) },
                allocator: ByteBufferAllocator()
            )
        {
            body = page.body
            head.headers.replaceOrAdd(name: "Content-Type", value: page.contentType)
            head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        }
        self.record.responseBytes = body.readableBytes
        self.logger.notice(
            "upstream failure",
            metadata: [
                "status": "\(status.code)", "error": "\(error)", "client": "\(self.record.clientAddress)",
                "listener": "\(self.settings.name)",
            ]
        )
        // The access log is for operators: the reason may name the target.
        self.writeRecord(error: "\(error)")
        // HSTS and the listener's fixed fields on our own errors too; the request's id.
        var fields = head.headers
        fields.add(contentsOf: self.settings.fixedResponseFields)
        var errorHead = ClientResponseHead(status: head.status, version: head.version, fields: fields)
        errorHead.requestID = self.record.requestID
        self.client?.writeResponseHead(errorHead)
        self.client?.writeResponseBody(body)
        self.client?.writeResponseEnd(trailers: nil)
        self.client?.flushResponse()
        self.client?.resumeRequestReads()
    }

    private func dropUpstream() {
        // A response cut short: its compressor (and the library's state) goes with it.
        self.compressor = nil
        guard let upstream = self.upstream else { return }
        self.upstream = nil
        upstream.setDelegate(nil)
        upstream.close()
    }

    private func startResponseTimer() {
        guard let state = self.lease.group else { return }
        // Made at the first forwarded request: a connection that never forwards one (an idle
        // TLS connection, a fixed-response route) carries no timer. Held strongly: the cycle
        // ends when the client goes (``clientClosed()`` cancels it).
        let timeout = GRPCTimeout.bound(responseTimeout: state.group.upstream.responseTimeout, grpcTimeout: self.grpcCall?.timeout)
        self.responseTimer.arm(in: timeout, timers: self.loop.timers) {
            {
                guard let target = self.lease.target else { return }
                self.perform(self.machine.responseTimedOut(.responseTimedOut(target)))
            }
        }
    }

    private func cancelResponseTimer() {
        self.responseTimer?.disarm()
    }

    // MARK: The request record

    /// Hands the finished request's record to the loop's observer (access log, metrics).
    func writeRecord(error: String?) {
        self.record.finish(
            listener: self.settings.name,
            target: self.servesStatic ? "static" : self.lease.target?.id,
            tlsVersion: self.connectionInfo.tlsVersion,
            error: error,
            to: self.loop.observer
        )
    }
}

// MARK: - From the target

extension ForwardingSession: UpstreamConnectionDelegate {
    func upstream(_ connection: any UpstreamLink, receivedHead head: UpstreamResponseHead) {
        guard self.upstream?.holds(connection) == true else { return }
        self.perform(self.machine.responseHead(head))
    }

    func upstream(_ connection: any UpstreamLink, receivedBody body: ByteBuffer) {
        guard self.upstream?.holds(connection) == true else { return }
        if self.machine.isStreamingResponse {
            if self.hasCacheExchange, self.cacheResponseBody(body) {
                return
            }
            if self.compressor != nil {
                self.writeCompressed(body)
                return
            }
            self.record.responseBytes += body.readableBytes
            self.client?.writeResponseBody(body)
            self.clientNeedsFlush = true
        }
    }

    func upstreamReceivedEnd(_ connection: any UpstreamLink, trailers: HTTPHeaders?) {
        guard self.upstream?.holds(connection) == true else { return }
        self.responseTrailers = trailers
        self.perform(self.machine.responseEnd())
    }

    func upstream(_ connection: any UpstreamLink, receivedTunnelBytes bytes: ByteBuffer) {
        guard self.upstream?.holds(connection) == true, self.machine.isTunnel else { return }
        self.record.responseBytes += bytes.readableBytes
        self.client?.writeTunnel(bytes)
        self.clientNeedsFlush = true
    }

    func upstreamReadComplete(_ connection: any UpstreamLink) {
        // A compressed body is flushed once per read from the target (not per part: each flush
        // ends a deflate block), before the client's write is flushed.
        if self.compressor?.hasUnflushedInput == true, self.upstream?.holds(connection) == true, self.machine.isStreamingResponse {
            self.writeCompressed(nil)
        }
        guard self.clientNeedsFlush else { return }
        self.clientNeedsFlush = false
        self.client?.flushResponse()
    }

    func upstreamWritabilityChanged(_ connection: any UpstreamLink, isWritable: Bool) {
        guard isWritable else { return }
        self.client?.resumeRequestReads()
    }

    func upstream(_ connection: any UpstreamLink, closedWith error: (any Error)?) {
        guard self.upstream?.holds(connection) == true else { return }
        let target = connection.target
        if self.machine.isTunnel {
            self.client?.flushResponse()
            self.endTunnel(error: nil)
            self.client?.closeConnection()
            return
        }
        self.upstream = nil
        let why = error.map { "\($0)" } ?? "connection closed"
        let failure: UpstreamError
        if let refused = error as? UpstreamStreamRefused {
            self.perform(self.machine.upstreamRefused(.closedBeforeResponse(target, why), connectionGoingAway: refused.reason == .goAway))
            return
        }
        if self.machine.isStreamingResponse {
            failure = .closedDuringResponse(target, why)
        } else {
            failure = .closedBeforeResponse(target, why)
        }
        self.perform(self.machine.upstreamClosed(failure))
    }
}

@available(*, unavailable)
extension ForwardingSession: Sendable {}
