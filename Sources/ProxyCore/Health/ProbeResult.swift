/// The outcome of one health probe.
///
/// ``description`` is the text for logs and the admin API: `passed: status 200`, `passed` (a TCP
/// check), `failed: connection refused`.
public enum ProbeResult: Sendable, Hashable, CustomStringConvertible {
    /// The probe passed. `status` is the HTTP status code, or `nil` for a TCP check.
    case passed(status: Int?)
    /// The probe failed.
    case failed(reason: ProbeFailure)

    /// Whether this is ``passed(status:)``.
    public var isPass: Bool {
        if case .passed = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .passed(let status?): "passed: status \(status)"
        case .passed(nil): "passed"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}
