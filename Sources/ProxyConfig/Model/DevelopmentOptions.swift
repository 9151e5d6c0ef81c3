/// What `portcullis dev` was asked for; ``ProxyConfiguration/development(_:)`` turns it into a
/// configuration.
///
/// - `targets`: each `[/prefix=]target`. A target is `3000`, `:3000` (both `127.0.0.1:3000`),
///   `host:port` or `http://host:port`. Without a prefix it belongs to the default route; with
///   one, to a route for that path prefix. Values with the same prefix (or none) share one target
///   group, balanced round robin.
/// - `listen`: `host:port`, `:port` (all interfaces) or a port alone (`127.0.0.1:<port>`); `nil`
///   for ``Defaults/Dev`` (`127.0.0.1:8443`).
/// - `certificate`: the dev CA's `localhost` certificate the listener serves.
public struct DevelopmentOptions: Sendable, Equatable {
    public var targets: [String]
    public var listen: String?
    public var certificate: CertificatePair

    public init(targets: [String], listen: String? = nil, certificate: CertificatePair) {
        self.targets = targets
        self.listen = listen
        self.certificate = certificate
    }
}
