/// The protocol logic of one certificate order (RFC 8555 §7), without I/O: each event (what
/// the CA answered) yields the next action (what to ask it, publish, or wait for).
///
/// ```
/// directory → [newAccount] → newOrder → per authorization: fetch → publish challenge → respond
///   → poll until valid → poll the order until ready → finalize → poll until valid → download
/// ```
///
/// Polls wait the CA's `Retry-After` (clamped to ``pollDelay``), and the order fails once its
/// waiting adds up to more than ``pollTimeout``.
public struct ACMEOrderFlow: Sendable {
    /// A challenge to make answerable before telling the CA to validate it.
    public struct Challenge: Sendable, Equatable {
        public var type: String
        public var domain: String
        public var token: String
        public var keyAuthorization: String

        public init(type: String, domain: String, token: String, keyAuthorization: String) {
            self.type = type
            self.domain = domain
            self.token = token
            self.keyAuthorization = keyAuthorization
        }
    }

    public enum Action: Sendable, Equatable {
        case fetchDirectory
        case newAccount(url: String)
        case newOrder(url: String, domains: [String])
        /// POST-as-GET of an authorization.
        case fetchAuthorization(url: String)
        /// Make the challenge answerable, then report ``Event/published``.
        case publish(Challenge)
        /// POST `{}` to the challenge: "validate now".
        case respond(challengeURL: String)
        /// Wait, then report ``Event/waited``.
        case wait(Duration)
        /// POST-as-GET of the order.
        case fetchOrder(url: String)
        /// Make a key and CSR and POST it to `url`.
        case finalize(url: String)
        case downloadCertificate(url: String)
        /// The order is complete: the certificate chain (PEM) was delivered with the last event.
        case done
        case fail(ACMEClientError)
    }

    public enum Event: Sendable, Equatable {
        case directory(ACMEDirectory)
        case account(url: String)
        /// newOrder's answer, a polled order, or finalize's answer.
        case order(ACMEOrder, url: String?, retryAfter: Duration?)
        case authorization(ACMEAuthorization, url: String, retryAfter: Duration?)
        case published
        case responded
        case waited
        case certificate
    }

    static let pollDelay: ClosedRange<Duration> = .milliseconds(200)...Duration.seconds(10)
    static let defaultPollDelay = Duration.seconds(1)

    let domains: [String]
    let challengeType: String
    let thumbprint: String
    let pollTimeout: Duration
    public private(set) var accountURL: String?

    private var directory: ACMEDirectory?
    private var orderURL: String?
    private var finalizeURL: String?
    /// Authorizations still to see valid, first one being worked on.
    private var authorizations: [String] = []
    /// Authorization URLs whose challenge was answered already.
    private var responded: Set<String> = []
    private var pendingChallenge: (authorization: String, url: String)?
    private var afterWait: Action?
    private var waited: Duration = .zero
    private var finalized = false
    private var finished = false

    public init(domains: [String], challengeType: String, thumbprint: String, accountURL: String?, pollTimeout: Duration) {
        self.domains = domains
        self.challengeType = challengeType
        self.thumbprint = thumbprint
        self.accountURL = accountURL
        self.pollTimeout = pollTimeout
    }

    /// The first action.
    public func start() -> Action { .fetchDirectory }

    public mutating func next(_ event: Event) -> Action {
        guard !self.finished else { return .fail(.malformedResponse("event after the order finished")) }
        let action = self.decide(event)
        switch action {
        case .done, .fail: self.finished = true
        default: break
        }
        return action
    }

    private mutating func decide(_ event: Event) -> Action {
        switch event {
        case .directory(let directory):
            self.directory = directory
            if self.accountURL == nil { return .newAccount(url: directory.newAccount) }
            return .newOrder(url: directory.newOrder, domains: self.domains)

        case .account(let url):
            self.accountURL = url
            guard let directory = self.directory else { return .fail(.malformedResponse("account before directory")) }
            return .newOrder(url: directory.newOrder, domains: self.domains)

        case .order(let order, let url, let retryAfter):
            if let url { self.orderURL = url }
            self.finalizeURL = order.finalize
            return self.orderAction(order, retryAfter: retryAfter)

        case .authorization(let authorization, let url, let retryAfter):
            return self.authorizationAction(authorization, url: url, retryAfter: retryAfter)

        case .published:
            guard let pending = self.pendingChallenge else { return .fail(.malformedResponse("nothing was published")) }
            self.responded.insert(pending.authorization)
            return .respond(challengeURL: pending.url)

        case .responded:
            guard let pending = self.pendingChallenge else { return .fail(.malformedResponse("nothing was answered")) }
            self.pendingChallenge = nil
            // The CA validates asynchronously: look again after a moment.
            return self.poll(.fetchAuthorization(url: pending.authorization), retryAfter: nil, what: "authorization")

        case .waited:
            guard let action = self.afterWait else { return .fail(.malformedResponse("no wait was pending")) }
            self.afterWait = nil
            return action

        case .certificate:
            return .done
        }
    }

    private mutating func orderAction(_ order: ACMEOrder, retryAfter: Duration?) -> Action {
        guard let orderURL = self.orderURL else { return .fail(.malformedResponse("the order has no URL (Location)")) }
        switch order.status {
        case "pending":
            // Each authorization once, in the order's order; valid ones are skipped when fetched.
            if self.authorizations.isEmpty {
                self.authorizations = order.authorizations
            }
            guard let first = self.authorizations.first else {
                return .fail(.malformedResponse("a pending order without authorizations"))
            }
            return .fetchAuthorization(url: first)
        case "ready":
            guard !self.finalized else {
                return self.poll(.fetchOrder(url: orderURL), retryAfter: retryAfter, what: "the order to be issued")
            }
            self.finalized = true
            return .finalize(url: order.finalize)
        case "processing":
            return self.poll(.fetchOrder(url: orderURL), retryAfter: retryAfter, what: "the order to be issued")
        case "valid":
            guard let certificate = order.certificate else {
                return .fail(.malformedResponse("a valid order without a certificate URL"))
            }
            return .downloadCertificate(url: certificate)
        case "invalid":
            return .fail(.orderInvalid(order.error?.description ?? "no detail"))
        default:
            return .fail(.malformedResponse("unknown order status \"\(order.status)\""))
        }
    }

    private mutating func authorizationAction(_ authorization: ACMEAuthorization, url: String, retryAfter: Duration?) -> Action {
        let domain = authorization.identifier.value
        switch authorization.status {
        case "valid":
            self.authorizations.removeAll { $0 == url }
            if let next = self.authorizations.first { return .fetchAuthorization(url: next) }
            guard let orderURL = self.orderURL else { return .fail(.malformedResponse("the order has no URL")) }
            return .fetchOrder(url: orderURL)
        case "pending":
            if self.responded.contains(url) {
                return self.poll(.fetchAuthorization(url: url), retryAfter: retryAfter, what: "validation of \(domain)")
            }
            guard let challenge = authorization.challenges.first(where: { $0.type == self.challengeType }),
                let token = challenge.token
            else {
                return .fail(.challengeUnavailable(domain: domain, type: self.challengeType))
            }
            self.pendingChallenge = (url, challenge.url)
            return .publish(
                Challenge(type: self.challengeType, domain: domain, token: token, keyAuthorization: "\(token).\(self.thumbprint)")
            )
        case "invalid":
            let detail = authorization.challenges.first(where: { $0.type == self.challengeType })?.error?.description
            return .fail(.validationFailed(domain: domain, detail ?? "the CA gave no reason"))
        default:
            return .fail(.validationFailed(domain: domain, "authorization is \(authorization.status)"))
        }
    }

    private mutating func poll(_ action: Action, retryAfter: Duration?, what: String) -> Action {
        let delay = min(max(retryAfter ?? Self.defaultPollDelay, Self.pollDelay.lowerBound), Self.pollDelay.upperBound)
        self.waited += delay
        guard self.waited <= self.pollTimeout else { return .fail(.timedOut(what)) }
        self.afterWait = action
        return .wait(delay)
    }
}
