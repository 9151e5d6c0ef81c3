import NIOCore
import Testing

@testable import ProxyCore

/// v2 headers for targets, read back by the parser.
struct ProxyProtocolEncoderTests {
    private typealias Header = ProxyProtocolHeader

    private static func tcp(_ source: String, _ sourcePort: Int, _ destination: String, _ destinationPort: Int) -> Header {
        Header(
            version: .v2,
            command: .proxy,
            addresses: .tcp(
                source: .init(address: source, port: sourcePort),
                destination: .init(address: destination, port: destinationPort)
            )
        )
    }

    private static func roundTrip(_ buffer: ByteBuffer) -> ProxyProtocolParser.ParseResult {
        ProxyProtocolParser.parse(buffer)
    }

    @Test func writesWhatHAProxyWrites() {
        let ipv4 = ProxyProtocolEncoder.v2(source: ("127.0.0.1", 53038), destination: ("127.0.0.1", 19100))
        #expect(Array(ipv4.readableBytesView) == Array(HAProxyCaptures.v2IPv4.prefix(28)))
        let ipv6 = ProxyProtocolEncoder.v2(source: ("::1", 50088), destination: ("::1", 19100))
        #expect(Array(ipv6.readableBytesView) == Array(HAProxyCaptures.v2IPv6.prefix(52)))
        #expect(Array(ProxyProtocolEncoder.v2Local().readableBytesView) == HAProxyCaptures.v2Local)
    }

    @Test func roundTripsIPv4AndIPv6() {
        let ipv4 = ProxyProtocolEncoder.v2(source: ("203.0.113.9", 61000), destination: ("10.0.0.1", 443))
        #expect(ipv4.readableBytes == 28)
        #expect(Self.roundTrip(ipv4) == .header(Self.tcp("203.0.113.9", 61000, "10.0.0.1", 443), consumedBytes: 28))
        let ipv6 = ProxyProtocolEncoder.v2(source: ("2001:DB8:0::7", 0), destination: ("2001:db8::1:0:0:1", 65535))
        #expect(ipv6.readableBytes == 52)
        #expect(Self.roundTrip(ipv6) == .header(Self.tcp("2001:db8::7", 0, "2001:db8::1:0:0:1", 65535), consumedBytes: 52))
    }

    @Test func mapsIPv4ToIPv6WhenTheFamiliesDiffer() {
        let mixed = ProxyProtocolEncoder.v2(source: ("192.0.2.1", 5000), destination: ("2001:db8::1", 443))
        #expect(Self.roundTrip(mixed) == .header(Self.tcp("::ffff:192.0.2.1", 5000, "2001:db8::1", 443), consumedBytes: 52))
        let other = ProxyProtocolEncoder.v2(source: ("2001:db8::1", 5000), destination: ("192.0.2.1", 443))
        #expect(Self.roundTrip(other) == .header(Self.tcp("2001:db8::1", 5000, "::ffff:192.0.2.1", 443), consumedBytes: 52))
    }

    @Test func sendsUnspecWhenAnAddressIsNotAnIPLiteral() {
        let unix = ProxyProtocolEncoder.v2(source: ("/run/client.sock", 0), destination: ("10.0.0.1", 443))
        #expect(unix.readableBytes == 16)
        #expect(Self.roundTrip(unix) == .header(Header(version: .v2, command: .proxy, addresses: .unknown), consumedBytes: 16))
        let name = ProxyProtocolEncoder.v2(source: ("10.0.0.1", 1), destination: ("localhost", 443))
        #expect(Self.roundTrip(name) == .header(Header(version: .v2, command: .proxy, addresses: .unknown), consumedBytes: 16))
    }

    @Test func writesLocal() {
        let local = Header(version: .v2, command: .local, addresses: .unknown)
        #expect(Self.roundTrip(ProxyProtocolEncoder.v2Local()) == .header(local, consumedBytes: 16))
    }

    @Test func roundTripsRandomAddresses() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let isIPv6 = Bool.random(using: &generator)
            func address() -> String {
                let bytes = (0..<(isIPv6 ? 16 : 4)).map { _ in
                    // Zero-heavy, so that runs of zero groups (and `::`) are common.
                    Bool.random(using: &generator) ? 0 : UInt8.random(in: 0...255, using: &generator)
                }
                return isIPv6 ? IPAddressBytes.ipv6Text(bytes) : IPAddressBytes.ipv4Text(bytes)
            }
            let source = (address(), Int.random(in: 0...65535, using: &generator))
            let destination = (address(), Int.random(in: 0...65535, using: &generator))
            let encoded = ProxyProtocolEncoder.v2(source: source, destination: destination)
            let expected = Self.tcp(source.0, source.1, destination.0, destination.1)
            #expect(Self.roundTrip(encoded) == .header(expected, consumedBytes: isIPv6 ? 52 : 28))
        }
    }
}
