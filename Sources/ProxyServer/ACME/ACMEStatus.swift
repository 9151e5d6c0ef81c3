import ProxyACME
/// What an ACME listener reports about its certificate (for `GET /certificates`).
struct ACMEStatus: Sendable, Equatable {
    /// Seconds since 1970; `nil` until a certificate exists.
    var nextRenewal: Int64?
    /// The last failed attempt's reason; `nil` after a success.
    var lastError: String?
    /// `true` while the self-signed placeholder is served.
    var servingPlaceholder: Bool
}
