/// Why a command sent through a ``RedisClient`` got no reply.
enum RedisClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The client has no connection and is not allowed to wait for one: the last connection
    /// failed, and reconnecting happens in the background (after the backoff) while commands
    /// fail at once.
    case unavailable
    /// The connection attempt failed (refused, or not completed within the connect timeout).
    case connectFailed(String)
    /// No reply within the command timeout; the connection was dropped.
    case timedOut
    /// The connection closed (or was dropped after another command's failure) before the reply.
    case connectionClosed
    /// Redis sent bytes that are not RESP2, or a reply nobody asked for; the connection was dropped.
    case protocolViolation(String)
    /// More commands were waiting for the first connection than the client queues.
    case tooManyWaiting
    /// ``RedisClient/close()`` was called.
    case shutDown
    /// A reply of a shape the caller did not expect (an error reply, or the wrong type).
    case unexpectedReply(String)

    var description: String {
        switch self {
        case .unavailable: "redis unavailable (reconnecting)"
        case .connectFailed(let reason): "cannot connect to redis: \(reason)"
        case .timedOut: "redis command timed out"
        case .connectionClosed: "redis connection closed"
        case .protocolViolation(let reason): "redis protocol violation: \(reason)"
        case .tooManyWaiting: "too many redis commands waiting for the connection"
        case .shutDown: "redis client shut down"
        case .unexpectedReply(let reply): "unexpected redis reply: \(reply)"
        }
    }
}
