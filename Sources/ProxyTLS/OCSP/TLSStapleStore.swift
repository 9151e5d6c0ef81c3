import NIOConcurrencyHelpers

/// The OCSP responses to staple, by certificate: what the status-request callback reads during
/// a handshake, and what the OCSP fetcher writes.
///
/// One store serves every ``TLSServerContext`` of a server, so a context rebuilt for the same
/// certificate (a reload, a file refresh) staples the response already fetched. Entries are
/// keyed by the leaf's SHA-256 fingerprint (``TLSCertificateDetails/fingerprint``): a renewed
/// certificate starts without a staple rather than with its predecessor's.
///
/// Thread-safe. The handshake path only takes the lock to copy a reference to the bytes.
public final class TLSStapleStore: Sendable {
    private let responses = NIOLockedValueBox<[String: [UInt8]]>([:])

    public init() {}

    /// The DER-encoded OCSP response stapled for the certificate, if any.
    public func response(for fingerprint: String) -> [UInt8]? {
        self.responses.withLockedValue { $0[fingerprint] }
    }

    /// Staples `response` (DER) from now on; `nil` stops stapling for that certificate.
    public func setResponse(_ response: [UInt8]?, for fingerprint: String) {
        self.responses.withLockedValue { $0[fingerprint] = response }
    }

    /// Drops the staples of every certificate not in `fingerprints` (certificates no longer served).
    public func keepOnly(_ fingerprints: Set<String>) {
        self.responses.withLockedValue { responses in
            responses = responses.filter { fingerprints.contains($0.key) }
        }
    }
}
