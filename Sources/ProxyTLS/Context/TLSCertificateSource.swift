/// Where a listener finds one certificate and its key.
public struct TLSCertificateSource: Sendable, Hashable {
    /// PEM file with the leaf certificate first, then any intermediates.
    public var certificatePath: String
    /// PEM file with the leaf's private key (ECDSA P-256/P-384 or RSA >= 2048), unencrypted.
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
