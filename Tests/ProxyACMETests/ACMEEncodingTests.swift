import Foundation
@testable import ProxyACME
import ProxyTLS
import Testing

/// The pure parts of the ACME client: base64url, JSON, the JWK thumbprint, renewal arithmetic,
/// the CA's URLs.
struct ACMEEncodingTests {
    @Test func base64URLRoundTripsWithoutPadding() throws {
        let cases: [(String, String)] = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("\u{FB}\u{FF}", "w7vDvw")]
        for (plain, encoded) in cases {
            #expect(ACMEBase64URL.encode(plain) == encoded)
            #expect(ACMEBase64URL.decode(encoded) == Array(plain.utf8))
        }
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x3E]
        #expect(ACMEBase64URL.encode(bytes) == "-_-_Pg")
        #expect(ACMEBase64URL.decode("abc=") == nil)
        #expect(ACMEBase64URL.decode("a") == nil)
    }

    @Test func jsonStringsAreEscaped() {
        #expect(ACMEJSON.string("a\"b\\c\n\u{01}") == "\"a\\\"b\\\\c\\n\\u0001\"")
        #expect(ACMEJSON.object([("a", "1"), ("b", ACMEJSON.array(["true"]))]) == "{\"a\":1,\"b\":[true]}")
    }

    @Test func jwkThumbprintFollowsRFC7638() throws {
        // RFC 7638 §3: the required members in lexicographic order, no whitespace.
        let x = [UInt8](repeating: 1, count: 32)
        let y = [UInt8](repeating: 2, count: 32)
        let jwk = ACMEJWS.jwk(x: x, y: y)
        #expect(jwk == "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"\(ACMEBase64URL.encode(x))\",\"y\":\"\(ACMEBase64URL.encode(y))\"}")
        let jws = try ACMEJWS(key: ACMEAccountKey.generate())
        #expect(jws.thumbprint.count == 43)
        #expect(jws.keyAuthorization(token: "tok") == "tok.\(jws.thumbprint)")
    }

    @Test func renewalAtTwoThirdsLessJitterAndBackoffDoublesToTheCap() {
        let schedule = ACMERenewalSchedule(retryInitial: .seconds(30), retryMax: .seconds(300))
        // 90 days: two thirds is day 60; the jitter takes at most 5 % of 90 days (4.5 days).
        let day: Int64 = 86_400
        #expect(schedule.renewalTime(notBefore: 0, notAfter: 90 * day, random: 0) == 60 * day)
        #expect(schedule.renewalTime(notBefore: 0, notAfter: 90 * day, random: 1) == 60 * day - 90 * day / 20)
        #expect(schedule.renewalTime(notBefore: 1000, notAfter: 1000, random: 0.5) == 1000)
        #expect(schedule.backoff(afterFailures: 0) == .zero)
        #expect(schedule.backoff(afterFailures: 1) == .seconds(30))
        #expect(schedule.backoff(afterFailures: 2) == .seconds(60))
        #expect(schedule.backoff(afterFailures: 4) == .seconds(240))
        #expect(schedule.backoff(afterFailures: 5) == .seconds(300))
        #expect(schedule.backoff(afterFailures: 1000) == .seconds(300))
    }

    @Test func urlPartsOfCAAddresses() {
        #expect(ACMEDirectoryURLParts("https://127.0.0.1:14000/dir") == ACMEDirectoryURLParts(host: "127.0.0.1", port: 14000, path: "/dir"))
        #expect(ACMEDirectoryURLParts("https://acme.example/a/b?c") == ACMEDirectoryURLParts(host: "acme.example", port: 443, path: "/a/b?c"))
        #expect(ACMEDirectoryURLParts("https://[::1]:8443") == ACMEDirectoryURLParts(host: "::1", port: 8443, path: "/"))
        #expect(ACMEDirectoryURLParts("http://plain.example/") == nil)
        #expect(ACMEDirectoryURLParts("https://host:99999/") == nil)
    }

    @Test func flattenedJWSCarriesTheProtectedHeaderAndASignature() throws {
        let key = try ACMEAccountKey.generate()
        let jws = try ACMEJWS(key: key)
        let body = try jws.sign(payload: "{\"termsOfServiceAgreed\":true}", url: "https://ca.test/new-acct", nonce: "n0nce", signer: .jwk)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        let protectedText = try #require(object["protected"])
        let protected = try #require(ACMEBase64URL.decode(protectedText))
        let header = try #require(try JSONSerialization.jsonObject(with: Data(protected)) as? [String: Any])
        #expect(header["alg"] as? String == "ES256")
        #expect(header["nonce"] as? String == "n0nce")
        #expect(header["url"] as? String == "https://ca.test/new-acct")
        #expect(header["kid"] == nil)
        let jwk = try #require(header["jwk"] as? [String: String])
        #expect(jwk["kty"] == "EC" && jwk["crv"] == "P-256")
        #expect(ACMEBase64URL.decode(object["payload"] ?? "") == Array("{\"termsOfServiceAgreed\":true}".utf8))
        #expect(ACMEBase64URL.decode(object["signature"] ?? "")?.count == 64)

        let asGet = try jws.sign(payload: nil, url: "https://ca.test/order/1", nonce: "n1", signer: .kid("https://ca.test/acct/1"))
        let getObject = try #require(try JSONSerialization.jsonObject(with: Data(asGet.utf8)) as? [String: String])
        #expect(getObject["payload"] == "")
        let getProtectedText = try #require(getObject["protected"])
        let getProtected = try #require(ACMEBase64URL.decode(getProtectedText))
        let getHeader = try #require(try JSONSerialization.jsonObject(with: Data(getProtected)) as? [String: Any])
        #expect(getHeader["kid"] as? String == "https://ca.test/acct/1")
        #expect(getHeader["jwk"] == nil)
    }
}
