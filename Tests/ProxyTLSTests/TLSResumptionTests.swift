import Foundation
import NIOCore
import NIOEmbedded
@testable import ProxyTLS
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

    @Test(arguments: [TLSProtocolVersion.tls13, .tls12])
    func sharedTicketKeyFilesResumeAcrossInstances(version: TLSProtocolVersion) throws {
        let directory = makeTemporaryDirectory()
        let current = directory + "/current.key"
        let previous = directory + "/previous.key"
        _ = FileManager.default.createFile(atPath: current, contents: Data((0..<80).map { UInt8($0) }))
        _ = FileManager.default.createFile(atPath: previous, contents: Data((0..<80).map { UInt8(255 - $0) }))
        let client = try self.fixture.clientContext { $0.maximumVersion = version }

        // A ticket from instance A opens on instance B, which shares the key files.
        let instanceA = try self.fixture.serverContext { $0.ticketKeyFiles = [current, previous] }
        let instanceB = try self.fixture.serverContext { $0.ticketKeyFiles = [current, previous] }
        #expect(try self.resumesElsewhere(sealedBy: instanceA, openedBy: instanceB, client: client))

        // After the files rotate (the old current key becomes the previous one), a ticket sealed
        // before still opens.
        let rotated = try self.fixture.serverContext { $0.ticketKeyFiles = [previous, current] }
        #expect(try self.resumesElsewhere(sealedBy: instanceA, openedBy: rotated, client: client))
        // Rotation in process leaves shared keys alone.
        instanceA.rotateTicketKeys()
    }

    private func resumesElsewhere(sealedBy first: TLSServerContext, openedBy second: TLSServerContext, client: TLSClientContext) throws -> Bool {
        let (pair, saved) = try handshakeAndSaveSession(server: first, client: client)
        pair.finish()
        let session = try #require(saved)
        let next = try TLSPair(server: second, client: client, resuming: session)
        defer { next.finish() }
        try next.connect()
        return next.serverRecorder.summaries.first?.resumed == true
    }

    @Test func aReloadedContextKeepsTheTicketKeysOfTheOneItReplaces() throws {
        let client = try self.fixture.clientContext()
        let before = try self.fixture.serverContext()
        let after = try TLSServerContext(configuration: before.configuration, replacing: before)
        #expect(try self.resumesElsewhere(sealedBy: before, openedBy: after, client: client))
        let unrelated = try TLSServerContext(configuration: before.configuration)
        #expect(!(try self.resumesElsewhere(sealedBy: before, openedBy: unrelated, client: client)))
    }

    @Test(arguments: [TLSProtocolVersion.tls13, .tls12])
    func keysInstalledByAFleetResumeAcrossContextsAndDoNotRotateInProcess(version: TLSProtocolVersion) throws {
        let client = try self.fixture.clientContext { $0.maximumVersion = version }
        let older = try TLSServerContext.makeTicketKeyMaterial()
        let newer = try TLSServerContext.makeTicketKeyMaterial()
        let instanceA = try self.fixture.serverContext()
        let instanceB = try self.fixture.serverContext()
        // Own keys: no resumption across instances.
        #expect(!(try self.resumesElsewhere(sealedBy: instanceA, openedBy: instanceB, client: client)))
        #expect(instanceA.installSharedTicketKeys([older]))
        #expect(instanceB.installSharedTicketKeys([older]))
        #expect(try self.resumesElsewhere(sealedBy: instanceA, openedBy: instanceB, client: client))
        // In-process rotation leaves installed keys alone.
        instanceB.rotateTicketKeys()
        instanceB.rotateTicketKeys()
        instanceB.rotateTicketKeys()
        #expect(try self.resumesElsewhere(sealedBy: instanceA, openedBy: instanceB, client: client))
        // The fleet rotates: a ticket under the previous key still opens; once dropped, not.
        #expect(instanceB.installSharedTicketKeys([newer, older]))
        #expect(try self.resumesElsewhere(sealedBy: instanceA, openedBy: instanceB, client: client))
        #expect(instanceB.installSharedTicketKeys([newer]))
        #expect(!(try self.resumesElsewhere(sealedBy: instanceA, openedBy: instanceB, client: client)))
        // A reload keeps installed keys.
        let reloaded = try TLSServerContext(configuration: instanceA.configuration, replacing: instanceA)
        #expect(try self.resumesElsewhere(sealedBy: instanceA, openedBy: reloaded, client: client))
    }

    @Test func installingKeysIsRefusedForBadMaterialTicketsOffOrKeyFiles() throws {
        let good = try TLSServerContext.makeTicketKeyMaterial()
        let server = try self.fixture.serverContext()
        #expect(!server.installSharedTicketKeys([]))
        #expect(!server.installSharedTicketKeys([good, Array(good.prefix(48))]))
        #expect(!(try self.fixture.serverContext { $0.sessionTickets = false }).installSharedTicketKeys([good]))
        let path = makeTemporaryDirectory() + "/ticket.key"
        _ = FileManager.default.createFile(atPath: path, contents: Data((0..<80).map { UInt8($0) }))
        #expect(!(try self.fixture.serverContext { $0.ticketKeyFiles = [path] }).installSharedTicketKeys([good]))
    }

    @Test func aTicketKeyFileOfTheWrongSizeIsRefusedNamingTheFile() throws {
        let path = makeTemporaryDirectory() + "/short.key"
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 48))
        #expect {
            try self.fixture.serverContext { $0.ticketKeyFiles = [path] }
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("80 bytes")
        }
    }
}
