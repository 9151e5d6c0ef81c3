import Logging
import ProxyACME
import ProxyDefaults
import ProxyTLS

/// Runs ``ACMEOrderFlow`` against a CA: signs each request (``ACMEJWS``), keeps the
/// `Replay-Nonce`, retries `badNonce` answers with the fresh nonce the CA sent, and carries out
/// the flow's actions (HTTP over our TLS client, challenge publication, waits).
///
/// One order at a time; the account URL it learns is kept for the next order.
final class ACMEClient: @unchecked Sendable {
    // @unchecked: used by one task at a time (the listener's ACMEManager loop); `nonce` and
    // `accountURL` are only touched by the order running in that task.

    struct Transport: Sendable {
        let caRoots: String?
        let timeout: Duration

        /// One request to an absolute `https://` URL.
        func send(_ method: String, _ url: String, body: String?) async throws -> PlainHTTPClient.Response {
            guard let target = ACMEDirectoryURLParts(url) else {
                throw ACMEClientError.malformedResponse("not an https URL: \(url)")
            }
            var configuration = TLSClientConfiguration(trustRootsPEMPath: self.caRoots, serverName: target.host, applicationProtocols: ["http/1.1"])
            configuration.usesSystemTrustRoots = self.caRoots == nil
            let context = try TLSClientContext(configuration: configuration)
            let client = PlainHTTPClient(host: target.host, port: target.port, timeout: self.timeout, tls: context)
            var headers: [(String, String)] = []
            if body != nil { headers.append(("Content-Type", "application/jose+json")) }
            do {
                return try await client.request(method, target.path, headers: headers, body: body.map { Array($0.utf8) })
            } catch let error as ACMEClientError {
                throw error
            } catch {
                throw ACMEClientError.transport("\(method) \(url): \(error)")
            }
        }
    }

    /// Makes a challenge answerable (and withdraws it): the process's HTTP-01 or TLS-ALPN-01 table.
    struct Publisher: Sendable {
        var publish: @Sendable (ACMEOrderFlow.Challenge) throws -> Void
        var withdraw: @Sendable (ACMEOrderFlow.Challenge) -> Void
        /// Waited after publishing, before the CA is asked to validate.
        var settle: Duration = .zero
    }

    struct Result: Sendable {
        var certificatePEM: [UInt8]
        var privateKeyPEM: [UInt8]
    }

    let directoryURL: String
    let jws: ACMEJWS
    let email: String?
    let transport: Transport
    let logger: Logger
    private(set) var accountURL: String?
    private var nonce: String?
    private var newNonceURL: String?
    /// Every request sent, badNonce retries included (for the decision record's numbers).
    private(set) var requestCount = 0

    init(directoryURL: String, accountKey: ACMEAccountKey, accountURL: String?, email: String?, transport: Transport, logger: Logger) throws {
        self.directoryURL = directoryURL
        self.jws = try ACMEJWS(key: accountKey)
        self.accountURL = accountURL
        self.email = email
        self.transport = transport
        self.logger = logger
    }

    /// Orders a certificate for `domains`, proving control with `challengeType`.
    func order(domains: [String], challengeType: String, publisher: Publisher) async throws -> Result {
        var flow = ACMEOrderFlow(
            domains: domains,
            challengeType: challengeType,
            thumbprint: self.jws.thumbprint,
            accountURL: self.accountURL,
            pollTimeout: Defaults.ACME.pollTimeout
        )
        var published: [ACMEOrderFlow.Challenge] = []
        defer { for challenge in published { publisher.withdraw(challenge) } }
        var privateKey: [UInt8]?
        var certificate: [UInt8]?
        var action = flow.start()
        while true {
            let event: ACMEOrderFlow.Event
            switch action {
            case .fetchDirectory:
                let response = try await self.transport.send("GET", self.directoryURL, body: nil)
                try Self.expect(response, [200], "fetching the directory \(self.directoryURL)")
                let directory = try ACMEDecoding.decode(ACMEDirectory.self, from: response.body, what: "directory")
                self.newNonceURL = directory.newNonce
                event = .directory(directory)
            case .newAccount(let url):
                var payload: [(String, String)] = [("termsOfServiceAgreed", "true")]
                if let email = self.email {
                    payload.append(("contact", ACMEJSON.array([ACMEJSON.string("mailto:\(email)")])))
                }
                let response = try await self.post(url, payload: ACMEJSON.object(payload), signer: .jwk, what: "creating the account")
                try Self.expect(response, [200, 201], "creating the account")
                guard let location = Self.header("Location", in: response) else {
                    throw ACMEClientError.malformedResponse("newAccount without Location")
                }
                self.accountURL = location
                self.logger.info("ACME account ready", metadata: ["account": "\(location)"])
                event = .account(url: location)
            case .newOrder(let url, let domains):
                let identifiers = domains.map {
                    ACMEJSON.object([("type", ACMEJSON.string("dns")), ("value", ACMEJSON.string($0))])
                }
                let response = try await self.post(url, payload: ACMEJSON.object([("identifiers", ACMEJSON.array(identifiers))]), what: "creating the order")
                try Self.expect(response, [201, 200], "creating the order")
                let order = try ACMEDecoding.decode(ACMEOrder.self, from: response.body, what: "order")
                event = .order(order, url: Self.header("Location", in: response), retryAfter: Self.retryAfter(response))
            case .fetchAuthorization(let url):
                let response = try await self.post(url, payload: nil, what: "fetching an authorization")
                try Self.expect(response, [200], "fetching an authorization")
                let authorization = try ACMEDecoding.decode(ACMEAuthorization.self, from: response.body, what: "authorization")
                event = .authorization(authorization, url: url, retryAfter: Self.retryAfter(response))
            case .publish(let challenge):
                try publisher.publish(challenge)
                published.append(challenge)
                if publisher.settle > .zero { try await Task.sleep(for: publisher.settle) }
                event = .published
            case .respond(let url):
                let response = try await self.post(url, payload: "{}", what: "answering a challenge")
                try Self.expect(response, [200], "answering a challenge")
                event = .responded
            case .wait(let delay):
                try await Task.sleep(for: delay)
                event = .waited
            case .fetchOrder(let url):
                let response = try await self.post(url, payload: nil, what: "fetching the order")
                try Self.expect(response, [200], "fetching the order")
                let order = try ACMEDecoding.decode(ACMEOrder.self, from: response.body, what: "order")
                event = .order(order, url: url, retryAfter: Self.retryAfter(response))
            case .finalize(let url):
                let request = try ACMECertificateRequest.make(domains: domains)
                privateKey = request.privateKeyPEM
                let payload = ACMEJSON.object([("csr", ACMEJSON.string(ACMEBase64URL.encode(request.der)))])
                let response = try await self.post(url, payload: payload, what: "finalizing the order")
                try Self.expect(response, [200], "finalizing the order")
                let order = try ACMEDecoding.decode(ACMEOrder.self, from: response.body, what: "order")
                event = .order(order, url: nil, retryAfter: Self.retryAfter(response))
            case .downloadCertificate(let url):
                let response = try await self.post(url, payload: nil, what: "downloading the certificate")
                try Self.expect(response, [200], "downloading the certificate")
                certificate = response.body
                event = .certificate
            case .done:
                guard let certificate, let privateKey else {
                    throw ACMEClientError.malformedResponse("the order finished without a certificate")
                }
                return Result(certificatePEM: certificate, privateKeyPEM: privateKey)
            case .fail(let error):
                throw error
            }
            action = flow.next(event)
        }
    }

    /// A signed POST (`payload` `nil`: POST-as-GET). A `badNonce` answer is retried with the
    /// nonce it carries, up to ``Defaults/ACME/badNonceRetries`` times.
    private func post(_ url: String, payload: String?, signer: ACMEJWS.Signer? = nil, what: String) async throws -> PlainHTTPClient.Response {
        var attempts = 0
        while true {
            let nonce = try await self.takeNonce()
            guard let signer = signer ?? self.accountURL.map(ACMEJWS.Signer.kid) else {
                throw ACMEClientError.malformedResponse("no account for \(what)")
            }
            let body = try self.jws.sign(payload: payload, url: url, nonce: nonce, signer: signer)
            self.requestCount += 1
            let response = try await self.transport.send("POST", url, body: body)
            self.nonce = Self.header("Replay-Nonce", in: response)
            guard response.status >= 400 else { return response }
            let problem = try? ACMEDecoding.decode(ACMEProblem.self, from: response.body, what: what)
            if let problem, problem.isBadNonce, attempts < Defaults.ACME.badNonceRetries {
                attempts += 1
                self.logger.debug("ACME badNonce; retrying with the fresh nonce", metadata: ["attempt": "\(attempts)"])
                continue
            }
            if let problem { throw ACMEClientError.problem(what, problem) }
            throw ACMEClientError.unexpectedStatus(what, response.status)
        }
    }

    private func takeNonce() async throws -> String {
        if let nonce = self.nonce {
            self.nonce = nil
            return nonce
        }
        guard let url = self.newNonceURL else { throw ACMEClientError.malformedResponse("no newNonce URL") }
        self.requestCount += 1
        let response = try await self.transport.send("HEAD", url, body: nil)
        guard let nonce = Self.header("Replay-Nonce", in: response) else {
            throw ACMEClientError.malformedResponse("newNonce answered \(response.status) without Replay-Nonce")
        }
        return nonce
    }

    private static func expect(_ response: PlainHTTPClient.Response, _ statuses: [Int], _ what: String) throws {
        guard !statuses.contains(response.status) else { return }
        if let problem = try? ACMEDecoding.decode(ACMEProblem.self, from: response.body, what: what) {
            throw ACMEClientError.problem(what, problem)
        }
        throw ACMEClientError.unexpectedStatus(what, response.status)
    }

    static func header(_ name: String, in response: PlainHTTPClient.Response) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// `Retry-After` in seconds (the HTTP-date form is treated as absent).
    static func retryAfter(_ response: PlainHTTPClient.Response) -> Duration? {
        Self.header("Retry-After", in: response).flatMap { Int($0.filter { $0 != " " }) }.map { .seconds($0) }
    }
}
