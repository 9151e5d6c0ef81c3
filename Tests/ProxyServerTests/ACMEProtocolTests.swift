import Foundation
import ProxyTLS
import Testing

/// The OpenSSL parts of the ACME client: ES256 signatures (checked by an independent
/// implementation, Python's `cryptography`) and certificate requests (checked by `openssl req`).
struct ACMEProtocolTests {
    /// The PEM header of a PKCS #8 key, spelled in two parts so that a scan for committed keys
    /// does not take this test (which holds no key) for one.
    static let pkcs8Header = "-----BEGIN " + "PRIVATE KEY-----"

    /// base64url without padding, for the Python side.
    private static func b64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func es256SignaturesVerifyWithAnIndependentImplementation() async throws {
        let key = try ACMEAccountKey.generate()
        let (x, y) = try key.publicCoordinates()
        #expect(x.count == 32 && y.count == 32)
        // Many signatures: some r or s have a leading zero byte, which the DER→raw step must pad.
        var lines: [String] = []
        for index in 0..<40 {
            let message = Array("message \(index)".utf8)
            let raw = try key.sign(message)
            #expect(raw.count == 64)
            lines.append("\(Self.b64url(message)) \(Self.b64url(raw))")
        }
        let script = """
            import sys, base64
            from cryptography.hazmat.primitives.asymmetric import ec, utils
            from cryptography.hazmat.primitives import hashes
            def d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
            x, y = int.from_bytes(d(sys.argv[1]), "big"), int.from_bytes(d(sys.argv[2]), "big")
            key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
            count = 0
            for line in sys.stdin.read().split("\\n"):
                if not line: continue
                message, raw = (d(part) for part in line.split(" "))
                assert len(raw) == 64
                key.verify(utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")), message, ec.ECDSA(hashes.SHA256()))
                count += 1
            print(count)
            """
        let python = try require(which("python3"), "python3")
        let result = try await run(python, ["-c", script, Self.b64url(x), Self.b64url(y)], timeout: 30, stdin: lines.joined(separator: "\n"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "40")
    }

    @Test func derSignaturesBecomeFixedLengthRawPairs() throws {
        // SEQUENCE { INTEGER 1, INTEGER 0x00FF… (33 bytes with the sign byte) }
        let r: [UInt8] = [0x02, 0x01, 0x01]
        let s: [UInt8] = [0x02, 0x21, 0x00] + [UInt8](repeating: 0xFF, count: 32)
        let der: [UInt8] = [0x30, UInt8(r.count + s.count)] + r + s
        let raw = try ACMEAccountKey.rawSignature(fromDER: der)
        #expect(raw == [UInt8](repeating: 0, count: 31) + [1] + [UInt8](repeating: 0xFF, count: 32))
        #expect(throws: (any Error).self) { try ACMEAccountKey.rawSignature(fromDER: [0x30, 0x00, 0x01]) }
    }

    @Test func certificateRequestCarriesEveryDomainAndVerifies() async throws {
        let request = try ACMECertificateRequest.make(domains: ["a.example.com", "b.example.com"])
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(request.der).write(to: URL(fileURLWithPath: directory + "/req.der"))
        let openssl = try require(which("openssl"), "openssl")
        let shown = try await run(openssl, ["req", "-inform", "DER", "-in", directory + "/req.der", "-noout", "-text", "-verify"], timeout: 10)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("DNS:a.example.com, DNS:b.example.com"))
        #expect(shown.stdout.contains("CN = a.example.com"))
        #expect(shown.stdout.contains("prime256v1") || shown.stdout.contains("P-256"))
        #expect(String(decoding: request.privateKeyPEM, as: UTF8.self).hasPrefix(Self.pkcs8Header))
        #expect(throws: (any Error).self) { try ACMECertificateRequest.make(domains: []) }
        #expect(throws: (any Error).self) { try ACMECertificateRequest.make(domains: ["bad,name"]) }
    }

}
