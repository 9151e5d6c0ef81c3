public import NIOCore

/// Reads the PROXY protocol header (HAProxy's `proxy-protocol.txt`, version 1 or 2) at the start
/// of a connection's bytes. Pure: no channel, no clock; ``ProxyProtocolHandler`` feeds it.
///
/// A listener that takes the protocol requires the header: bytes that are neither signature are
/// refused as soon as enough of them are in to tell (no fallback to plain traffic, which would let
/// any client claim any address). Strict, as the spec asks, so that a broken or hostile sender is
/// noticed rather than half-understood:
///
/// - v1: `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` with single spaces, or
///   `PROXY UNKNOWN` followed by anything up to the CRLF; at most ``maximumV1Length`` bytes;
///   addresses of the named family; ports 0...65535 without sign or leading zeros.
/// - v2: version 2, command `LOCAL` or `PROXY`, a defined family and transport, an address block
///   that fits its family, at most ``maximumHeaderLength`` bytes in all, well-formed TLVs, and a
///   matching `CRC32C` TLV if one is sent.
///
/// v2 families: `AF_INET`/`AF_INET6` over `STREAM` give the client's addresses. `AF_UNSPEC`,
/// `AF_UNIX` and `DGRAM` are accepted with ``ProxyProtocolHeader/Addresses/unknown`` (the
/// connection's own peer stays the client), their address block skipped: the spec has receivers
/// fall back to `UNSPEC` for the valid combinations they do not support, and none of them names
/// a TCP client. `LOCAL` (a health check) ignores the family and the block entirely.
public enum ProxyProtocolParser {
    /// What the bytes so far amount to.
    public enum ParseResult: Hashable, Sendable {
        /// A valid prefix of a header: wait for more bytes.
        case needMoreBytes
        /// A complete header, the first `consumedBytes` bytes; the rest belong to the connection.
        case header(ProxyProtocolHeader, consumedBytes: Int)
        /// Not a valid header: close the connection. `reason` is for logs.
        case invalid(reason: String)
    }

    /// The longest v1 line, CRLF included: `PROXY UNKNOWN` with two full IPv6 addresses and ports.
    public static let maximumV1Length = 107
    /// The longest header taken, of either version: 16 bytes of v2 header and up to 1,520 of
    /// addresses and TLVs. Every header is decided by the time this many bytes are in.
    public static let maximumHeaderLength = 1536

    /// `PROXY ` (the v1 signature and the space after it).
    static let v1Signature: [UInt8] = Array("PROXY ".utf8)
    /// `\r\n\r\n\0\r\nQUIT\n`.
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Why the bytes are not a header, thrown inside the parser and returned as
    /// ``ParseResult/invalid(reason:)``.
    struct Invalid: Error {
        var reason: String

        init(_ reason: String) {
            self.reason = reason
        }
    }

    /// Reads a header from the start of `buffer`'s readable bytes. Does not move its reader index.
    public static func parse(_ buffer: ByteBuffer) -> ParseResult {
        buffer.withUnsafeReadableBytes { Self.parse($0) }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        do {
            if Self.isPrefix(of: Self.v1Signature, bytes) {
                return bytes.count < Self.v1Signature.count ? .needMoreBytes : try Self.parseV1(bytes)
            }
            if Self.isPrefix(of: Self.v2Signature, bytes) {
                return bytes.count < Self.v2Signature.count ? .needMoreBytes : try Self.parseV2(bytes)
            }
            return .invalid(reason: "no PROXY protocol signature")
        } catch {
            return .invalid(reason: error.reason)
        }
    }

    /// Whether `bytes` and `signature` agree as far as both go (an empty `bytes` agrees).
    private static func isPrefix(of signature: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        zip(signature, bytes).allSatisfy { $0 == $1 }
    }
}
