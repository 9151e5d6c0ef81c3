import ProxyConfig
import Testing

@Suite struct CIDRTests {
    @Test func containsIPv4() throws {
        let network = try #require(CIDR("10.0.0.0/8"))
        #expect(network.contains("10.0.0.1"))
        #expect(network.contains("10.255.255.255"))
        #expect(!network.contains("11.0.0.1"))
        #expect(!network.contains("9.255.255.255"))
        #expect(!network.contains("not an address"))
        #expect(!network.contains("::1"))
    }

    @Test func containsIPv4WithOddPrefix() throws {
        let network = try #require(CIDR("192.168.1.64/26"))
        #expect(network.contains("192.168.1.64"))
        #expect(network.contains("192.168.1.127"))
        #expect(!network.contains("192.168.1.128"))
        #expect(!network.contains("192.168.1.63"))
    }

    @Test func containsIPv6() throws {
        let network = try #require(CIDR("2001:db8::/32"))
        #expect(network.contains("2001:db8::1"))
        #expect(network.contains("2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(!network.contains("2001:db9::1"))
        #expect(!network.contains("10.0.0.1"))
        #expect(network.isIPv6)
    }

    @Test func matchesIPv4MappedAddressesAgainstIPv4Networks() throws {
        let network = try #require(CIDR("192.0.2.0/24"))
        #expect(network.contains("::ffff:192.0.2.7"))
        #expect(!network.contains("::ffff:198.51.100.7"))
    }

    @Test func bareAddressesAreSingleHosts() throws {
        let v4 = try #require(CIDR("192.0.2.7"))
        #expect(v4.prefixLength == 32)
        #expect(v4.contains("192.0.2.7"))
        #expect(!v4.contains("192.0.2.8"))
        let v6 = try #require(CIDR("::1"))
        #expect(v6.prefixLength == 128)
        #expect(v6.contains("0:0:0:0:0:0:0:1"))
    }

    @Test func zeroPrefixMatchesEverythingOfItsFamily() throws {
        #expect(try #require(CIDR("0.0.0.0/0")).contains("203.0.113.9"))
        #expect(try #require(CIDR("::/0")).contains("fe80::1"))
    }

    @Test func printsTheNetworkWithHostBitsCleared() {
        #expect(CIDR("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(CIDR("2001:DB8:0:0:1:0:0:1/128")?.description == "2001:db8::1:0:0:1/128")
        #expect(CIDR("fd00::abcd/8")?.description == "fd00::/8")
        #expect(CIDR("::/0")?.description == "::/0")
    }

    @Test(arguments: [
        "", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.256", "010.0.0.1", "1:2:3:4:5:6:7:8:9", "1::2::3", "10.0.0.0/",
        "10.0.0.0/-1", "fe80::1%eth0", "::ffff:1.2.3",
    ])
    func rejects(text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test func parsesEmbeddedIPv4InIPv6() throws {
        let network = try #require(CIDR("::ffff:10.0.0.0/104"))
        #expect(network.contains("::ffff:10.1.2.3"))
        #expect(network.description == "::ffff:10.0.0.0/104")
    }
}
