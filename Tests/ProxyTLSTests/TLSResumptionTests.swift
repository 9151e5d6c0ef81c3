import NIOCore
import NIOEmbedded
import ProxyTLS
import Testing

struct TLSResumptionTests {
    let fixture = TLSFixture.shared

    private func resumes(
        server: TLSServerContext,
        client: TLSClientContext,
        between: () -> Void = {}
    ) throws -> Bool {
        let (first, saved) = try handshakeAndSaveSession(server: server, client: client)
        first.finish()
        let session = try #require(saved)
        #expect(session.isResumable)
        #expect(first.clientHandler.handshakeSummary?.resumed == false)
        between()

        let second = try TLSPair(server: server, client: client, resuming: session)
        defer { second.finish() }
        try second.connect()
        let serverSummary = try #require(second.serverRecorder.summaries.first)
        #expect(second.clientHandler.handshakeSummary?.resumed == serverSummary.resumed)
        second.send("after", from: second.client)
        #expect(second.serverRecorder.receivedString == "after")
        return serverSummary.resumed
    }

    @Test(arguments: [TLSProtocolVersion.tls13, .tls12])
    func sessionTicketResumes(version: TLSProtocolVersion) throws {
        let client = try self.fixture.clientContext { $0.maximumVersion = version }
        #expect(try self.resumes(server: try self.fixture.serverContext(), client: client))
    }

    @Test(arguments: [TLSProtocolVersion.tls13, .tls12])
    func ticketSurvivesOneRotation(version: TLSProtocolVersion) throws {
        let server = try self.fixture.serverContext()
        let client = try self.fixture.clientContext { $0.maximumVersion = version }
        #expect(try self.resumes(server: server, client: client, between: { server.rotateTicketKeys() }))
    }

    @Test(arguments: [TLSProtocolVersion.tls13, .tls12])
    func ticketDiesAfterMoreRotationsThanRetention(version: TLSProtocolVersion) throws {
        let server = try self.fixture.serverContext { $0.ticketKeyRetention = 2 }
        let client = try self.fixture.clientContext { $0.maximumVersion = version }
        let resumed = try self.resumes(server: server, client: client) {
            for _ in 0..<3 { server.rotateTicketKeys() }
        }
        #expect(!resumed)
    }

    @Test func resumesAcrossSNIContexts() throws {
        let server = try self.fixture.serverContext()
        let client = try self.fixture.clientContext { $0.serverName = "a.example.com" }
        #expect(try self.resumes(server: server, client: client))
    }

    @Test func ticketsFromAnotherListenerDoNotResume() throws {
        let client = try self.fixture.clientContext()
        let (first, saved) = try handshakeAndSaveSession(server: try self.fixture.serverContext(), client: client)
        first.finish()
        let session = try #require(saved)

        let second = try TLSPair(server: try self.fixture.serverContext(), client: client, resuming: session)
        defer { second.finish() }
        try second.connect()
        #expect(second.serverRecorder.summaries.first?.resumed == false)
    }

    @Test func ticketsOffMeansNoResumption() throws {
        let server = try self.fixture.serverContext { $0.sessionTickets = false }
        let (first, saved) = try handshakeAndSaveSession(server: server, client: try self.fixture.clientContext())
        defer { first.finish() }
        #expect(first.clientHandler.handshakeSummary != nil)
        #expect(saved == nil || saved?.isResumable == false)
    }
}
