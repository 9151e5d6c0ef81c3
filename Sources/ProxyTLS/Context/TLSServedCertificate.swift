/// One certificate a ``TLSServerContext`` serves, as the rest of the server sees it: what the
/// certificate inventory lists, and what the OCSP fetcher asks about.
///
/// Immutable and `Sendable`; it keeps the certificates it describes alive, not the context.
public final class TLSServedCertificate: Sendable {
    /// The files it was read from.
    public let source: TLSCertificateSource
    /// SAN DNS names and IP addresses (the CN when there are none).
    public let names: [String]
    /// OpenSSL's one-line form, such as `/O=Portcullis Development/CN=localhost`.
    public let subject: String
    public let issuer: String
    /// Validity, in seconds since 1970 (UTC); `nil` when unreadable.
    public let notBefore: Int64?
    public let notAfter: Int64?
    /// SHA-256 of the leaf's DER, lower-case hex: the key of its OCSP staple (``TLSStapleStore``).
    public let fingerprint: String
    /// The leaf's AIA OCSP responder URLs.
    public let ocspResponders: [String]
    /// Whether the leaf was issued by the project's development CA (`portcullis certs`,
    /// ``DevCertificateAuthority``).
    public let isFromDevelopmentCA: Bool
    /// Whether the chain file holds the leaf's issuer (needed to ask for and check OCSP responses).
    public var hasIssuer: Bool { self.issuerCertificate != nil }

    private let leaf: TLSCertificate
    private let issuerCertificate: TLSCertificate?

    init(_ key: TLSCertifiedKey) {
        self.source = key.source
        self.leaf = key.leaf
        self.issuerCertificate = key.intermediates.first
        let names = key.leaf.alternativeNames.map { name -> String in
            switch name {
            case .dns(let value), .ip(let value): value
            }
        }
        self.names = names.isEmpty ? key.leaf.serverNames : names
        self.subject = key.leaf.subject
        self.issuer = key.leaf.issuer
        self.notBefore = key.leaf.notBefore
        self.notAfter = key.leaf.notAfter
        self.fingerprint = key.leaf.fingerprint
        self.ocspResponders = key.leaf.ocspResponders
        self.isFromDevelopmentCA = key.leaf.issuer.hasSuffix("/CN=\(DevCertificateAuthority.caCommonName)")
    }

    /// A DER-encoded OCSP request for this certificate (POST it with
    /// `Content-Type: application/ocsp-request`).
    ///
    /// - Throws: ``OCSPError`` when the chain file holds no issuer certificate.
    public func ocspRequest() throws(OCSPError) -> [UInt8] {
        try OCSPExchange.request(leaf: self.leaf, issuer: try self.requireIssuer())
    }

    /// Checks a DER-encoded OCSP response for this certificate: successful, signed by its issuer
    /// (or a responder the issuer delegated), about this certificate, and current.
    ///
    /// - Throws: ``OCSPError`` saying which of these failed.
    public func checkOCSPResponse(_ response: [UInt8]) throws(OCSPError) -> OCSPResponseCheck {
        try OCSPExchange.check(response: response, leaf: self.leaf, issuer: try self.requireIssuer())
    }

    private func requireIssuer() throws(OCSPError) -> TLSCertificate {
        guard let issuer = self.issuerCertificate else {
            throw OCSPError("\(self.source.certificatePath) holds no issuer certificate after the leaf, so OCSP responses cannot be checked")
        }
        return issuer
    }
}
