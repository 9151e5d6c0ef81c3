/// The facts about a request that a balancing policy may use.
///
/// Only ``IPHashPicker`` looks at it today. Keeping the facts in one struct lets a policy learn
/// about more of the request later without changing ``TargetPicker``.
public struct RequestKey: Sendable {
    /// The client's IP address without the port, such as `203.0.113.7` or `2001:db8::1`.
    ///
    /// Write it the same way for every request of a client (the port changes with each
    /// connection), or ``IPHashPicker`` will send the client to different targets.
    public var clientAddress: String

    public init(clientAddress: String) {
        self.clientAddress = clientAddress
    }
}
