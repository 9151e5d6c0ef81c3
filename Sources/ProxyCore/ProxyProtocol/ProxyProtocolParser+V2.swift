extension ProxyProtocolParser {
    /// `PP2_TYPE_ALPN`.
    private static let tlvALPN: UInt8 = 0x01
    /// `PP2_TYPE_AUTHORITY`.
    private static let tlvAuthority: UInt8 = 0x02
    /// `PP2_TYPE_CRC32C`: a checksum of the whole header, taken with its own 4 bytes zeroed.
    private static let tlvCRC32C: UInt8 = 0x03

    /// Reads a v2 header; `bytes` start with ``v2Signature``.
    ///
    /// Each fixed field is checked as soon as it is in, so a wrong version, command, family or
    /// length is refused without waiting for the rest. The address block and TLVs are read once
    /// the whole header is in. TLVs other than ALPN, authority and CRC32C are skipped; `LOCAL`
    /// and the families that give no TCP client skip the whole block, TLVs included.
    static func parseV2(_ bytes: UnsafeRawBufferPointer) throws(Invalid) -> ParseResult {
        guard bytes.count > 12 else { return .needMoreBytes }
        let version = bytes[12] >> 4
        guard version == 2 else { throw Invalid("v2: version \(version), want 2") }
        let command: ProxyProtocolHeader.Command
        switch bytes[12] & 0x0F {
        case 0: command = .local
        case 1: command = .proxy
        case let other: throw Invalid("v2: unknown command \(other)")
        }

        guard bytes.count > 13 else { return .needMoreBytes }
        let family = bytes[13] >> 4
        let transport = bytes[13] & 0x0F
        /// The block's size for this family: addresses, and ports for INET and INET6.
        var addressLength = 0
        if command == .proxy {
            guard family <= 3, transport <= 2 else {
                throw Invalid("v2: unknown address family \(family) or transport \(transport)")
            }
            if transport != 0 {
                addressLength = [0, 12, 36, 216][Int(family)]
            }
        }

        guard bytes.count >= 16 else { return .needMoreBytes }
        let length = Int(bytes[14]) << 8 | Int(bytes[15])
        let total = 16 + length
        guard total <= Self.maximumHeaderLength else {
            throw Invalid("v2: a header of \(total) bytes, above the \(Self.maximumHeaderLength) taken")
        }
        guard length >= addressLength else {
            throw Invalid("v2: \(length) bytes of addresses, \(addressLength) needed for the family")
        }
        guard bytes.count >= total else { return .needMoreBytes }

        guard command == .proxy, family == 1 || family == 2, transport == 1 else {
            let header = ProxyProtocolHeader(version: .v2, command: command, addresses: .unknown)
            return .header(header, consumedBytes: total)
        }
        let header = UnsafeRawBufferPointer(rebasing: bytes[..<total])
        let addresses = Self.v2Addresses(header, family: family)
        var result = ProxyProtocolHeader(version: .v2, command: .proxy, addresses: addresses)
        try Self.readTLVs(header, from: 16 + addressLength, into: &result)
        return .header(result, consumedBytes: total)
    }

    /// The addresses and ports of an `AF_INET` (`family` 1) or `AF_INET6` (2) block.
    private static func v2Addresses(_ header: UnsafeRawBufferPointer, family: UInt8) -> ProxyProtocolHeader.Addresses {
        let size = family == 1 ? 4 : 16
        func text(at offset: Int) -> String {
            let bytes = header[(16 + offset)..<(16 + offset + size)]
            return size == 4 ? IPAddressBytes.ipv4Text(bytes) : IPAddressBytes.ipv6Text(bytes)
        }
        func port(at offset: Int) -> Int {
            Int(header[16 + offset]) << 8 | Int(header[16 + offset + 1])
        }
        return .tcp(
            source: .init(address: text(at: 0), port: port(at: 2 * size)),
            destination: .init(address: text(at: size), port: port(at: 2 * size + 2))
        )
    }

    /// Reads the TLVs from `start` to the end of `header`: keeps the first ALPN and authority,
    /// checks a CRC32C, skips the rest.
    private static func readTLVs(
        _ header: UnsafeRawBufferPointer,
        from start: Int,
        into result: inout ProxyProtocolHeader
    ) throws(Invalid) {
        var offset = start
        while offset < header.count {
            guard header.count - offset >= 3 else { throw Invalid("v2: a TLV cut short by the header's end") }
            let type = header[offset]
            let length = Int(header[offset + 1]) << 8 | Int(header[offset + 2])
            let valueStart = offset + 3
            guard length <= header.count - valueStart else { throw Invalid("v2: a TLV runs past the header's end") }
            let value = header[valueStart..<(valueStart + length)]
            switch type {
            case Self.tlvALPN where result.alpn == nil:
                result.alpn = Array(value)
            case Self.tlvAuthority where result.authority == nil:
                let text = String(decoding: value, as: UTF8.self)
                guard text.utf8.elementsEqual(value) else { throw Invalid("v2: an authority TLV that is not UTF-8") }
                result.authority = text
            case Self.tlvCRC32C:
                guard length == 4 else { throw Invalid("v2: a CRC32C TLV of \(length) bytes, want 4") }
                try Self.checkCRC32C(header, valueAt: valueStart)
            default:
                break
            }
            offset = valueStart + length
        }
    }

    private static func checkCRC32C(_ header: UnsafeRawBufferPointer, valueAt offset: Int) throws(Invalid) {
        let sent = header[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var zeroed = Array(header)
        zeroed.replaceSubrange(offset..<(offset + 4), with: repeatElement(0, count: 4))
        guard CRC32C.checksum(zeroed) == sent else { throw Invalid("v2: the CRC32C TLV does not match the header") }
    }
}
