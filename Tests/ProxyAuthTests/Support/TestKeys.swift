import Foundation

/// A key pair made by `openssl genpkey` in the test directory, with its public JWK.
struct TestKey: Sendable {
    enum Kind: Sendable {
        case ellipticCurve(curve: String, coordinateBytes: Int)
        case rsa
    }

    let kind: Kind
    /// PEM private key file.
    let privateKeyPath: String
    /// The public key's JWK members (without `kid`), as JSON members text: `"kty":"EC",...`.
    let publicMembers: String

    /// Generates a key with `openssl genpkey` and reads its public half back through DER.
    init(_ kind: Kind, name: String) throws {
        self.kind = kind
        self.privateKeyPath = testDirectory + "/\(name).pem"
        switch kind {
        case .ellipticCurve(let curve, _):
            _ = try tool(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve)",
                          "-out", self.privateKeyPath])
        case .rsa:
            _ = try tool(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                          "-out", self.privateKeyPath])
        }
        let spki = try tool(["openssl", "pkey", "-in", self.privateKeyPath, "-pubout", "-outform", "DER"])
        // SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING subjectPublicKey }
        let fields = try DER.elements(try DER.single(spki[...], tag: 0x30))
        guard fields.count == 2, fields[1].tag == 0x03 else { throw ToolError(description: "unexpected SPKI") }
        let publicKey = fields[1].content.dropFirst()  // the BIT STRING's unused-bits byte
        switch kind {
        case .ellipticCurve(_, let size):
            // Uncompressed point: 04 || x || y
            let point = Array(publicKey)
            guard point.count == 1 + 2 * size, point[0] == 4 else { throw ToolError(description: "unexpected EC point") }
            let crv = size == 32 ? "P-256" : size == 48 ? "P-384" : "P-521"
            self.publicMembers = #""kty":"EC","crv":"\#(crv)","x":"\#(base64URL(Array(point[1...size])))","y":"\#(base64URL(Array(point[(size + 1)...])))""#
        case .rsa:
            // RSAPublicKey ::= SEQUENCE { INTEGER n, INTEGER e }
            let integers = try DER.elements(try DER.single(publicKey, tag: 0x30))
            let n = Array(integers[0].content.drop(while: { $0 == 0 }))
            let e = Array(integers[1].content.drop(while: { $0 == 0 }))
            self.publicMembers = #""kty":"RSA","n":"\#(base64URL(n))","e":"\#(base64URL(e))""#
        }
    }

    /// This key as a JWK object, with optional `kid` and extra members (`"alg":"ES256"`).
    func jwk(kid: String? = nil, extra: String? = nil) -> String {
        var members = self.publicMembers
        if let kid { members += #","kid":"\#(kid)""# }
        if let extra { members += "," + extra }
        return "{" + members + "}"
    }

    /// Signs `input` with `openssl dgst` and returns the JWS signature bytes.
    ///
    /// ECDSA signatures come out of openssl as DER and are converted to JWS's raw `r || s`.
    func sign(_ input: String, digest: String = "sha256", pss: Bool = false) throws -> [UInt8] {
        var arguments = ["openssl", "dgst", "-\(digest)", "-sign", self.privateKeyPath]
        if pss {
            arguments += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        }
        let signature = try tool(arguments, input: Array(input.utf8))
        guard case .ellipticCurve(_, let size) = self.kind else { return signature }
        let integers = try DER.elements(try DER.single(signature[...], tag: 0x30))
        return try integers.flatMap { integer -> [UInt8] in
            let magnitude = Array(integer.content.drop(while: { $0 == 0 }))
            guard magnitude.count <= size else { throw ToolError(description: "ECDSA integer too long") }
            return [UInt8](repeating: 0, count: size - magnitude.count) + magnitude
        }
    }
}

/// The keys every JWT test shares, generated once per test run.
struct TestKeys: Sendable {
    let ec: TestKey
    let otherEC: TestKey
    let ec384: TestKey
    let rsa: TestKey
    let otherRSA: TestKey

    static let shared: TestKeys = {
        do {
            return TestKeys(
                ec: try TestKey(.ellipticCurve(curve: "P-256", coordinateBytes: 32), name: "ec"),
                otherEC: try TestKey(.ellipticCurve(curve: "P-256", coordinateBytes: 32), name: "other-ec"),
                ec384: try TestKey(.ellipticCurve(curve: "P-384", coordinateBytes: 48), name: "ec384"),
                rsa: try TestKey(.rsa, name: "rsa"),
                otherRSA: try TestKey(.rsa, name: "other-rsa")
            )
        } catch {
            fatalError("cannot make test keys with openssl: \(error)")
        }
    }()
}

/// Builds a signed token: `base64url(header).base64url(claims).base64url(signature)`.
///
/// - Parameters:
///   - header: The header JSON text.
///   - claims: The claims JSON text.
///   - key: The key to sign with.
///   - digest: The `openssl dgst` digest name.
///   - pss: RSASSA-PSS instead of PKCS #1 v1.5.
func makeToken(header: String, claims: String, key: TestKey, digest: String = "sha256", pss: Bool = false) throws -> String {
    let signingInput = base64URL(header) + "." + base64URL(claims)
    return signingInput + "." + base64URL(try key.sign(signingInput, digest: digest, pss: pss))
}
