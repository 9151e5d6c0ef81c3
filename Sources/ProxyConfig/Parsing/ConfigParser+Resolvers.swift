import ProxyDefaults

extension ConfigParser {
    /// Reads `global.resolvers`: IP addresses, each with an optional port (`127.0.0.1:5353`,
    /// `[::1]:53`, `10.0.0.2`; port 53 when absent). Names are refused: a resolver found
    /// through DNS would need a resolver first.
    mutating func resolvers(_ node: ConfigNode, key: String) -> [BindAddress] {
        guard let items = self.list(node, key: key) else { return [] }
        guard !items.isEmpty else {
            self.problems.report(key, at: node, "needs at least one resolver (such as 127.0.0.1:53), or leave it out for /etc/resolv.conf")
            return []
        }
        var resolvers: [BindAddress] = []
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard let text = self.string(item, key: itemKey) else { continue }
            let trimmed = text.trimmingSpaces()
            let address: BindAddress
            if let ip = IPAddress(trimmed) {
                address = BindAddress(host: ip.description, port: Defaults.Discovery.resolverPort)
            } else {
                switch AddressSyntax.parse(trimmed, allowsWildcard: false) {
                case .success(let parsed): address = parsed
                case .failure(let problem):
                    self.problems.report(itemKey, at: item, problem.message)
                    continue
                }
            }
            guard IPAddress(address.host) != nil else {
                self.problems.report(itemKey, at: item, "a resolver is an IP address (such as 127.0.0.1:53), not a name (got \"\(text)\")")
                continue
            }
            resolvers.append(address)
        }
        return resolvers
    }
}
