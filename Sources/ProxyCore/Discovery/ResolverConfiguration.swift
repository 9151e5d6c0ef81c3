public import ProxyDefaults

/// Where DNS queries go and how long each may take: `global.resolvers`, or the `nameserver`
/// and `options timeout:/attempts:` lines of `/etc/resolv.conf` (resolv.conf(5)).
public struct ResolverConfiguration: Sendable, Hashable {
    /// One DNS server.
    public struct Server: Sendable, Hashable, CustomStringConvertible {
        /// An IP address.
        public var host: String
        public var port: Int

        public init(host: String, port: Int = Defaults.Discovery.resolverPort) {
            self.host = host
            self.port = port
        }

        public var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
    }

    /// Asked in order; each query goes to the next after a timeout.
    public var servers: [Server]
    /// One query's wait for one server's answer.
    public var timeout: Duration
    /// Rounds over `servers` per query.
    public var attempts: Int

    public init(
        servers: [Server],
        timeout: Duration = Defaults.Discovery.queryTimeout,
        attempts: Int = Defaults.Discovery.attempts
    ) {
        self.servers = servers.isEmpty ? [Server(host: Defaults.Discovery.fallbackResolver)] : servers
        self.timeout = timeout
        self.attempts = max(1, attempts)
    }

    /// Reads the text of a `resolv.conf`: `nameserver` lines (IP addresses; at most 3 are used,
    /// as by glibc), and `timeout:` and `attempts:` of `options` lines. Other lines (`search`,
    /// `domain`, comments) do not apply: discovered names are asked as written.
    ///
    /// - Parameter isIPAddress: Whether a `nameserver` value is an IP address (lines that are
    ///   not are skipped, as glibc does).
    public static func parseResolvConf(_ text: String, isIPAddress: (String) -> Bool) -> ResolverConfiguration {
        var servers: [Server] = []
        var timeout = Defaults.Discovery.queryTimeout
        var attempts = Defaults.Discovery.attempts
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.prefix { $0 != "#" && $0 != ";" }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver":
                guard words.count >= 2, servers.count < 3 else { continue }
                // A link-local IPv6 address may carry a zone (`fe80::1%eth0`); the zone is kept.
                let host = String(words[1])
                if isIPAddress(host.split(separator: "%").first.map(String.init) ?? host) {
                    servers.append(Server(host: host))
                }
            case "options":
                for option in words.dropFirst() {
                    if option.hasPrefix("timeout:"), let seconds = Int(option.dropFirst("timeout:".count)), seconds >= 1 {
                        timeout = .seconds(min(seconds, 30))
                    } else if option.hasPrefix("attempts:"), let count = Int(option.dropFirst("attempts:".count)), count >= 1 {
                        attempts = min(count, 5)
                    }
                }
            default:
                continue
            }
        }
        return ResolverConfiguration(servers: servers, timeout: timeout, attempts: attempts)
    }
}
