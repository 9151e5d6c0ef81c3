/// `target_groups.<name>.protocol`: how the proxy talks to the group's targets. The raw values
/// are the config spellings.
public enum TargetProtocolName: String, Sendable, Hashable, CaseIterable {
    /// HTTP/1.1 keep-alive connections (the default).
    case http1
    /// HTTP/2 with prior knowledge over plain TCP: each request a stream on a few shared
    /// connections per target and event loop. gRPC targets need it (docs/http2.md).
    case h2c
}
