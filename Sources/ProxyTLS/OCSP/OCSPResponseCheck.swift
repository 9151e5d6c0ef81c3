/// What a checked OCSP response says about one certificate (RFC 6960).
public struct OCSPResponseCheck: Sendable, Equatable {
    public enum CertificateStatus: String, Sendable, Equatable {
        case good
        case revoked
        case unknown
    }

    public var status: CertificateStatus
    /// When the responder vouched for the status, in seconds since 1970 (UTC).
    public var thisUpdate: Int64
    /// When a newer status will be available; `nil` when the responder gives none (then the
    /// response is refreshed on the fetcher's own schedule).
    public var nextUpdate: Int64?
    /// For a revoked certificate: since when.
    public var revokedAt: Int64?
}

/// Why an OCSP request could not be built or a response was refused, in words an operator can act on.
public struct OCSPError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
