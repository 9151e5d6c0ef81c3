import Logging

/// Chooses the log level for a failed handshake.
///
/// Port scanners, plain-HTTP clients and old clients fail handshakes all day; those are
/// logged at `.debug` so they never flood the log. Anything else is unusual and goes to `.info`.
enum TLSHandshakeFailureLevel {
    /// Substrings of OpenSSL reason strings that mean "the client's fault, nothing to see".
    static let routineReasons = [
        "http request", "https proxy request", "wrong version number", "unsupported protocol",
        "no shared cipher", "unexpected eof", "version too low", "no protocols available",
        "packet length too long", "record layer failure", "bad packet length", "length mismatch",
        "decode error", "unknown protocol", "record length mismatch", "tlsv1 alert", "sslv3 alert",
        "inappropriate fallback", "no shared group", "no suitable signature algorithm",
    ]

    static func level(for error: OpenSSLError) -> Logger.Level {
        let reasons = error.reasons.lowercased()
        if error.entries.isEmpty || Self.routineReasons.contains(where: { reasons.contains($0) }) {
            return .debug
        }
        return .info
    }
}
