import Foundation
import NIOHTTP1
import ProxyAuth
import ProxyCore
import Testing

@testable import ProxyServer

/// The verified-token cache of `auth.jwt`: a hit skips the signature, never the clock.
struct JWTAuthenticatorTests {
    static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers").path

    @Test func aRememberedTokenStillExpires() async throws {
        let python = try require(which("python3"), "python3")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await run(python, [Self.peers + "/jwt_tool.py", "keygen", directory])
        let now: Int64 = 2_000_000_000
        let token = try await run(python, [Self.peers + "/jwt_tool.py", "token", directory, #"{"sub":"alice","exp":\#(now + 60)}"#])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let jwks = try String(contentsOfFile: directory + "/jwks.json", encoding: .utf8)
        let authenticator = JWTAuthenticator(
            verifier: try JWTVerifier(jwks: jwks, settings: JWTVerifier.Settings(algorithms: [.es256], leeway: 5)),
            claimsToHeaders: [(claim: "sub", field: "X-User")],
            limitClaims: ["sub"]
        )
        var fields = HTTPHeaders()
        fields.add(name: "Authorization", value: "Bearer \(token)")
        for at in [now, now + 30] {  // verified, then remembered
            guard case .passed(let claims, let sent) = authenticator.authenticate(fields, now: at) else {
                Issue.record("refused at \(at)")
                return
            }
            #expect(claims == ["sub": "alice"] && sent == [.init("X-User", "alice")])
        }
        // Past exp + leeway: refused, remembered or not.
        guard case .refused(let refusal) = authenticator.authenticate(fields, now: now + 66) else {
            Issue.record("an expired token passed from the cache")
            return
        }
        #expect(refusal.reason == "auth_failed" && refusal.status == .unauthorized)
        // A token that differs by one character is verified, not matched.
        var characters = Array(token)
        let middle = characters.count - 20  // inside the signature
        characters[middle] = characters[middle] == "A" ? "B" : "A"
        var tampered = HTTPHeaders()
        tampered.add(name: "Authorization", value: "Bearer \(String(characters))")
        if case .passed = authenticator.authenticate(tampered, now: now) {
            Issue.record("a tampered token passed")
        }
    }
}
