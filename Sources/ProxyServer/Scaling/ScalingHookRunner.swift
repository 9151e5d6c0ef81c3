/// Carries out the hooks of a firing scaling rule. ``SystemScalingHookRunner`` runs real commands
/// and posts real webhooks; tests use a fake that records firings.
public protocol ScalingHookRunner: Sendable {
    /// Starts the `exec` and `webhook` hooks of `firing` and returns without waiting for them.
    ///
    /// The runner logs failures itself; nothing is reported back, and a failing hook never
    /// stops the supervisor.
    func start(_ firing: ScalingFiring)
}
