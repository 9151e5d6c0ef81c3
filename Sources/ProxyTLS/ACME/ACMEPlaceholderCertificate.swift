internal import CSSL

/// The self-signed certificate an ACME listener serves until its first real one exists.
public enum ACMEPlaceholderCertificate {
    /// Makes a fresh self-signed certificate (ECDSA P-256, valid 7 days, every domain a SAN) and
    /// writes it and its key (0600) atomically.
    ///
    /// > Important: Generates a key and writes files; don't call it on an event loop.
    public static func write(domains: [String], certificatePath: String, privateKeyPath: String) throws -> TLSCertificateSource {
        let names = domains.isEmpty ? ["localhost"] : domains
        for name in names where name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-.*".contains($0) }) {
            throw TLSConfigurationError.invalidSetting("domains", "not a usable host name: \"\(name)\"")
        }
        let key = try X509Builder.generateKey(.ecdsaP256)
        let certificate = try X509Builder.makeCertificate(
            commonName: names[0],
            key: key,
            issuer: nil,
            validDays: 7,
            extensions: [
                .init(nid: NID_basic_constraints, value: "critical,CA:FALSE"),
                .init(nid: NID_key_usage, value: "critical,digitalSignature"),
                .init(nid: NID_ext_key_usage, value: "serverAuth"),
                .init(nid: NID_subject_alt_name, value: names.map { "DNS:\($0)" }.joined(separator: ",")),
            ]
        )
        try PEMFile.write(try key.pemBytes(), to: privateKeyPath, mode: 0o600)
        try PEMFile.write(try X509Builder.pemBytes(of: certificate), to: certificatePath, mode: 0o644)
        return TLSCertificateSource(certificatePath: certificatePath, privateKeyPath: privateKeyPath)
    }
}
