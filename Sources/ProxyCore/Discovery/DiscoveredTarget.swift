/// One address a DNS answer gave for a target group: an A/AAAA address on the configured port,
/// or an SRV target's address on its record's port, with its weight.
public struct DiscoveredTarget: Sendable, Hashable, CustomStringConvertible {
    /// An IP address.
    public var host: String
    public var port: Int
    /// 1...1000.
    public var weight: Int
    /// `max_connections` of the entry that named it.
    public var maxConnections: Int?

    public init(host: String, port: Int, weight: Int, maxConnections: Int? = nil) {
        self.host = host
        self.port = port
        self.weight = weight
        self.maxConnections = maxConnections
    }

    /// The id the target has in its group (`host:port`, `[v6]:port`), as ``Target/id``.
    public var id: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }

    /// The target's name in its group: `dns-` and 16 hex digits of a hash of its id (FNV-1a),
    /// the same on every instance and every run, so a stickiness cookie names it without
    /// revealing its address.
    public var name: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self.id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "dns-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    public var description: String { "\(self.id) (weight \(self.weight))" }

    /// At most `limit` of `targets`: all of them in their order when they fit, else the `limit`
    /// with the lowest ids. DNS servers rotate the order of their records, so taking the first
    /// would change the subset at every refresh (targets registered and drained back and forth);
    /// by id it is the same subset at every refresh and on every instance.
    ///
    /// - Returns: The targets kept, and how many were cut.
    public static func limited(_ targets: [DiscoveredTarget], to limit: Int) -> (targets: [DiscoveredTarget], cut: Int) {
        guard targets.count > max(limit, 0) else { return (targets, 0) }
        let kept = targets.sorted { $0.id < $1.id }.prefix(max(limit, 0))
        return (Array(kept), targets.count - kept.count)
    }

    /// An SRV weight (0...65535) as a target weight (1...1000): 0 becomes 1, more than 1000
    /// becomes 1000 (the proportions of weights up to 1000 are kept).
    public static func weight(fromSRV weight: Int) -> Int {
        min(max(weight, 1), 1000)
    }
}
