/// The outcome of one health probe.
public enum ProbeResult: Sendable, Hashable {
    /// The probe passed. `status` is the HTTP status code, or `nil` for a TCP check.
    case passed(status: Int?)
    /// The probe failed.
    case failed(reason: ProbeFailure)

    /// Whether this is ``passed(status:)``.
    public var isPass: Bool {
        if case .passed = self { return true }
        return false
    }
}
