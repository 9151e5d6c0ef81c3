/// The protocol a target group speaks to its targets (`target_groups.<name>.protocol`).
public enum TargetProtocol: Sendable, Hashable {
    /// HTTP/1.1 keep-alive connections, one request at a time each (``UpstreamPool``).
    case http1
    /// HTTP/2 with prior knowledge over plain TCP: a few connections per target and event loop,
    /// each request a stream on one of them (``H2CUpstreamPool``). gRPC targets need it.
    case h2c
}
