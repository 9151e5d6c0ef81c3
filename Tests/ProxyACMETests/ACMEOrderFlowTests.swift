@testable import ProxyACME
import Testing

/// ``ACMEOrderFlow`` without I/O: the answers of a CA in, the next request out.
struct ACMEOrderFlowTests {
    static let directory = ACMEDirectory(newNonce: "https://ca/nonce", newAccount: "https://ca/acct", newOrder: "https://ca/order")

    static func order(_ status: String, authorizations: [String] = ["https://ca/authz/1"], certificate: String? = nil, error: ACMEProblem? = nil) -> ACMEOrder {
        ACMEOrder(status: status, authorizations: authorizations, finalize: "https://ca/finalize/1", certificate: certificate, error: error)
    }

    static func authorization(_ status: String, domain: String = "a.example.com", challengeError: ACMEProblem? = nil) -> ACMEAuthorization {
        ACMEAuthorization(
            status: status,
            identifier: ACMEIdentifier(type: "dns", value: domain),
            challenges: [
                ACMEChallenge(type: "dns-01", url: "https://ca/chall/dns", token: "tdns", status: "pending", error: nil),
                ACMEChallenge(type: "http-01", url: "https://ca/chall/http-\(domain)", token: "tok-\(domain)", status: status, error: challengeError),
            ]
        )
    }

    func flow(accountURL: String? = nil, timeout: Duration = .seconds(120)) -> ACMEOrderFlow {
        ACMEOrderFlow(domains: ["a.example.com"], challengeType: "http-01", thumbprint: "THUMB", accountURL: accountURL, pollTimeout: timeout)
    }

    @Test func aFirstOrderFromAccountToCertificate() {
        var flow = self.flow()
        #expect(flow.start() == .fetchDirectory)
        #expect(flow.next(.directory(Self.directory)) == .newAccount(url: "https://ca/acct"))
        #expect(flow.next(.account(url: "https://ca/acct/7")) == .newOrder(url: "https://ca/order", domains: ["a.example.com"]))
        #expect(flow.accountURL == "https://ca/acct/7")
        #expect(flow.next(.order(Self.order("pending"), url: "https://ca/order/1", retryAfter: nil)) == .fetchAuthorization(url: "https://ca/authz/1"))
        let challenge = ACMEOrderFlow.Challenge(type: "http-01", domain: "a.example.com", token: "tok-a.example.com", keyAuthorization: "tok-a.example.com.THUMB")
        #expect(flow.next(.authorization(Self.authorization("pending"), url: "https://ca/authz/1", retryAfter: nil)) == .publish(challenge))
        #expect(flow.next(.published) == .respond(challengeURL: "https://ca/chall/http-a.example.com"))
        #expect(flow.next(.responded) == .wait(.seconds(1)))
        #expect(flow.next(.waited) == .fetchAuthorization(url: "https://ca/authz/1"))
        // Still pending: answered already, so wait again (the CA's Retry-After, clamped).
        #expect(flow.next(.authorization(Self.authorization("pending"), url: "https://ca/authz/1", retryAfter: .seconds(3))) == .wait(.seconds(3)))
        #expect(flow.next(.waited) == .fetchAuthorization(url: "https://ca/authz/1"))
        #expect(flow.next(.authorization(Self.authorization("valid"), url: "https://ca/authz/1", retryAfter: nil)) == .fetchOrder(url: "https://ca/order/1"))
        #expect(flow.next(.order(Self.order("ready"), url: "https://ca/order/1", retryAfter: nil)) == .finalize(url: "https://ca/finalize/1"))
        #expect(flow.next(.order(Self.order("processing"), url: nil, retryAfter: .seconds(60))) == .wait(.seconds(10)))
        #expect(flow.next(.waited) == .fetchOrder(url: "https://ca/order/1"))
        #expect(
            flow.next(.order(Self.order("valid", certificate: "https://ca/cert/1"), url: "https://ca/order/1", retryAfter: nil))
                == .downloadCertificate(url: "https://ca/cert/1")
        )
        #expect(flow.next(.certificate) == .done)
        #expect(flow.next(.certificate) == .fail(.malformedResponse("event after the order finished")))
    }

    @Test func aKnownAccountGoesStraightToTheOrderAndValidAuthorizationsAreSkipped() {
        var flow = self.flow(accountURL: "https://ca/acct/7")
        #expect(flow.next(.directory(Self.directory)) == .newOrder(url: "https://ca/order", domains: ["a.example.com"]))
        let two = Self.order("pending", authorizations: ["https://ca/authz/1", "https://ca/authz/2"])
        #expect(flow.next(.order(two, url: "https://ca/order/1", retryAfter: nil)) == .fetchAuthorization(url: "https://ca/authz/1"))
        #expect(flow.next(.authorization(Self.authorization("valid"), url: "https://ca/authz/1", retryAfter: nil)) == .fetchAuthorization(url: "https://ca/authz/2"))
        guard case .publish(let challenge) = flow.next(.authorization(Self.authorization("pending", domain: "b.example.com"), url: "https://ca/authz/2", retryAfter: nil)) else {
            Issue.record("expected a challenge to publish")
            return
        }
        #expect(challenge.domain == "b.example.com")
        #expect(challenge.keyAuthorization == "tok-b.example.com.THUMB")
    }

    @Test func aFailedValidationEndsTheOrderWithTheCAsReason() {
        var flow = self.flow(accountURL: "https://ca/acct/7")
        _ = flow.next(.directory(Self.directory))
        _ = flow.next(.order(Self.order("pending"), url: "https://ca/order/1", retryAfter: nil))
        let problem = ACMEProblem(type: "urn:ietf:params:acme:error:connection", detail: "refused", status: 400)
        #expect(
            flow.next(.authorization(Self.authorization("invalid", challengeError: problem), url: "https://ca/authz/1", retryAfter: nil))
                == .fail(.validationFailed(domain: "a.example.com", "connection: refused"))
        )
    }

    @Test func anInvalidOrderAndAMissingChallengeTypeFail() {
        var flow = self.flow(accountURL: "https://ca/acct/7")
        _ = flow.next(.directory(Self.directory))
        let problem = ACMEProblem(type: "urn:ietf:params:acme:error:rejectedIdentifier", detail: "no", status: 400)
        #expect(flow.next(.order(Self.order("invalid", error: problem), url: "https://ca/order/1", retryAfter: nil)) == .fail(.orderInvalid("rejectedIdentifier: no")))

        var other = ACMEOrderFlow(domains: ["a.example.com"], challengeType: "tls-alpn-01", thumbprint: "T", accountURL: "x", pollTimeout: .seconds(5))
        _ = other.next(.directory(Self.directory))
        _ = other.next(.order(Self.order("pending"), url: "https://ca/order/1", retryAfter: nil))
        #expect(
            other.next(.authorization(Self.authorization("pending"), url: "https://ca/authz/1", retryAfter: nil))
                == .fail(.challengeUnavailable(domain: "a.example.com", type: "tls-alpn-01"))
        )
    }

    @Test func pollingGivesUpAfterThePollTimeout() {
        var flow = self.flow(accountURL: "https://ca/acct/7", timeout: .seconds(3))
        _ = flow.next(.directory(Self.directory))
        _ = flow.next(.order(Self.order("ready"), url: "https://ca/order/1", retryAfter: nil))
        var action = flow.next(.order(Self.order("processing"), url: nil, retryAfter: nil))
        var waits = 0
        while case .wait = action {
            waits += 1
            #expect(flow.next(.waited) == .fetchOrder(url: "https://ca/order/1"))
            action = flow.next(.order(Self.order("processing"), url: nil, retryAfter: nil))
        }
        #expect(waits == 3)
        #expect(action == .fail(.timedOut("the order to be issued")))
    }
}
