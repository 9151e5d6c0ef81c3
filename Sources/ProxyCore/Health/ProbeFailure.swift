/// Why one health probe failed.
///
/// ``description`` is the text for logs, such as `status 503` or `connection refused`.
public enum ProbeFailure: Sendable, Hashable, CustomStringConvertible {
    /// The target answered with a status code outside `expect_status`.
    case status(Int)
    /// No answer within the health check's `timeout`.
    case timeout
    /// The TCP connection was refused.
    case refused
    /// The connection was reset or closed before a complete response.
    case reset
    /// The answer is not a response the proxy could forward (``HealthProbeResponseReader``):
    /// what the parser refused.
    case malformedResponse(String)
    /// A gRPC health check's answer was not SERVING: the serving status or the gRPC error.
    case grpc(String)
    /// Any other failure, described for the log.
    case error(String)

    public var description: String {
        switch self {
        case .status(let code): "status \(code)"
        case .timeout: "timeout"
        case .refused: "connection refused"
        case .reset: "connection reset"
        case .malformedResponse(let reason): "malformed response: \(reason)"
        case .grpc(let what): "grpc: \(what)"
        case .error(let message): message
        }
    }
}
