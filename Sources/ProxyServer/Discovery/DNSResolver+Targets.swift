import ProxyConfig
import ProxyCore

extension DNSResolver {
    /// The targets a `dns:` or `srv:` entry names now (at most its `max_targets`), the smallest
    /// TTL of the records used (`nil` when there were none), and how many targets the cap cut.
    ///
    /// - `dns:`: the A and AAAA records of the name (CNAMEs followed), each on the entry's port.
    /// - `srv:`: the SRV records of the lowest priority value (RFC 2782: the others are for
    ///   when those fail, which the health checks here decide instead); each target's addresses
    ///   from the additional section, or asked for (A and AAAA) when absent. A target of `.`
    ///   means "no such service": no targets. SRV targets are taken in name order, and none is
    ///   looked up once `max_targets` addresses are in (each one not looked up counts as cut).
    func targets(of source: TargetDiscoveryConfiguration) async throws -> (targets: [DiscoveredTarget], ttl: UInt32?, cut: Int) {
        switch source.record {
        case .address(let name, let port):
            let (addresses, ttl) = try await self.addresses(of: name)
            let targets = addresses.map {
                DiscoveredTarget(host: $0, port: port, weight: source.weight, maxConnections: source.maxConnections)
            }
            let limited = DiscoveredTarget.limited(targets, to: source.maxTargets)
            return (limited.targets, ttl, limited.cut)
        case .service(let name):
            let response = try await self.query(name, type: .srv)
            let (records, srvTTL) = response.records(of: .srv, for: name)
            var services: [(weight: Int, port: Int, target: String)] = []
            var lowest = Int.max
            for case .srv(let priority, let weight, let port, let target) in records where !target.isEmpty && port > 0 {
                if priority < lowest {
                    lowest = priority
                    services = []
                }
                if priority == lowest {
                    services.append((weight, port, target))
                }
            }
            var ttl = srvTTL
            var targets: [DiscoveredTarget] = []
            var notLookedUp = 0
            services.sort { ($0.target, $0.port) < ($1.target, $1.port) }
            for (index, service) in services.enumerated() {
                if targets.count >= source.maxTargets {
                    notLookedUp = services.count - index
                    break
                }
                var addresses: [String] = []
                var addressTTL: UInt32?
                for type in [DNSMessage.RecordType.a, .aaaa] {
                    let found = Self.extra(response.additional, of: type, for: service.target)
                    addresses += found.addresses
                    addressTTL = Self.least(addressTTL, found.ttl)
                }
                if addresses.isEmpty {
                    (addresses, addressTTL) = try await self.addresses(of: service.target)
                }
                ttl = Self.least(ttl, addressTTL)
                for address in addresses {
                    targets.append(
                        DiscoveredTarget(
                            host: address,
                            port: service.port,
                            weight: DiscoveredTarget.weight(fromSRV: service.weight),
                            maxConnections: source.maxConnections
                        )
                    )
                }
            }
            let limited = DiscoveredTarget.limited(targets, to: source.maxTargets)
            return (limited.targets, ttl, limited.cut + notLookedUp)
        }
    }

    /// The A and AAAA addresses of `name`, asked at once; both must answer.
    private func addresses(of name: String) async throws -> (addresses: [String], ttl: UInt32?) {
        async let v4 = self.query(name, type: .a)
        async let v6 = self.query(name, type: .aaaa)
        let (a, aaaa) = (try await v4.records(of: .a, for: name), try await v6.records(of: .aaaa, for: name))
        var addresses: [String] = []
        for data in a.data + aaaa.data {
            switch data {
            case .a(let address), .aaaa(let address): addresses.append(address)
            default: continue
            }
        }
        return (addresses, Self.least(a.ttl, aaaa.ttl))
    }

    private static func extra(_ records: [DNSMessage.Record], of type: DNSMessage.RecordType, for name: String) -> (addresses: [String], ttl: UInt32?) {
        var addresses: [String] = []
        var ttl: UInt32?
        for record in records where record.name == name {
            switch (record.data, type) {
            case (.a(let address), .a), (.aaaa(let address), .aaaa):
                addresses.append(address)
                ttl = Self.least(ttl, record.ttl)
            default: continue
            }
        }
        return (addresses, ttl)
    }

    private static func least(_ first: UInt32?, _ second: UInt32?) -> UInt32? {
        switch (first, second) {
        case (nil, nil): nil
        case (let value?, nil), (nil, let value?): value
        case (let first?, let second?): min(first, second)
        }
    }
}
