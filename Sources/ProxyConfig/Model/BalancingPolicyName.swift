/// How a target group picks a target for each request. The raw values are the config spellings.
public enum BalancingPolicyName: String, Sendable, Hashable, CaseIterable {
    /// Each target in turn, in proportion to its weight.
    case roundRobin = "round_robin"
    /// The target with the fewest requests in flight, relative to its weight.
    case leastConnections = "least_connections"
    /// A hash of the client IP address, so a client keeps reaching the same target.
    case ipHash = "ip_hash"
    /// Two targets at random, then the less loaded of the two ("power of two choices").
    case randomTwo = "random_two"
}
