internal import CSSL
import NIOConcurrencyHelpers

/// The pending TLS-ALPN-01 challenges (RFC 8737) of the process, by DNS name.
///
/// One table is shared by every ``TLSServerContext`` that answers challenges, and survives a
/// context swap (a reload or a new certificate): the ACME client adds a name while its
/// authorization is pending and removes it after. A handshake that offers the `acme-tls/1`
/// protocol for a name in the table gets the challenge certificate, negotiates `acme-tls/1`,
/// and is closed right after the handshake (no application data).
///
/// Thread-safe: OpenSSL asks from whichever event loop runs the handshake.
public final class ACMETLSChallenges: Sendable {
    /// The ALPN protocol name of TLS-ALPN-01.
    public static let protocolName = "acme-tls/1"
    static let protocolBytes = Array(protocolName.utf8)
    /// id-pe-acmeIdentifier (RFC 8737 §3).
    static let acmeIdentifierOID = "1.3.6.1.5.5.7.1.31"

    struct Answer: Sendable {
        let certificate: TLSCertificate
        let key: TLSPrivateKey
    }

    private let answers = NIOLockedValueBox([String: Answer]())

    public init() {}

    /// Publishes the challenge for `name`: a self-signed certificate whose only SAN is `name`,
    /// with the critical acmeIdentifier extension holding SHA-256 of `keyAuthorization`.
    ///
    /// > Important: Generates a key; don't call it on an event loop.
    public func add(name: String, keyAuthorization: String) throws {
        let digest = acmeSHA256(Array(keyAuthorization.utf8))
        // The extension's value is an ASN.1 OCTET STRING (tag 4, 32 bytes) holding the digest.
        let der = ([0x04, 0x20] + digest).map { String(format2: $0) }.joined(separator: ":")
        let key = try X509Builder.generateKey(.ecdsaP256)
        let certificate = try X509Builder.makeCertificate(
            commonName: name,
            key: key,
            issuer: nil,
            validDays: 7,
            extensions: [
                .init(nid: NID_subject_alt_name, value: "DNS:\(name)"),
                .init(oid: Self.acmeIdentifierOID, value: "critical,DER:\(der)"),
            ]
        )
        let answer = Answer(certificate: certificate, key: key)
        self.answers.withLockedValue { $0[Self.normalize(name)] = answer }
    }

    /// Withdraws the challenge for `name` (validated, failed or abandoned).
    public func remove(name: String) {
        _ = self.answers.withLockedValue { $0.removeValue(forKey: Self.normalize(name)) }
    }

    /// The names with a challenge published now.
    public var names: [String] {
        self.answers.withLockedValue { Array($0.keys).sorted() }
    }

    func answer(for name: String?) -> Answer? {
        guard let name else { return nil }
        return self.answers.withLockedValue { $0[Self.normalize(name)] }
    }

    private static func normalize(_ name: String) -> String {
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }
}

extension String {
    /// Two upper-case hex digits.
    fileprivate init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
