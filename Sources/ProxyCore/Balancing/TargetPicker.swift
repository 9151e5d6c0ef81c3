/// Chooses which target receives the next request.
///
/// Each event loop owns its own picker, just as it owns its connections, so a picker keeps
/// mutable state without locks. Health, ejection and connection limits are not the picker's
/// job: the caller passes only the targets that may take the request.
///
/// Make one with ``BalancingPolicy/makePicker()``.
public protocol TargetPicker {
    /// Returns one of `candidates`, or `nil` exactly when `candidates` is empty.
    ///
    /// - Parameters:
    ///   - candidates: The targets that may take this request, in the target group's stable
    ///     order. The set may change between calls (health, ejection, connection limits,
    ///     reload), so a picker keys any state by ``Target/id`` and never by index.
    ///   - request: What the policy may look at.
    mutating func pick(from candidates: [BalancingCandidate], for request: RequestKey) -> Target?
}
