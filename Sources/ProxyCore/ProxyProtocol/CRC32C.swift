/// CRC-32C (Castagnoli, RFC 3720 / RFC 4960 Appendix B), the checksum of the PROXY protocol v2
/// `PP2_TYPE_CRC32C` TLV. Table-driven, one byte at a time: it runs once per header, if at all.
enum CRC32C {
    /// The reflected Castagnoli polynomial.
    private static let polynomial: UInt32 = 0x82F6_3B78

    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ Self.polynomial : crc >> 1
        }
        return crc
    }

    /// The checksum of `bytes`, such as `0xE306_9283` for the ASCII digits `123456789`.
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }
}
