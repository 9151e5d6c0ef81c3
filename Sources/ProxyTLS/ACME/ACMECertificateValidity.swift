internal import CSSL
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// What renewal needs to know about a PEM certificate chain on disk: the leaf's validity and names.
public struct ACMECertificateValidity: Sendable, Equatable {
    /// Seconds since 1970 (UTC).
    public var notBefore: Int64
    /// Seconds since 1970 (UTC).
    public var notAfter: Int64
    /// The leaf's SAN DNS names (its CN when it has none).
    public var names: [String]
    /// The issuer in OpenSSL's one-line form.
    public var issuer: String

    /// Reads the leaf of the chain in `path`.
    ///
    /// - Throws: ``TLSConfigurationError`` naming the file when it is unreadable or holds no certificate.
    public static func read(path: String) throws -> ACMECertificateValidity {
        guard let leaf = TLSCertificate.readAll(pem: try PEMFile.read(path)).first else {
            throw TLSConfigurationError.noCertificate(in: path)
        }
        return try leaf.withX509Pointer { x509 in
            guard let notBefore = Self.seconds(X509_get0_notBefore(x509)),
                let notAfter = Self.seconds(X509_get0_notAfter(x509))
            else { throw TLSConfigurationError.noCertificate(in: path) }
            var issuer = ""
            if let name = X509_get_issuer_name(x509), let text = X509_NAME_oneline(name, nil, 0) {
                issuer = String(cString: text)
                CSSL_OPENSSL_free(text)
            }
            return ACMECertificateValidity(notBefore: notBefore, notAfter: notAfter, names: leaf.serverNames, issuer: issuer)
        }
    }

    /// Whether the certificate covers every one of `domains` (case-insensitively).
    public func covers(_ domains: [String]) -> Bool {
        let own = Set(self.names.map { $0.lowercased() })
        return domains.allSatisfy { own.contains($0.lowercased()) }
    }

    private static func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Int64(timegm(&parts))
    }
}
