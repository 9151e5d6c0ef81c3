import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore
@testable import ProxyServer

/// The stickiness cookie codec with the real HMAC-SHA256 signer the server uses.
struct StickyCookieTests {
    private let cookie = StickyCookie(cookieName: "lb", groupName: "web", signer: HMACCookieSigner(key: Array(repeating: 7, count: 32)))

    private func value(of setCookie: String) -> String {
        String(setCookie.split(separator: ";").first!)
    }

    @Test func aCookieItMadeNamesItsTargetAgain() {
        let setCookie = self.cookie.setCookieValue(target: "app-1", secure: true, maxAge: .seconds(600))
        #expect(setCookie.hasPrefix("lb=app-1."))
        #expect(setCookie.hasSuffix("; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=600"))
        let signature = self.value(of: setCookie).split(separator: ".").last!
        #expect(signature.count == 32 && signature.allSatisfy(\.isHexDigit))
        let headers = HTTPHeaders([("Cookie", "a=1; \(self.value(of: setCookie)); b=2")])
        #expect(self.cookie.target(in: headers) == "app-1")
    }

    @Test func aForgedOrForeignCookieNamesNoTarget() {
        let genuine = self.value(of: self.cookie.setCookieValue(target: "app-1", secure: false, maxAge: nil))
        // Another target's name under this signature.
        let forged = genuine.replacingOccurrences(of: "app-1", with: "app-2")
        #expect(self.cookie.target(in: HTTPHeaders([("Cookie", forged)])) == nil)
        // The same target of another group: signed over another value.
        let otherGroup = StickyCookie(cookieName: "lb", groupName: "api", signer: HMACCookieSigner(key: Array(repeating: 7, count: 32)))
        #expect(otherGroup.target(in: HTTPHeaders([("Cookie", genuine)])) == nil)
        // Another key (a restart): no longer valid.
        let restarted = StickyCookie(cookieName: "lb", groupName: "web", signer: HMACCookieSigner(key: Array(repeating: 8, count: 32)))
        #expect(restarted.target(in: HTTPHeaders([("Cookie", genuine)])) == nil)
        #expect(self.cookie.target(in: HTTPHeaders([("Cookie", "lb=nodot")])) == nil)
        #expect(self.cookie.target(in: HTTPHeaders([("Cookie", "other=\(genuine)")])) == nil)
    }

    @Test func aRedirectsLocationFollowsTheRequest() {
        let responses = LocalResponses(router: Router(routes: []), serverHeader: "p")
        let response = responses.redirect(
            RedirectRule(scheme: "https", status: .permanentRedirect),
            requestScheme: "http",
            requestHost: "example.com:80",
            uri: "/a/b?c=d"
        )
        #expect(response.status == .permanentRedirect)
        #expect(response.headers.first(name: "location") == "https://example.com/a/b?c=d")
        #expect(response.headers.first(name: "server") == "p")
        #expect(response.headers.first(name: "content-length") == String(response.body.readableBytes))
    }
}
