public import ProxyDefaults

/// Targets that come from DNS: an entry of a group's `targets` list written as a mapping with
/// `dns:` or `srv:` instead of `address:` (docs/operations.md, decision 0032).
///
/// - `{dns: app.internal, port: 8080}`: every A and AAAA address of the name, on `port`.
/// - `{srv: _http._tcp.app.internal}`: every target of the SRV records of the lowest priority,
///   on the port of its record, weighted by the record's weight.
///
/// Both take `refresh` (duration, default 30s: the name is resolved again after this long, or
/// after the answer's TTL when that is shorter, never more often than once a second),
/// `max_targets` (default ``Defaults/Discovery/maxTargetsPerEntry``: an answer naming more is
/// cut) and `max_connections`; `dns:` takes `weight` (1...1000, default 1). The targets found join the
/// group like registered ones (health checks, slow start) and are named `dns-<hash>` after their
/// address, so a stickiness cookie does not reveal it.
public struct TargetDiscoveryConfiguration: Sendable, Hashable, CustomStringConvertible {
    public enum Record: Sendable, Hashable {
        /// A and AAAA records of `name`; every address on `port`.
        case address(name: String, port: Int)
        /// SRV records of `name`.
        case service(name: String)
    }

    public var record: Record
    public var refresh: Duration
    /// The weight of each address of a `dns:` entry (SRV records carry their own).
    public var weight: Int
    public var maxConnections: Int?
    /// The most targets this entry brings; an answer naming more is cut.
    public var maxTargets: Int

    public init(
        record: Record,
        refresh: Duration = Defaults.Discovery.refresh,
        weight: Int = 1,
        maxConnections: Int? = nil,
        maxTargets: Int = Defaults.Discovery.maxTargetsPerEntry
    ) {
        self.record = record
        self.refresh = refresh
        self.weight = weight
        self.maxConnections = maxConnections
        self.maxTargets = maxTargets
    }

    /// `dns:app.internal:8080` or `srv:_http._tcp.app.internal`, for logs and the admin API.
    public var description: String {
        switch self.record {
        case .address(let name, let port): "dns:\(name):\(port)"
        case .service(let name): "srv:\(name)"
        }
    }
}
