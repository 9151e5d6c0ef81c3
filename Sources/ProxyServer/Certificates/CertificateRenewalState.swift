public import Foundation

/// What a certificate manager (ACME) reports about one certificate it keeps: shown by
/// `GET /certificates` and `portcullis certs status` as `source: acme`, `next_renewal` and
/// `last_error`.
///
/// Set it with ``ProxyServer/recordRenewalState(_:listener:certificatePath:)``.
public struct CertificateRenewalState: Sendable, Equatable {
    /// When the manager will next try to renew; `nil` when none is planned.
    public var nextRenewal: Date?
    /// The last renewal attempt's failure, in words an operator can act on; `nil` after a success.
    public var lastError: String?
    /// When the manager last tried (successfully or not).
    public var lastAttempt: Date?

    public init(nextRenewal: Date? = nil, lastError: String? = nil, lastAttempt: Date? = nil) {
        self.nextRenewal = nextRenewal
        self.lastError = lastError
        self.lastAttempt = lastAttempt
    }
}
