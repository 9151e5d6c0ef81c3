/// Where ``DevCertificateAuthority/ensure(directory:hosts:keyType:)`` put its files.
public struct DevCertificatePaths: Sendable, Hashable {
    /// The CA certificate: add it to a browser's or client's trust store.
    public var caCertificate: String
    /// The CA's private key (mode 0600). Never use it outside development.
    public var caPrivateKey: String
    /// The leaf certificate for `localhost` and the extra hosts.
    public var certificate: String
    /// The leaf's private key (mode 0600).
    public var privateKey: String

    /// The leaf as a listener certificate.
    public var certificateSource: TLSCertificateSource {
        TLSCertificateSource(certificatePath: self.certificate, privateKeyPath: self.privateKey)
    }
}
