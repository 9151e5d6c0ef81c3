import NIOCore
import Testing

@testable import ProxyCore

/// The text header: `PROXY TCP4|TCP6|UNKNOWN ...\r\n`.
struct ProxyProtocolV1Tests {
    private typealias Support = ProxyProtocolTestSupport
    private typealias Header = ProxyProtocolHeader

    private static func tcp(_ source: String, _ sourcePort: Int, _ destination: String, _ destinationPort: Int) -> Header {
        Header(
            version: .v1,
            command: .proxy,
            addresses: .tcp(
                source: .init(address: source, port: sourcePort),
                destination: .init(address: destination, port: destinationPort)
            )
        )
    }

    @Test func readsATCP4LineAndLeavesWhatFollows() {
        let line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
        let result = Support.parse(line + "GET / HTTP/1.1\r\n")
        #expect(result == .header(Self.tcp("192.168.0.1", 56324, "192.168.0.11", 443), consumedBytes: line.utf8.count))
    }

    @Test func readsTheExtremesOfTCP4() {
        let line = "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"
        #expect(Support.parse(line) == .header(Self.tcp("0.0.0.0", 0, "255.255.255.255", 65535), consumedBytes: line.utf8.count))
    }

    @Test func readsTCP6InAnyFormAndGivesItCanonical() {
        let line = "PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 1 65535\r\n"
        let expected = Self.tcp("2001:db8::1", 1, "::ffff:192.0.2.1", 65535)
        #expect(Support.parse(line) == .header(expected, consumedBytes: line.utf8.count))
        let longest = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
        #expect(longest.utf8.count == 104)
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        #expect(Support.parse(longest) == .header(Self.tcp(full, 65535, full, 65535), consumedBytes: 104))
    }

    @Test func readsUNKNOWNAndIgnoresTheRestOfItsLine() {
        let unknown = Header(version: .v1, command: .proxy, addresses: .unknown)
        #expect(Support.parse("PROXY UNKNOWN\r\nabc") == .header(unknown, consumedBytes: 15))
        #expect(Support.parse("PROXY UNKNOWN 1.2.3.4 junk ::1 x y\r\n") == .header(unknown, consumedBytes: 36))
        // The spec's worst case is exactly the maximum.
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let worst = "PROXY UNKNOWN \(full) \(full) 65535 65535\r\n"
        #expect(worst.utf8.count == ProxyProtocolParser.maximumV1Length)
        #expect(Support.parse(worst) == .header(unknown, consumedBytes: 107))
    }

    @Test func readsHAProxysLines() {
        #expect(
            Support.parse(HAProxyCaptures.v1IPv4)
                == .header(Self.tcp("127.0.0.1", 49348, "127.0.0.1", 19101), consumedBytes: HAProxyCaptures.v1IPv4.count - 8)
        )
        #expect(
            Support.parse(HAProxyCaptures.v1IPv6)
                == .header(Self.tcp("::1", 52472, "::1", 19101), consumedBytes: HAProxyCaptures.v1IPv6.count - 8)
        )
    }

    @Test(arguments: [
        "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
        "PROXY TCP6 2001:db8::1 ::1 1 2\r\n",
        "PROXY UNKNOWN\r\n",
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
    ])
    func everyPrefixOfAValidLineNeedsMoreBytes(line: String) {
        let bytes = Array(line.utf8)
        for length in 0..<bytes.count {
            #expect(Support.parse(Array(bytes[..<length])) == .needMoreBytes, "prefix of \(length) bytes")
        }
        if case .header(_, let consumed) = Support.parse(bytes) {
            #expect(consumed == bytes.count)
        } else {
            Issue.record("the whole line is not a header")
        }
    }

    @Test(arguments: [
        // Spaces: exactly one between fields, none at the ends.
        "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
        "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
        "PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        " PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        // Fields.
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
        "PROXY TCP4\r\n",
        "PROXY \r\n",
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY UNKNOWNX\r\n",
        "PROXY unknown\r\n",
        // Ports.
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 123456 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1a 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 0x10 2\r\n",
        // IPv4: dotted quad, 0...255, no leading zeros.
        "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.010 1 2\r\n",
        "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n",
        "PROXY TCP4 .1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.-4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1234.2.3.4 5.6.7.8 1 2\r\n",
        // The family named must be the family written.
        "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 ::ffff:5.6.7.8 1 2\r\n",
        "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
        "PROXY TCP6 ::1 5.6.7.8 1 2\r\n",
        // IPv6.
        "PROXY TCP6 1::2::3 ::1 1 2\r\n",
        "PROXY TCP6 ::: ::1 1 2\r\n",
        "PROXY TCP6 12345:: ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7:8:: ::1 1 2\r\n",
        "PROXY TCP6 :1:2:3:4:5:6:7 ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7: ::1 1 2\r\n",
        "PROXY TCP6 ::g ::1 1 2\r\n",
        "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
        "PROXY TCP6 [::1] ::1 1 2\r\n",
        "PROXY TCP6 ::ffff:1.2.3.04 ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7:1.2.3.4 ::1 1 2\r\n",
        // Line ends: CRLF and nothing else.
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
        "PROXY TCP4 1.2.3.4\n5.6.7.8 1 2\r\n",
        "PROXY UNKNOWN \n\r\n",
        // Not the protocol at all.
        "GET / HTTP/1.1\r\n",
        "PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "\u{16}\u{03}\u{01}\u{02}\u{00}",
    ])
    func refusesMalformedLines(line: String) {
        #expect(Support.parse(line).isInvalid)
    }

    @Test func refusesEarlyWhatCannotBecomeAHeader() {
        #expect(Support.parse("G").isInvalid)
        #expect(Support.parse("PROX").isInvalid == false)
        #expect(Support.parse("PROXZ").isInvalid)
        #expect(Support.parse("PROXY\t").isInvalid)
        #expect(Support.parse([0x16]).isInvalid)  // a TLS record: the proxy in front forgot the header
    }

    @Test func refusesALineWithoutCRLFInItsFirst107Bytes() {
        let unterminated = "PROXY UNKNOWN " + String(repeating: "a", count: 93)
        #expect(unterminated.utf8.count == 107)
        #expect(Support.parse(String(unterminated.dropLast())) == .needMoreBytes)
        #expect(Support.parse(unterminated).isInvalid)
        // A CR as the 107th byte leaves no room for its LF.
        #expect(Support.parse(String(unterminated.dropLast()) + "\r").isInvalid)
        // One byte over the maximum, even when the CRLF follows.
        #expect(Support.parse(unterminated + "\r\n").isInvalid)
    }
}
