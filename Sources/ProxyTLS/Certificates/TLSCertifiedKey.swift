internal import CSSL

/// A leaf certificate, its intermediates and its private key, read and checked together.
///
/// Loading fails with a ``TLSConfigurationError`` that names the offending file when a file is
/// missing, holds no certificate or key, the key does not match the leaf, or the key is weak.
final class TLSCertifiedKey: Sendable {
    let source: TLSCertificateSource
    let leaf: TLSCertificate
    /// Intermediates in file order, to send after the leaf.
    let intermediates: [TLSCertificate]
    let privateKey: TLSPrivateKey

    private init(source: TLSCertificateSource, chain: [TLSCertificate], privateKey: TLSPrivateKey) {
        self.source = source
        self.leaf = chain[0]
        self.intermediates = Array(chain.dropFirst())
        self.privateKey = privateKey
    }

    /// Reads and validates one certificate/key pair. Blocking disk I/O.
    static func load(_ source: TLSCertificateSource) throws(TLSConfigurationError) -> TLSCertifiedKey {
        let chain = TLSCertificate.readAll(pem: try PEMFile.read(source.certificatePath))
        guard !chain.isEmpty else { throw .noCertificate(in: source.certificatePath) }

        let keyBytes = try PEMFile.read(source.privateKeyPath)
        let key: TLSPrivateKey
        do {
            key = try TLSPrivateKey.read(pem: keyBytes)
        } catch {
            throw .noPrivateKey(in: source.privateKeyPath, error)
        }

        switch key.kind {
        case .rsa(let bits) where bits < 2048:
            throw .weakKey(source.privateKeyPath, bits: bits)
        case .rsa:
            break
        case .ecdsa(let curve) where curve == "prime256v1" || curve == "secp384r1":
            break
        case .ecdsa(let curve):
            throw .unsupportedKeyType(source.privateKeyPath, found: "ECDSA \(curve)")
        case .other(let name):
            throw .unsupportedKeyType(source.privateKeyPath, found: name)
        }

        ERR_clear_error()
        let matches = chain[0].withX509Pointer { x509 in
            key.withKeyPointer { X509_check_private_key(x509, $0) }
        }
        ERR_clear_error()  // a mismatch queues "key values mismatch"; our error says it better
        guard matches == 1 else {
            throw .keyMismatch(keyPath: source.privateKeyPath, certificatePath: source.certificatePath)
        }
        return TLSCertifiedKey(source: source, chain: chain, privateKey: key)
    }
}
