/// A certificate chain and its private key, both PEM files.
///
/// Paths are resolved: a relative path in the file is taken relative to the directory of the
/// configuration file, and stored as an absolute path.
public struct CertificatePair: Sendable, Hashable {
    /// The leaf certificate followed by any intermediates (`cert`).
    public var certificatePath: String
    /// The private key for the leaf (`key`).
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
