/// Whether a target may receive requests, as far as health checking knows.
///
/// The raw values are the spellings used in logs and the admin API.
public enum TargetHealth: String, Sendable, Hashable {
    /// Not probed yet. Targets configured at startup start here and receive requests
    /// (optimistically) until their first probe result.
    case unknown
    /// Passed enough consecutive probes.
    case healthy
    /// Failed enough consecutive probes, or was added while running and has not passed enough yet.
    case unhealthy
    /// Taken out of rotation by an operator; requests in flight finish. ``HealthStateMachine``
    /// never produces this state.
    case draining
}
