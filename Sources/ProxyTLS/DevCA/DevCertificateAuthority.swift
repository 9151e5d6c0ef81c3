internal import CSSL

/// A local certificate authority for development and tests.
///
/// ``ensure(directory:hosts:keyType:)`` keeps one CA per directory (created on first use,
/// reused afterwards) and issues a fresh `localhost` leaf every time. Trust
/// `portcullis-ca.pem` once in a browser or client, and every leaf it issues verifies.
///
/// Everything is done with OpenSSL's APIs; the `openssl` command is not needed. Private keys
/// are written with mode 0600. None of this is meant for production.
///
/// > Important: Blocking disk I/O and key generation. Don't call it on an event loop.
public struct DevCertificateAuthority {
    static let caCertificateName = "portcullis-ca.pem"
    static let caKeyName = "portcullis-ca-key.pem"
    /// The CA's common name: what tells a certificate it issued (``TLSServedCertificate/isFromDevelopmentCA``).
    static let caCommonName = "Portcullis Development CA"
    static let caValidDays = 3650
    /// The longest validity Apple platforms accept for a TLS server certificate.
    static let leafValidDays = 825

    /// Creates (or reuses) the CA in `directory` and issues a new `localhost` leaf.
    ///
    /// Files, all PEM: `portcullis-ca.pem` and `portcullis-ca-key.pem` (ECDSA P-256, CA:TRUE,
    /// keyCertSign, 10 years; reused when both exist), `localhost.pem` (the leaf only; the CA is
    /// the trust root) and `localhost-key.pem`. The leaf is valid for 825 days, for serverAuth,
    /// with SANs `DNS:localhost`, `IP:127.0.0.1`, `IP:::1` and one per extra host (an IP
    /// address literal becomes an IP SAN, anything else a DNS SAN).
    ///
    /// - Parameters:
    ///   - directory: Created (with parents) if missing.
    ///   - hosts: Extra names for the leaf, such as `["app.test", "192.168.1.10"]`.
    ///   - keyType: The leaf's key type. The CA is always ECDSA P-256.
    /// - Throws: ``TLSConfigurationError`` when a file cannot be read or written or a host
    ///   name is not usable; ``OpenSSLError`` when OpenSSL fails.
    public static func ensure(directory: String, hosts: [String] = [], keyType: DevKeyType = .ecdsaP256) throws
        -> DevCertificatePaths
    {
        try PEMFile.makeDirectory(directory)
        let ca = try Self.loadOrCreateCA(in: directory)
        var names = ["localhost", "127.0.0.1", "::1"]
        for host in hosts where !names.contains(host) { names.append(host) }
        let leaf = try Self.issue(stem: "localhost", hosts: names, keyType: keyType, directory: directory, ca: ca)
        return DevCertificatePaths(
            caCertificate: Self.path(directory, Self.caCertificateName),
            caPrivateKey: Self.path(directory, Self.caKeyName),
            certificate: leaf.certificatePath,
            privateKey: leaf.privateKeyPath
        )
    }

    /// Issues one more leaf from the CA in `caDirectory` (created there if missing).
    ///
    /// Writes `<caDirectory>/<stem>.pem` and `<caDirectory>/<stem>-key.pem` (0600). The SANs are
    /// exactly `hosts` (wildcards such as `*.example.com` are allowed); the CN is the first host.
    public static func issueLeaf(
        caDirectory: String,
        stem: String,
        hosts: [String],
        keyType: DevKeyType = .ecdsaP256
    ) throws -> TLSCertificateSource {
        try PEMFile.makeDirectory(caDirectory)
        let ca = try Self.loadOrCreateCA(in: caDirectory)
        return try Self.issue(stem: stem, hosts: hosts, keyType: keyType, directory: caDirectory, ca: ca)
    }

    private static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func loadOrCreateCA(in directory: String) throws -> (certificate: TLSCertificate, key: TLSPrivateKey) {
        let certificatePath = Self.path(directory, Self.caCertificateName)
        let keyPath = Self.path(directory, Self.caKeyName)
        if PEMFile.exists(certificatePath) && PEMFile.exists(keyPath) {
            let loaded = try TLSCertifiedKey.load(TLSCertificateSource(certificatePath: certificatePath, privateKeyPath: keyPath))
            return (loaded.leaf, loaded.privateKey)
        }
        let key = try X509Builder.generateKey(.ecdsaP256)
        let certificate = try X509Builder.makeCertificate(
            commonName: Self.caCommonName,
            key: key,
            issuer: nil,
            validDays: Self.caValidDays,
            extensions: [
                .init(nid: NID_basic_constraints, value: "critical,CA:TRUE,pathlen:0"),
                .init(nid: NID_key_usage, value: "critical,keyCertSign,cRLSign,digitalSignature"),
                .init(nid: NID_subject_key_identifier, value: "hash"),
            ]
        )
        try PEMFile.write(try key.pemBytes(), to: keyPath, mode: 0o600)
        try PEMFile.write(try X509Builder.pemBytes(of: certificate), to: certificatePath, mode: 0o644)
        return (certificate, key)
    }

    private static func issue(
        stem: String,
        hosts: [String],
        keyType: DevKeyType,
        directory: String,
        ca: (certificate: TLSCertificate, key: TLSPrivateKey)
    ) throws -> TLSCertificateSource {
        guard let first = hosts.first else {
            throw TLSConfigurationError.invalidSetting("hosts", "a certificate needs at least one host name")
        }
        guard !stem.isEmpty, !stem.contains("/") else {
            throw TLSConfigurationError.invalidSetting("stem", "must be a plain file name (got \"\(stem)\")")
        }
        let alternativeNames = try hosts.map { host in
            // The SAN is built from OpenSSL's config syntax, so keep its separators out of names.
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-.*_:%".contains($0) }) else {
                throw TLSConfigurationError.invalidSetting("hosts", "not a usable host name: \"\(host)\"")
            }
            if IPAddressText.isIPAddress(host) { return "IP:\(host)" }
            guard !host.contains(":") else {
                throw TLSConfigurationError.invalidSetting("hosts", "not a usable host name: \"\(host)\"")
            }
            return "DNS:\(host)"
        }
        var keyUsage = "critical,digitalSignature"
        if case .rsa = keyType { keyUsage += ",keyEncipherment" }

        let key = try X509Builder.generateKey(keyType)
        let certificate = try X509Builder.makeCertificate(
            commonName: first,
            key: key,
            issuer: ca,
            validDays: Self.leafValidDays,
            extensions: [
                .init(nid: NID_basic_constraints, value: "critical,CA:FALSE"),
                .init(nid: NID_key_usage, value: keyUsage),
                .init(nid: NID_ext_key_usage, value: "serverAuth"),
                .init(nid: NID_subject_alt_name, value: alternativeNames.joined(separator: ",")),
                .init(nid: NID_subject_key_identifier, value: "hash"),
                .init(nid: NID_authority_key_identifier, value: "keyid:always"),
            ]
        )
        let source = TLSCertificateSource(
            certificatePath: Self.path(directory, "\(stem).pem"),
            privateKeyPath: Self.path(directory, "\(stem)-key.pem")
        )
        try PEMFile.write(try key.pemBytes(), to: source.privateKeyPath, mode: 0o600)
        try PEMFile.write(try X509Builder.pemBytes(of: certificate), to: source.certificatePath, mode: 0o644)
        return source
    }
}
