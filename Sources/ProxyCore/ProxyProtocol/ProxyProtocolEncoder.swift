public import NIOCore

/// Writes PROXY protocol v2 headers, to send first on a connection to a target that expects one.
///
/// The headers carry no TLVs. ``ProxyProtocolParser`` reads back what this writes.
public enum ProxyProtocolEncoder {
    /// Version 2 and the `PROXY` command: the connection is on behalf of a client.
    private static let versionProxy: UInt8 = 0x21
    /// Version 2 and the `LOCAL` command: the connection is our own (a health check).
    private static let versionLocal: UInt8 = 0x20
    private static let tcpOverIPv4: UInt8 = 0x11
    private static let tcpOverIPv6: UInt8 = 0x21
    private static let unspecified: UInt8 = 0x00

    /// A `PROXY` header for a TCP connection from `source` to `destination`.
    ///
    /// Two IPv4 addresses are sent as `AF_INET`; otherwise as `AF_INET6`, an IPv4 address among
    /// them written IPv4-mapped (`::ffff:192.0.2.1`). IPv4-mapped addresses given here stay IPv6:
    /// unmap them first to send `AF_INET`. When an address is not an IPv4 or IPv6 literal (a
    /// UNIX-socket peer), the header is sent with the `AF_UNSPEC` family and no addresses, as the
    /// spec advises for families the sender cannot express: the target then sees us as the client.
    ///
    /// - Parameters:
    ///   - source: The client's address (IPv4 or IPv6 text, without brackets) and port.
    ///   - destination: The address and port the client connected to.
    /// - Returns: The header, 28 bytes for IPv4, 52 for IPv6, 16 for `AF_UNSPEC`.
    /// - Precondition: Both ports are in 0...65535.
    public static func v2(
        source: (address: String, port: Int),
        destination: (address: String, port: Int)
    ) -> ByteBuffer {
        precondition((0...65535).contains(source.port), "source port \(source.port) is not 0...65535")
        precondition((0...65535).contains(destination.port), "destination port \(destination.port) is not 0...65535")
        guard var sourceBytes = IPAddressBytes.bytes(of: source.address),
            var destinationBytes = IPAddressBytes.bytes(of: destination.address)
        else {
            return Self.header(command: Self.versionProxy, family: Self.unspecified, block: [])
        }
        if sourceBytes.count != destinationBytes.count {
            sourceBytes = Self.ipv6(sourceBytes)
            destinationBytes = Self.ipv6(destinationBytes)
        }
        var block = sourceBytes + destinationBytes
        for port in [source.port, destination.port] {
            block.append(UInt8(port >> 8))
            block.append(UInt8(port & 0xFF))
        }
        let family = sourceBytes.count == 4 ? Self.tcpOverIPv4 : Self.tcpOverIPv6
        return Self.header(command: Self.versionProxy, family: family, block: block)
    }

    /// A `LOCAL` header (16 bytes): the connection is our own, such as a health check, and the
    /// target uses its real peer.
    public static func v2Local() -> ByteBuffer {
        Self.header(command: Self.versionLocal, family: Self.unspecified, block: [])
    }

    private static func header(command: UInt8, family: UInt8, block: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(16 + block.count)
        buffer.writeBytes(ProxyProtocolParser.v2Signature)
        buffer.writeInteger(command)
        buffer.writeInteger(family)
        buffer.writeInteger(UInt16(block.count))
        buffer.writeBytes(block)
        return buffer
    }

    /// 16 bytes: an IPv6 address as it is, an IPv4 one mapped (`::ffff:a.b.c.d`).
    private static func ipv6(_ bytes: [UInt8]) -> [UInt8] {
        bytes.count == 16 ? bytes : Array(repeating: 0, count: 10) + [0xFF, 0xFF] + bytes
    }
}
