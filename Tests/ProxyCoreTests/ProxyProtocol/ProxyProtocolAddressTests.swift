import Testing

@testable import ProxyCore

#if canImport(Glibc)
import Glibc
#endif

/// The IP address text the PROXY protocol reads and writes, checked against RFC 5952's examples
/// and against glibc's `inet_pton`/`inet_ntop`.
struct ProxyProtocolAddressTests {
    private static func canonical(_ text: String) -> String? {
        IPAddressBytes.ipv6(Array(text.utf8)[...]).map { IPAddressBytes.ipv6Text($0) }
    }

    @Test func writesIPv6AsRFC5952Does() {
        // RFC 5952 §4: leading zeros, `::` for the longest run only, never for one group, the
        // first of equal runs, lower case.
        #expect(Self.canonical("2001:0db8::0001") == "2001:db8::1")
        #expect(Self.canonical("2001:db8:0:0:0:0:2:1") == "2001:db8::2:1")
        #expect(Self.canonical("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1")
        #expect(Self.canonical("2001:0:0:1:0:0:0:1") == "2001:0:0:1::1")
        #expect(Self.canonical("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1")
        #expect(Self.canonical("2001:DB8::AAAA") == "2001:db8::aaaa")
        #expect(Self.canonical("0:0:0:0:0:0:0:0") == "::")
        #expect(Self.canonical("0:0:0:0:0:0:0:1") == "::1")
        #expect(Self.canonical("1:0:0:0:0:0:0:0") == "1::")
        #expect(Self.canonical("1:2:3:4:5:6:7::") == "1:2:3:4:5:6:7:0")
        // §5: IPv4-mapped addresses keep their IPv4 part dotted.
        #expect(Self.canonical("0:0:0:0:0:ffff:c000:0201") == "::ffff:192.0.2.1")
        #expect(Self.canonical("::ffff:192.0.2.1") == "::ffff:192.0.2.1")
    }

    #if canImport(Glibc)
    /// `inet_pton`'s bytes, or `nil` when it refuses the text.
    private static func systemBytes(_ text: String, ipv6: Bool) -> [UInt8]? {
        var storage = [UInt8](repeating: 0, count: 16)
        let accepted = storage.withUnsafeMutableBytes { inet_pton(ipv6 ? AF_INET6 : AF_INET, text, $0.baseAddress) == 1 }
        return accepted ? Array(storage.prefix(ipv6 ? 16 : 4)) : nil
    }

    private static func systemText(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: 64)
        _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A random address written in one of its many forms (full, with leading zeros, upper case,
    /// compressed, with an IPv4 tail), then changed in up to two places (a character deleted,
    /// inserted or replaced): text near the grammar, valid and not.
    private static func nearAddress(ipv6: Bool, using generator: inout some RandomNumberGenerator) -> String {
        let bytes = (0..<(ipv6 ? 16 : 4)).map { _ in
            Bool.random(using: &generator) ? 0 : UInt8.random(in: 0...255, using: &generator)
        }
        var text: String
        if ipv6 {
            let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: text = groups.map { String($0, radix: 16) }.joined(separator: ":")
            case 1:
                let hex = groups.map { String($0, radix: 16, uppercase: true) }
                text = hex.map { String(repeating: "0", count: 4 - $0.count) + $0 }.joined(separator: ":")
            case 2:
                let head = groups[..<6].map { String($0, radix: 16) }.joined(separator: ":")
                text = head + ":" + IPAddressBytes.ipv4Text(bytes[12...])
            default: text = IPAddressBytes.ipv6Text(bytes)
            }
        } else {
            text = IPAddressBytes.ipv4Text(bytes)
        }
        let alphabet = Array(ipv6 ? "0123456789abcdefABCDEFg:." : "0123456789.a")
        for _ in 0..<Int.random(in: 0...2, using: &generator) {
            var characters = Array(text)
            let index = Int.random(in: 0...characters.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0 where index < characters.count: characters.remove(at: index)
            case 1 where index < characters.count: characters[index] = alphabet.randomElement(using: &generator)!
            default: characters.insert(alphabet.randomElement(using: &generator)!, at: index)
            }
            text = String(characters)
        }
        return text
    }

    /// The parsers must agree with `inet_pton` on what is an address, and on its bytes.
    @Test func parsesWhatInetPtonParses() {
        var generator = SystemRandomNumberGenerator()
        var valid = 0
        for _ in 0..<40_000 {
            let ipv6 = Bool.random(using: &generator)
            let text = Self.nearAddress(ipv6: ipv6, using: &generator)
            let ours = ipv6 ? IPAddressBytes.ipv6(Array(text.utf8)[...]) : IPAddressBytes.ipv4(Array(text.utf8)[...])
            let system = Self.systemBytes(text, ipv6: ipv6)
            #expect(ours == system, "\(ipv6 ? "IPv6" : "IPv4") \"\(text)\"")
            if system != nil { valid += 1 }
        }
        // Both kinds are well represented.
        #expect((10_000...30_000).contains(valid))
    }

    /// For every address the C library writes without an IPv4 tail, the same text. (glibc also
    /// dots the deprecated IPv4-compatible `::a.b.c.d`, which RFC 5952 does not ask for.)
    @Test func writesWhatInetNtopWrites() {
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        for _ in 0..<20_000 {
            let bytes = (0..<16).map { _ in
                Int.random(in: 0..<3, using: &generator) > 0 ? 0 : UInt8.random(in: 0...255, using: &generator)
            }
            if bytes[0..<12].allSatisfy({ $0 == 0 }) {
                continue
            }
            #expect(IPAddressBytes.ipv6Text(bytes) == Self.systemText(bytes), "\(bytes)")
            compared += 1
        }
        #expect(compared > 10_000)
    }
    #endif
}
