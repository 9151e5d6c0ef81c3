import NIOCore

@testable import ProxyCore

/// Helpers shared by the PROXY protocol tests.
enum ProxyProtocolTestSupport {
    static func parse(_ bytes: [UInt8]) -> ProxyProtocolParser.ParseResult {
        ProxyProtocolParser.parse(ByteBuffer(bytes: bytes))
    }

    static func parse(_ text: String) -> ProxyProtocolParser.ParseResult {
        ProxyProtocolParser.parse(ByteBuffer(string: text))
    }

    /// A v2 header: the signature, the version-and-command byte, the family-and-transport byte,
    /// the block's length, the block.
    static func v2(_ versionCommand: UInt8, _ familyTransport: UInt8, block: [UInt8]) -> [UInt8] {
        ProxyProtocolParser.v2Signature + [versionCommand, familyTransport, UInt8(block.count >> 8), UInt8(block.count & 0xFF)]
            + block
    }

    /// A TLV: type, 2-byte length, value.
    static func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        [type, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
    }

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)!
        }
    }
}

extension ProxyProtocolParser.ParseResult {
    var isInvalid: Bool {
        if case .invalid = self { return true }
        return false
    }
}

/// Headers captured from HAProxy 2.6.12 (Debian 12's package), each followed by the first bytes
/// its client sent: an independent implementation to check ours against.
///
/// Made with `haproxy -db` in `mode tcp`, frontends on 127.0.0.1 and ::1 whose backends' `server`
/// lines pointed at a Python socket that saved what it received:
/// - `send-proxy-v2` (IPv4 and IPv6 clients), `send-proxy` (v1, both families);
/// - `send-proxy-v2 proxy-v2-options ssl,authority,crc32c,unique-id` behind a TLS frontend with
///   `alpn h2,http/1.1` and a `unique-id-format`, reached by `openssl s_client -servername
///   www.example.test -alpn h2`;
/// - `send-proxy-v2 check check-send-proxy`: the health check's header.
enum HAProxyCaptures {
    /// 127.0.0.1:53038 → 127.0.0.1:19100, then `GET / HTTP/1.1\r\n` (backslashes literal).
    static let v2IPv4 = ProxyProtocolTestSupport.bytes(
        hex: "0d0a0d0a000d0a515549540a2111000c7f0000017f000001cf2e4a9c474554202f20485454502f312e315c725c6e"
    )
    /// [::1]:50088 → [::1]:19100, then `hello6`.
    static let v2IPv6 = ProxyProtocolTestSupport.bytes(
        hex: "0d0a0d0a000d0a515549540a212100240000000000000000000000000000000100000000000000000000000000000001"
            + "c3a84a9c68656c6c6f36"
    )
    /// 127.0.0.1:41594 → 127.0.0.1:19102 with the TLVs ALPN `h2`, CRC32C, authority
    /// `www.example.test`, unique ID and SSL (version `TLSv1.3`), then `tlspayload\n`.
    static let v2TLVs = ProxyProtocolTestSupport.bytes(
        hex: "0d0a0d0a000d0a515549540a2111006e7f0000017f000001a27a4a9e030004f94a9c5101000268320200107777772e"
            + "6578616d706c652e7465737405002e37463030303030313a413237415f37463030303030313a344139455f364231"
            + "36453144345f303030303a3541323520000f0100000000210007544c5376312e33746c737061796c6f61640a"
    )
    /// A health check: `LOCAL`, `AF_UNSPEC`, no block.
    static let v2Local = ProxyProtocolTestSupport.bytes(hex: "0d0a0d0a000d0a515549540a20000000")
    /// `PROXY TCP4 127.0.0.1 127.0.0.1 49348 19101\r\n`, then `hello4v1`.
    static let v1IPv4 = ProxyProtocolTestSupport.bytes(
        hex: "50524f58592054435034203132372e302e302e31203132372e302e302e312034393334382031393130310d0a6865"
            + "6c6c6f347631"
    )
    /// `PROXY TCP6 ::1 ::1 52472 19101\r\n`, then `hello6v1`.
    static let v1IPv6 = ProxyProtocolTestSupport.bytes(
        hex: "50524f58592054435036203a3a31203a3a312035323437322031393130310d0a68656c6c6f367631"
    )
}
