public import NIOCore
import NIOHTTP1

/// `auth.forward`: asks an auth service whether a request may pass (Traefik's ForwardAuth,
/// nginx's `auth_request`). The service gets a `GET` of its own path with the client's fields
/// (less the hop-by-hop and framing ones) and `X-Forwarded-Method`, `-Uri`, `-Host`, `-Proto`,
/// `-For`; no body. A `2xx` lets the request through with the `copy_headers` fields of the
/// service's answer; any other answer is returned to the client as the service gave it (status,
/// fields, body up to 64 KiB). A service that cannot be reached gets `503`, one that does not
/// answer in time `504`: the request never passes without a yes.
///
/// Connections to the service come from the event loop's ``UpstreamPool`` (kept alive and
/// reused like a target's).
public struct ForwardAuthCheck: AdmissionCheck {
    public let service: Target
    /// The path (and query) asked for.
    public let path: String
    /// Fields of the service's `2xx` answer copied into the request (as named here).
    public let copyHeaders: [String]
    public let timeout: TimeAmount
    static let maxBodyBytes = 64 * 1024

    public init(service: Target, path: String, copyHeaders: [String], timeout: TimeAmount) {
        self.service = service
        self.path = path
        self.copyHeaders = copyHeaders
        self.timeout = timeout
    }

    public func admit(_ request: AdmissionRequest, loop: ProxyLoop) -> EventLoopFuture<Admission> {
        let promise = loop.eventLoop.makePromise(of: Admission.self)
        let exchange = ForwardAuthExchange(check: self, loop: loop, promise: promise)
        exchange.start(self.head(for: request))
        return promise.futureResult
    }

    /// The request to the service.
    func head(for request: AdmissionRequest) -> UpstreamRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: self.path)
        head.headers.add(name: "Host", value: self.service.id)
        for (name, value) in request.head.headers
        where !HopByHop.isAlwaysRemoved(name) && !HeaderName.equals(name, "host") && !HeaderName.equals(name, "content-length")
            && !HeaderName.equals(name, "expect") && !name.lowercased().hasPrefix("x-forwarded-")
        {
            head.headers.add(name: name, value: value)
        }
        head.headers.add(name: "X-Forwarded-Method", value: request.head.method.rawValue)
        head.headers.add(name: "X-Forwarded-Uri", value: request.head.uri)
        if let host = request.head.headers.first(name: "host") {
            head.headers.add(name: "X-Forwarded-Host", value: host)
        }
        head.headers.add(name: "X-Forwarded-Proto", value: request.scheme)
        head.headers.add(name: "X-Forwarded-For", value: request.clientAddress)
        return UpstreamRequestHead(head)
    }
}

/// One question to the auth service: the connection's delegate until the answer is complete.
///
/// > Important: Event-loop bound (the session's loop).
final class ForwardAuthExchange {
    private let check: ForwardAuthCheck
    private let loop: ProxyLoop
    private var promise: EventLoopPromise<Admission>?
    private var connection: UpstreamConnection?
    private var head: UpstreamResponseHead?
    private var body = ByteBuffer()
    private var timer: Scheduled<Void>?

    init(check: ForwardAuthCheck, loop: ProxyLoop, promise: EventLoopPromise<Admission>) {
        self.check = check
        self.loop = loop
        self.promise = promise
    }

    func start(_ request: UpstreamRequestHead) {
        let settings = UpstreamSettings(connectTimeout: self.check.timeout, responseTimeout: self.check.timeout)
        self.timer = self.loop.eventLoop.assumeIsolated().scheduleTask(in: self.check.timeout) {
            self.finish(.refused(PolicyRefusal(status: .gatewayTimeout, reason: "auth_unavailable", detail: "auth service did not answer in time")))
        }
        self.loop.pool.lease(to: self.check.service, settings: settings) { result in
            switch result {
            case .success(let connection):
                guard self.promise != nil else {
                    self.loop.pool.release(connection, reusable: false, settings: settings)
                    return
                }
                self.connection = connection
                connection.delegate = self
                connection.send(.head(request))
                connection.send(.end(nil))
                connection.flush()
            case .failure(let error):
                self.finish(.refused(PolicyRefusal(status: .serviceUnavailable, reason: "auth_unavailable", detail: "auth service: \(error)")))
            }
        }
    }

    /// Completes once; the connection goes back to the pool only after a whole answer.
    private func finish(_ admission: Admission, reusable: Bool = false) {
        guard let promise = self.promise else { return }
        self.promise = nil
        self.timer?.cancel()
        self.timer = nil
        if let connection = self.connection {
            self.connection = nil
            connection.delegate = nil
            if reusable {
                self.loop.pool.release(connection, reusable: true, settings: UpstreamSettings())
            } else {
                connection.close()
            }
        }
        promise.succeed(admission)
    }

    private func answered() {
        guard let head = self.head else { return }
        let fields = head.fields
        if (200..<300).contains(head.status.code) {
            var copied: [PolicyRefusal.Field] = []
            for name in self.check.copyHeaders {
                for value in fields[canonicalForm: name] {
                    copied.append(.init(name, String(value)))
                }
            }
            self.finish(.passed(requestFields: copied, responseFields: []), reusable: head.keepAlive)
            return
        }
        // Returned as the service answered: its status, fields (less hop-by-hop and framing;
        // the proxy frames the body again) and body.
        var passedOn: [PolicyRefusal.Field] = []
        for (name, value) in fields
        where !HopByHop.isAlwaysRemoved(name) && !HeaderName.equals(name, "content-length") && !HeaderName.equals(name, "server") {
            passedOn.append(.init(name, value))
        }
        self.finish(
            .refused(PolicyRefusal(status: head.status, reason: "auth_denied", detail: "auth service answered \(head.status.code)", fields: passedOn, body: self.body)),
            reusable: head.keepAlive
        )
    }
}

extension ForwardAuthExchange: UpstreamConnectionDelegate {
    func upstream(_ connection: any UpstreamLink, receivedHead head: UpstreamResponseHead) {
        guard head.status.code >= 200 else { return }
        self.head = head
    }

    func upstream(_ connection: any UpstreamLink, receivedBody body: ByteBuffer) {
        var body = body
        guard self.body.readableBytes + body.readableBytes <= ForwardAuthCheck.maxBodyBytes else {
            self.finish(.refused(PolicyRefusal(status: .badGateway, reason: "auth_unavailable", detail: "auth service answer too large")))
            return
        }
        self.body.writeBuffer(&body)
    }

    func upstreamReceivedEnd(_ connection: any UpstreamLink, trailers: HTTPHeaders?) {
        self.answered()
    }

    func upstream(_ connection: any UpstreamLink, receivedTunnelBytes bytes: ByteBuffer) {}

    func upstreamReadComplete(_ connection: any UpstreamLink) {}

    func upstreamWritabilityChanged(_ connection: any UpstreamLink, isWritable: Bool) {}

    func upstream(_ connection: any UpstreamLink, closedWith error: (any Error)?) {
        self.connection = nil
        self.finish(.refused(PolicyRefusal(status: .badGateway, reason: "auth_unavailable", detail: "auth service closed the connection")))
    }
}

@available(*, unavailable)
extension ForwardAuthExchange: Sendable {}
