import NIOCore
import NIOEmbedded
import NIOTLS
import ProxyTLS
import Testing

@testable import ProxyTLS

struct TLSServerNameTests {
    let fixture = TLSFixture.shared

    private func connect(serverName: String?, verify: Bool = true) throws -> TLSPair {
        let client = try self.fixture.clientContext {
            $0.serverName = serverName
            $0.verifiesHostname = verify
        }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        try pair.connect()
        return pair
    }

    @Test func exactNamePicksItsCertificate() throws {
        let pair = try self.connect(serverName: "a.example.com")
        defer { pair.finish() }
        #expect(pair.clientHandler.peerCertificateNames == ["a.example.com"])
        #expect(pair.clientHandler.peerCertificateSubject?.contains("CN=a.example.com") == true)
        #expect(pair.serverRecorder.summaries.first?.serverName == "a.example.com")
    }

    @Test func nameMatchingIsCaseInsensitive() throws {
        let pair = try self.connect(serverName: "A.Example.COM")
        defer { pair.finish() }
        #expect(pair.clientHandler.peerCertificateNames == ["a.example.com"])
    }

    @Test func wildcardCoversOneLabel() throws {
        let pair = try self.connect(serverName: "x.wild.example.com")
        defer { pair.finish() }
        #expect(pair.clientHandler.peerCertificateNames == ["*.wild.example.com"])
    }

    @Test func unknownNameGetsTheDefaultCertificate() throws {
        let pair = try self.connect(serverName: "unknown.test", verify: false)
        defer { pair.finish() }
        #expect(pair.clientHandler.peerCertificateNames.contains("localhost"))
        #expect(pair.clientHandler.handshakeSummary != nil)
    }

    @Test func absentNameGetsTheDefaultCertificate() throws {
        let pair = try self.connect(serverName: nil)
        defer { pair.finish() }
        #expect(pair.clientHandler.peerCertificateNames.contains("localhost"))
        #expect(pair.serverRecorder.summaries.first?.serverName == nil)
    }

    @Test func alpnPrefersTheServersChoice() throws {
        let client = try self.fixture.clientContext { $0.applicationProtocols = ["h2", "http/1.1"] }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        defer { pair.finish() }
        try pair.connect()
        #expect(pair.serverRecorder.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: "http/1.1"))
        #expect(pair.clientHandler.handshakeSummary?.applicationProtocol == "http/1.1")
    }

    @Test func alpnServerPreferenceOrderWins() throws {
        let server = try self.fixture.serverContext { $0.applicationProtocols = ["h2", "http/1.1"] }
        let client = try self.fixture.clientContext { $0.applicationProtocols = ["http/1.1", "h2"] }
        let pair = try TLSPair(server: server, client: client)
        defer { pair.finish() }
        try pair.connect()
        #expect(pair.serverRecorder.summaries.first?.applicationProtocol == "h2")
    }

    @Test func alpnWithoutOverlapProceedsWithoutALPN() throws {
        let client = try self.fixture.clientContext { $0.applicationProtocols = ["spdy/3"] }
        let pair = try TLSPair(server: try self.fixture.serverContext(), client: client)
        defer { pair.finish() }
        try pair.connect()
        #expect(pair.serverRecorder.summaries.first != nil)
        #expect(pair.serverRecorder.summaries.first?.applicationProtocol == nil)
        #expect(pair.server.isActive)
    }

    @Test func certificateSummariesNameEachCertificate() throws {
        let summaries = try self.fixture.serverContext().certificateSummaries
        #expect(summaries.count == 3)
        #expect(summaries[1].contains("a.example.com"))
        #expect(summaries[1].hasPrefix(self.fixture.a.certificatePath))
    }

    // The lookup rules on their own.

    @Test func tableRules() {
        let table = TLSServerNameTable(names: [["default.test"], ["a.example.com"], ["*.example.com"], ["A.EXAMPLE.COM", "b.test."]])
        #expect(table.certificateIndex(for: "a.example.com") == 1)  // exact beats wildcard, first wins
        #expect(table.certificateIndex(for: "foo.example.com") == 2)
        #expect(table.certificateIndex(for: "FOO.Example.com.") == 2)
        #expect(table.certificateIndex(for: "a.b.example.com") == nil)
        #expect(table.certificateIndex(for: "example.com") == nil)
        #expect(table.certificateIndex(for: ".example.com") == nil)
        #expect(table.certificateIndex(for: "b.test") == 3)
        #expect(table.certificateIndex(for: nil) == nil)
        #expect(table.certificateIndex(for: "unknown.test") == nil)
    }
}
