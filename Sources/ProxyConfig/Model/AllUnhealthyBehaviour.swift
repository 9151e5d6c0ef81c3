/// What a target group does when none of its targets is healthy: `all_unhealthy`. The raw values
/// are the config spellings.
public enum AllUnhealthyBehaviour: String, Sendable, Hashable, CaseIterable {
    /// Ignore health and balance over every target, as if all were healthy (`fail_open`, the
    /// default, as AWS ALB does): a health check that is wrong for every target does not take the
    /// whole service down.
    case failOpen = "fail_open"
    /// Answer requests with 503 Service Unavailable until a target is healthy again (`reject`).
    case reject
}
