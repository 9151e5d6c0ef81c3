/// Why an operator's change to a target group's targets was refused.
public enum TargetOperationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No target of the group has this `host:port` or name.
    case unknownTarget(group: String, target: String)
    /// A target with this `host:port` or name is already in the group.
    case alreadyRegistered(group: String, target: String)
    /// The request itself is wrong, e.g. a weight out of range.
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownTarget(let group, let target):
            "target group \"\(group)\" has no target \"\(target)\""
        case .alreadyRegistered(let group, let target):
            "target group \"\(group)\" already has a target \"\(target)\""
        case .invalid(let message):
            message
        }
    }
}

/// How a drain with `wait` ended.
public enum DrainOutcome: Sendable, Equatable {
    /// Every request in flight to the target finished.
    case drained
    /// The deadline passed with this many requests still in flight.
    case timedOut(inFlight: Int)
}
