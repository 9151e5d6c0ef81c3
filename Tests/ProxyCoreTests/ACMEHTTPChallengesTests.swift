import ProxyCore
import Testing

struct ACMEHTTPChallengesTests {
    @Test func answersKnownTokensOnly() {
        let table = ACMEHTTPChallenges()
        table.add(token: "abc_-1", keyAuthorization: "abc_-1.thumb")
        #expect(table.keyAuthorization(forTarget: "/.well-known/acme-challenge/abc_-1") == "abc_-1.thumb")
        #expect(table.keyAuthorization(forTarget: "/.well-known/acme-challenge/abc_-1?x=1") == "abc_-1.thumb")
        #expect(table.keyAuthorization(forTarget: "/.well-known/acme-challenge/other") == nil)
        #expect(table.keyAuthorization(forTarget: "/.well-known/acme-challenge/../abc_-1") == nil)
        #expect(table.keyAuthorization(forTarget: "/abc_-1") == nil)
        #expect(ACMEHTTPChallenges.isChallengeTarget("/.well-known/acme-challenge/x"))
        #expect(!ACMEHTTPChallenges.isChallengeTarget("/.well-known/other"))
        table.remove(token: "abc_-1")
        #expect(table.keyAuthorization(forTarget: "/.well-known/acme-challenge/abc_-1") == nil)
    }
}
