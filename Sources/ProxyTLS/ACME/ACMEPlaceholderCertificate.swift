internal import CSSL

/// The self-signed certificate an ACME listener serves until its first real one exists.
public enum ACMEPlaceholderCertificate {
    /// Makes a fresh self-signed certificate (ECDSA P-256, valid 7 days, every domain a SAN) and
    /// writes its key and it to **one** file (mode 0600), created only if `path` does not exist
    /// (written aside, then `link(2)`ed into place, which fails when the name is taken). Instances
    /// sharing `state_dir` that make one at the same moment thus all serve the first one made:
    /// the file never changes under a reader, which reads the certificate and the key separately.
    /// The file serves as both the certificate and the key file.
    ///
    /// > Important: Generates a key and writes files; don't call it on an event loop.
    public static func write(domains: [String], path: String) throws -> TLSCertificateSource {
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
        try PEMFile.create(try key.pemBytes() + X509Builder.pemBytes(of: certificate), at: path, mode: 0o600)
        return TLSCertificateSource(certificatePath: path, privateKeyPath: path)
    }
}
