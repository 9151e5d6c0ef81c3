import NIOCore
import Testing

@testable import ProxyCore

/// The binary header: signature, version and command, family and transport, length, block.
struct ProxyProtocolV2Tests {
    private typealias Support = ProxyProtocolTestSupport
    private typealias Header = ProxyProtocolHeader

    private static let ipv4Block: [UInt8] = [192, 0, 2, 1, 198, 51, 100, 7, 0xC3, 0x50, 0x01, 0xBB]
    private static let ipv6Block: [UInt8] =
        [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [1]
        + [0xFE, 0x80] + Array(repeating: 0, count: 6) + [0x02, 0x11, 0x22, 0xFF, 0xFE, 0x33, 0x44, 0x55]
        + [0x00, 0x00, 0xFF, 0xFF]

    private static func tcp(
        _ source: String,
        _ sourcePort: Int,
        _ destination: String,
        _ destinationPort: Int,
        alpn: [UInt8]? = nil,
        authority: String? = nil
    ) -> Header {
        Header(
            version: .v2,
            command: .proxy,
            addresses: .tcp(
                source: .init(address: source, port: sourcePort),
                destination: .init(address: destination, port: destinationPort)
            ),
            alpn: alpn,
            authority: authority
        )
    }

    private static let unknown = Header(version: .v2, command: .proxy, addresses: .unknown)
    private static let local = Header(version: .v2, command: .local, addresses: .unknown)

    @Test func readsTCPOverIPv4AndLeavesWhatFollows() {
        let header = Support.v2(0x21, 0x11, block: Self.ipv4Block)
        #expect(header.count == 28)
        let result = Support.parse(header + Array("GET /".utf8))
        #expect(result == .header(Self.tcp("192.0.2.1", 50000, "198.51.100.7", 443), consumedBytes: 28))
    }

    @Test func readsTCPOverIPv6() {
        let header = Support.v2(0x21, 0x21, block: Self.ipv6Block)
        let expected = Self.tcp("2001:db8::1", 0, "fe80::211:22ff:fe33:4455", 65535)
        #expect(Support.parse(header) == .header(expected, consumedBytes: 52))
    }

    @Test func readsHAProxysHeaders() {
        #expect(
            Support.parse(HAProxyCaptures.v2IPv4)
                == .header(Self.tcp("127.0.0.1", 53038, "127.0.0.1", 19100), consumedBytes: 28)
        )
        #expect(Support.parse(HAProxyCaptures.v2IPv6) == .header(Self.tcp("::1", 50088, "::1", 19100), consumedBytes: 52))
        #expect(Support.parse(HAProxyCaptures.v2Local) == .header(Self.local, consumedBytes: 16))
    }

    @Test func readsHAProxysTLVsAndChecksItsCRC32C() {
        let expected = Self.tcp("127.0.0.1", 41594, "127.0.0.1", 19102, alpn: Array("h2".utf8), authority: "www.example.test")
        #expect(Support.parse(HAProxyCaptures.v2TLVs) == .header(expected, consumedBytes: 16 + 0x6E))
        // The same header with one address byte changed no longer matches its checksum.
        var altered = HAProxyCaptures.v2TLVs
        altered[19] = 2
        #expect(Support.parse(altered) == .invalid(reason: "v2: the CRC32C TLV does not match the header"))
    }

    @Test func computesCRC32CAsRFC3720Does() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func keepsTheFirstALPNAndAuthorityAndSkipsOtherTLVs() {
        let tlvs =
            Support.tlv(0x04, [])  // NOOP
            + Support.tlv(0x01, Array("http/1.1".utf8))
            + Support.tlv(0xE0, [1, 2, 3])  // custom
            + Support.tlv(0x02, Array("bücher.example".utf8))
            + Support.tlv(0x01, Array("h2".utf8))
            + Support.tlv(0x20, [0x01, 0, 0, 0, 0] + Support.tlv(0x21, Array("TLSv1.3".utf8)))  // SSL
        let header = Support.v2(0x21, 0x11, block: Self.ipv4Block + tlvs)
        let expected = Self.tcp(
            "192.0.2.1", 50000, "198.51.100.7", 443, alpn: Array("http/1.1".utf8), authority: "bücher.example"
        )
        #expect(Support.parse(header + [0xAA]) == .header(expected, consumedBytes: header.count))
    }

    @Test func refusesMalformedTLVs() {
        // Two bytes left: less than a TLV's type and length.
        #expect(Support.parse(Support.v2(0x21, 0x11, block: Self.ipv4Block + [0x04, 0x00])).isInvalid)
        // A value longer than what is left.
        #expect(Support.parse(Support.v2(0x21, 0x11, block: Self.ipv4Block + [0x04, 0x00, 0x03, 1, 2])).isInvalid)
        // An authority that is not UTF-8.
        #expect(Support.parse(Support.v2(0x21, 0x11, block: Self.ipv4Block + Support.tlv(0x02, [0x61, 0xFF]))).isInvalid)
        // A CRC32C of the wrong size, and a wrong one.
        #expect(Support.parse(Support.v2(0x21, 0x11, block: Self.ipv4Block + Support.tlv(0x03, [0, 0, 0]))).isInvalid)
        #expect(Support.parse(Support.v2(0x21, 0x11, block: Self.ipv4Block + Support.tlv(0x03, [0, 0, 0, 0]))).isInvalid)
    }

    @Test func localIgnoresTheFamilyAndTheBlock() {
        #expect(Support.parse(Support.v2(0x20, 0x00, block: [])) == .header(Self.local, consumedBytes: 16))
        #expect(Support.parse(Support.v2(0x20, 0x11, block: Self.ipv4Block)) == .header(Self.local, consumedBytes: 28))
        // Not even a defined family, nor a block of its family's size: both are ignored.
        #expect(Support.parse(Support.v2(0x20, 0xFF, block: [1, 2, 3])) == .header(Self.local, consumedBytes: 19))
        #expect(Support.parse(Support.v2(0x20, 0x21, block: [])) == .header(Self.local, consumedBytes: 16))
    }

    @Test func takesUnspecUnixAndDatagramsAsUnknown() {
        // AF_UNSPEC, with or without a block, which is skipped.
        #expect(Support.parse(Support.v2(0x21, 0x00, block: [])) == .header(Self.unknown, consumedBytes: 16))
        #expect(Support.parse(Support.v2(0x21, 0x00, block: [9, 9, 9])) == .header(Self.unknown, consumedBytes: 19))
        // An unspecified transport over INET.
        #expect(Support.parse(Support.v2(0x21, 0x10, block: [])) == .header(Self.unknown, consumedBytes: 16))
        // UDP over IPv4 and IPv6.
        #expect(Support.parse(Support.v2(0x21, 0x12, block: Self.ipv4Block)) == .header(Self.unknown, consumedBytes: 28))
        #expect(Support.parse(Support.v2(0x21, 0x22, block: Self.ipv6Block)) == .header(Self.unknown, consumedBytes: 52))
        // UNIX stream and datagram: two 108-byte paths.
        let unixBlock = [UInt8](repeating: 0x2F, count: 216)
        #expect(Support.parse(Support.v2(0x21, 0x31, block: unixBlock)) == .header(Self.unknown, consumedBytes: 232))
        #expect(Support.parse(Support.v2(0x21, 0x32, block: unixBlock + [1])) == .header(Self.unknown, consumedBytes: 233))
    }

    @Test func refusesAnAddressBlockShorterThanItsFamily() {
        #expect(Support.parse(Support.v2(0x21, 0x11, block: Array(Self.ipv4Block.dropLast()))).isInvalid)
        #expect(Support.parse(Support.v2(0x21, 0x21, block: Self.ipv4Block)).isInvalid)
        #expect(Support.parse(Support.v2(0x21, 0x31, block: Self.ipv6Block)).isInvalid)
        #expect(Support.parse(Support.v2(0x21, 0x12, block: [])).isInvalid)
        // Refused from the fixed 16 bytes, without waiting for a block that would not do.
        #expect(Support.parse(Array(Support.v2(0x21, 0x11, block: Array(repeating: 0, count: 11)).prefix(16))).isInvalid)
    }

    @Test(arguments: [0x01, 0x11, 0x31, 0xF1, 0x00] as [UInt8])
    func refusesVersionsOtherThan2AsSoonAsTheByteIsIn(versionCommand: UInt8) {
        let header = Support.v2(versionCommand, 0x11, block: Self.ipv4Block)
        #expect(Support.parse(Array(header.prefix(13))).isInvalid)
        #expect(Support.parse(header).isInvalid)
    }

    @Test(arguments: [0x22, 0x23, 0x2F] as [UInt8])
    func refusesCommandsOtherThanLocalAndProxy(versionCommand: UInt8) {
        let header = Support.v2(versionCommand, 0x11, block: Self.ipv4Block)
        #expect(Support.parse(Array(header.prefix(13))).isInvalid)
        #expect(Support.parse(header).isInvalid)
    }

    @Test(arguments: [0x13, 0x41, 0x03, 0xF1, 0xFF] as [UInt8])
    func refusesUndefinedFamiliesAndTransports(familyTransport: UInt8) {
        let header = Support.v2(0x21, familyTransport, block: Self.ipv4Block)
        #expect(Support.parse(Array(header.prefix(14))).isInvalid)
        #expect(Support.parse(header).isInvalid)
    }

    @Test func refusesALengthAboveTheCapFromTheFixedBytes() {
        let largest = Support.v2(0x21, 0x00, block: Array(repeating: 0, count: ProxyProtocolParser.maximumHeaderLength - 16))
        #expect(Support.parse(largest) == .header(Self.unknown, consumedBytes: ProxyProtocolParser.maximumHeaderLength))
        let tooLarge = Support.v2(0x21, 0x00, block: Array(repeating: 0, count: ProxyProtocolParser.maximumHeaderLength - 15))
        #expect(Support.parse(Array(tooLarge.prefix(16))).isInvalid)
        #expect(Support.parse(ProxyProtocolParser.v2Signature + [0x21, 0x11, 0xFF, 0xFF]).isInvalid)
    }

    @Test func refusesAWrongSignatureAsSoonAsItDiffers() {
        let signature = ProxyProtocolParser.v2Signature
        for index in signature.indices {
            var wrong = Array(signature[...index])
            wrong[index] ^= 0x20
            #expect(Support.parse(wrong).isInvalid, "signature byte \(index) changed")
        }
    }

    @Test func everyPrefixOfAValidHeaderNeedsMoreBytes() {
        let headers = [
            Support.v2(0x21, 0x11, block: Self.ipv4Block),
            Support.v2(0x21, 0x21, block: Self.ipv6Block + Support.tlv(0x02, Array("example.com".utf8))),
            Support.v2(0x20, 0x00, block: []),
            Support.v2(0x21, 0x31, block: Array(repeating: 0, count: 216)),
            Array(HAProxyCaptures.v2TLVs.prefix(16 + 0x6E)),
        ]
        for header in headers {
            for length in 0..<header.count {
                #expect(Support.parse(Array(header[..<length])) == .needMoreBytes, "prefix of \(length) of \(header.count) bytes")
            }
            if case .header(_, let consumed) = Support.parse(header) {
                #expect(consumed == header.count)
            } else {
                Issue.record("a whole header of \(header.count) bytes is not a header")
            }
        }
    }

    @Test func doesNotMoveTheBuffersReaderIndex() {
        var buffer = ByteBuffer(bytes: [0, 0, 0])
        buffer.moveReaderIndex(forwardBy: 3)
        buffer.writeBytes(Support.v2(0x21, 0x11, block: Self.ipv4Block))
        let expected = Self.tcp("192.0.2.1", 50000, "198.51.100.7", 443)
        #expect(ProxyProtocolParser.parse(buffer) == .header(expected, consumedBytes: 28))
        #expect(buffer.readerIndex == 3)
    }
}
