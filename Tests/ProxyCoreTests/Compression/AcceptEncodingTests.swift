import Testing

@testable import ProxyCore

/// `Accept-Encoding` negotiation (RFC 9110 §12.5.3) as a pure function.
struct AcceptEncodingTests {
    private let all: [ContentCoding] = [.zstd, .br, .gzip]

    private func pick(_ values: [String], offered: [ContentCoding]? = nil) -> ContentCoding? {
        AcceptEncoding.negotiate(values, offered: offered ?? self.all)
    }

    @Test(arguments: [
        // What browsers and tools send.
        ("gzip, deflate, br, zstd", ContentCoding.zstd),
        ("gzip, deflate, br", .br),
        ("gzip, deflate", .gzip),
        ("deflate, gzip;q=1.0, *;q=0.5", .gzip),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", .br),
        // Ties go to our order; a higher q wins over our order.
        ("gzip, br", .br),
        ("zstd;q=0.5, gzip", .gzip),
        ("zstd;q=0.9, br;q=0.9, gzip;q=0.9", .zstd),
        ("gzip;q=0.9, br;q=0.901", .br),
        // q=0 refuses; `*` stands for every coding not named.
        ("gzip;q=0, br;q=0, zstd;q=0", nil),
        ("*", .zstd),
        ("*;q=0.5, zstd;q=0", .br),
        ("*;q=0", nil),
        ("*;q=0, gzip", .gzip),
        // identity: kept as it is only when the client prefers it by name.
        ("identity", nil),
        ("gzip;q=0.5, identity", nil),
        ("gzip, identity;q=0.5", .gzip),
        ("identity;q=0", nil),
        ("identity;q=0, gzip", .gzip),
        ("gzip;q=0.5", .gzip),
        // Case, whitespace, aliases.
        ("GZIP", .gzip),
        ("x-gzip", .gzip),
        ("Br ; Q=1", .br),
        ("  gzip\t;\tq=0.7 ,  br ; q = 0.2", .gzip),
        ("zstd;q=1.000", .zstd),
        // Unknown codings and unreadable members are ignored.
        ("compress, deflate, lzma", nil),
        ("lz4, gzip", .gzip),
        ("br;q=2, gzip", .gzip),
        ("br;q=0.5000, gzip;q=0.1", .gzip),
        ("br;q=abc, gzip;q=0.1", .gzip),
        ("br;q=1.5, gzip;q=0.1", .gzip),
        ("br;level=3;q=0.2, gzip;q=0.1", .br),
        (",,, gzip ,", .gzip),
        ("", nil),
        (";q=1", nil),
    ] as [(String, ContentCoding?)])
    func negotiates(_ header: String, _ expected: ContentCoding?) {
        #expect(self.pick([header]) == expected, "Accept-Encoding: \(header)")
    }

    @Test func noFieldMeansAsItIs() {
        #expect(self.pick([]) == nil)
    }

    @Test func severalFieldLinesAreOneList() {
        #expect(self.pick(["gzip;q=0.4", "br;q=0.6"]) == .br)
        #expect(self.pick(["br;q=0", "gzip"]) == .gzip)
    }

    @Test func onlyTheRoutesCodingsInItsOrder() {
        #expect(self.pick(["gzip, br, zstd"], offered: [.gzip]) == .gzip)
        #expect(self.pick(["br, zstd"], offered: [.gzip]) == nil)
        #expect(self.pick(["gzip, br, zstd"], offered: [.gzip, .br]) == .gzip)
        #expect(self.pick(["*"], offered: [.br, .gzip]) == .br)
        #expect(self.pick(["gzip"], offered: []) == nil)
    }

    @Test func weights() {
        #expect(AcceptEncoding.weight("0") == 0)
        #expect(AcceptEncoding.weight("0.") == 0)
        #expect(AcceptEncoding.weight("0.5") == 500)
        #expect(AcceptEncoding.weight("0.123") == 123)
        #expect(AcceptEncoding.weight("1") == 1000)
        #expect(AcceptEncoding.weight("1.000") == 1000)
        #expect(AcceptEncoding.weight("1.001") == nil)
        #expect(AcceptEncoding.weight("0.1234") == nil)
        #expect(AcceptEncoding.weight("") == nil)
        #expect(AcceptEncoding.weight("-1") == nil)
    }
}
