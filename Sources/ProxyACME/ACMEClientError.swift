/// Why an ACME order failed, in words for the log and `last_error`.
public enum ACMEClientError: Error, CustomStringConvertible, Equatable {
    /// The CA answered with an error document.
    case problem(String, ACMEProblem)
    /// The CA answered with something we could not read.
    case malformedResponse(String)
    /// The CA answered with an unexpected status and no error document.
    case unexpectedStatus(String, Int)
    /// An authorization or challenge ended `invalid`.
    case validationFailed(domain: String, String)
    /// The order ended `invalid`.
    case orderInvalid(String)
    /// The CA took longer than the poll timeout.
    case timedOut(String)
    /// The authorization offers no challenge of the configured type.
    case challengeUnavailable(domain: String, type: String)
    /// Connecting or talking to the CA failed.
    case transport(String)

    public var description: String {
        switch self {
        case .problem(let what, let problem): "\(what): \(problem)"
        case .malformedResponse(let detail): "malformed response from the CA: \(detail)"
        case .unexpectedStatus(let what, let status): "\(what): unexpected HTTP status \(status)"
        case .validationFailed(let domain, let detail): "validation of \(domain) failed: \(detail)"
        case .orderInvalid(let detail): "the order became invalid: \(detail)"
        case .timedOut(let what): "timed out waiting for \(what)"
        case .challengeUnavailable(let domain, let type): "the CA offers no \(type) challenge for \(domain)"
        case .transport(let detail): "cannot reach the CA: \(detail)"
        }
    }
}
