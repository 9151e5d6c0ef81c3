/// An IPv4 or IPv6 network, such as `10.0.0.0/8` or `2001:db8::/32`.
///
/// Used by `trusted_proxies`. A bare address (`192.0.2.7`, `::1`) is a network of one address
/// (`/32` or `/128`). Host bits below the prefix are cleared, so `10.1.2.3/8` is stored and
/// printed as `10.0.0.0/8`.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    private let network: IPAddress
    /// The number of leading bits that must match: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address. Returns `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        var prefixLength = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(digits), value <= maximum
            else { return nil }
            prefixLength = value
        }
        self.prefixLength = prefixLength
        self.network = IPAddress(bytes: Self.masked(address.bytes, prefixLength: prefixLength))
    }

    /// Whether this network is an IPv6 network.
    public var isIPv6: Bool { self.network.isIPv6 }

    /// Whether `ipAddress` (IPv4 or IPv6 text, without brackets or port) lies in this network.
    ///
    /// An IPv4-mapped IPv6 address (`::ffff:192.0.2.7`), as dual-stack sockets report IPv4 peers,
    /// is compared as the IPv4 address it carries. Returns `false` for text that is not an address.
    public func contains(_ ipAddress: String) -> Bool {
        guard var address = IPAddress(ipAddress) else { return false }
        if !self.network.isIPv6, let ipv4 = address.unmappedIPv4 {
            address = ipv4
        }
        guard address.bytes.count == self.network.bytes.count else { return false }
        return Self.masked(address.bytes, prefixLength: self.prefixLength) == self.network.bytes
    }

    public var description: String { "\(self.network)/\(self.prefixLength)" }

    private static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsKept = min(max(prefixLength - index * 8, 0), 8)
            let mask: UInt8 = bitsKept == 0 ? 0 : ~UInt8(0) << (8 - bitsKept)
            return byte & mask
        }
    }
}
