/// How a target group chooses a target for each request. The raw values are the config
/// spellings (`target_groups.<name>.balancing`).
public enum BalancingPolicy: String, Sendable, Hashable, CaseIterable {
    /// Each target in turn, in proportion to its weight: ``RoundRobinPicker``.
    case roundRobin = "round_robin"
    /// The target with the fewest requests in flight for its weight: ``LeastConnectionsPicker``.
    case leastConnections = "least_connections"
    /// A hash of the client address, so a client keeps reaching the same target: ``IPHashPicker``.
    case ipHash = "ip_hash"
    /// Two targets at random, then the less loaded of the two: ``RandomTwoPicker``.
    case randomTwo = "random_two"

    /// Makes a fresh picker for this policy, with no history.
    ///
    /// Make one per target group and event loop; pickers are not shared between loops.
    public func makePicker() -> any TargetPicker {
        switch self {
        case .roundRobin: RoundRobinPicker()
        case .leastConnections: LeastConnectionsPicker()
        case .ipHash: IPHashPicker()
        case .randomTwo: RandomTwoPicker()
        }
    }
}
