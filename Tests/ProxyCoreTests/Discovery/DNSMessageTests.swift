import Testing

@testable import ProxyCore

/// The DNS wire format: queries as RFC 1035 spells them, answers with compression, CNAME
/// chains, SRV, and every malformed message refused without reading past its end.
struct DNSMessageTests {
    /// A response builder: header, the question, then records whose names may be pointers.
    private struct Builder {
        var bytes: [UInt8] = []
        var answers = 0
        var additional = 0

        init(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, question: String = "app.internal", type: UInt16 = 1) {
            self.bytes = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, 0, 0, 0, 0, 0]
            self.bytes += Self.name(question)
            self.bytes += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        }

        static func name(_ text: String) -> [UInt8] {
            var out: [UInt8] = []
            for label in text.split(separator: ".") {
                out.append(UInt8(label.utf8.count))
                out += Array(label.utf8)
            }
            return out + [0]
        }

        /// A pointer to the question's name (offset 12).
        static let questionPointer: [UInt8] = [0xC0, 12]

        mutating func record(name: [UInt8], type: UInt16, ttl: UInt32, data: [UInt8], additional: Bool = false) {
            self.bytes += name
            self.bytes += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
            self.bytes += [UInt8(ttl >> 24), UInt8((ttl >> 16) & 0xFF), UInt8((ttl >> 8) & 0xFF), UInt8(ttl & 0xFF)]
            self.bytes += [UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
            self.bytes += data
            if additional { self.additional += 1 } else { self.answers += 1 }
        }

        var message: [UInt8] {
            var out = self.bytes
            out[7] = UInt8(self.answers)
            out[11] = UInt8(self.additional)
            return out
        }
    }

    @Test func encodesAQuery() throws {
        let query = try DNSMessage.query(id: 0xBEEF, name: "app.internal.", type: .aaaa)
        #expect(query == [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3] + Array("app".utf8) + [8] + Array("internal".utf8) + [0, 0, 28, 0, 1])
    }

    /// The question section comes back as the server echoed it; the resolver takes only an
    /// answer to the question it asked (RFC 5452 §9.1).
    @Test func anAnswerIsTakenOnlyForItsOwnQuestion() throws {
        let response = try DNSMessage.parse(Builder(question: "App.Internal", type: 28).message)
        #expect(response.questions == [DNSMessage.Question(name: "app.internal", type: 28)])
        #expect(response.answers("app.internal.", type: .aaaa))
        #expect(response.answers("APP.internal", type: .aaaa))
        #expect(!response.answers("app.internal", type: .a))
        #expect(!response.answers("evil.internal", type: .aaaa))
        var none = Builder().message
        none[5] = 0  // no question at all
        none.removeSubrange(12...)
        #expect(!(try DNSMessage.parse(none)).answers("app.internal", type: .a))
    }

    @Test func refusesNamesThatCannotBeQueried() {
        for name in ["", ".", "a..b", String(repeating: "x", count: 64) + ".internal", Array(repeating: "abcdefghi", count: 26).joined(separator: ".")] {
            #expect(throws: DNSMessageError.invalidName(name)) { try DNSMessage.query(id: 1, name: name, type: .a) }
        }
    }

    @Test func readsAddressesWithCompressedNamesAndTheirTTLs() throws {
        var builder = Builder()
        builder.record(name: Builder.questionPointer, type: 1, ttl: 30, data: [127, 0, 0, 2])
        builder.record(name: Builder.questionPointer, type: 1, ttl: 10, data: [127, 0, 0, 3])
        let response = try DNSMessage.parse(builder.message)
        #expect(response.id == 0x1234)
        #expect(!response.truncated)
        #expect(response.responseCode == 0)
        let (data, ttl) = response.records(of: .a, for: "APP.internal")
        #expect(data == [.a("127.0.0.2"), .a("127.0.0.3")])
        #expect(ttl == 10)
    }

    @Test func readsIPv6AddressesInTheirShortForm() throws {
        var builder = Builder(type: 28)
        builder.record(name: Builder.questionPointer, type: 28, ttl: 5, data: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        #expect(try DNSMessage.parse(builder.message).records(of: .aaaa, for: "app.internal").data == [.aaaa("2001:db8::1")])
    }

    @Test func followsACNAMEChainWithTheSmallestTTL() throws {
        var builder = Builder()
        // app.internal CNAME web.internal (a pointer into the label "internal" of the question).
        builder.record(name: Builder.questionPointer, type: 5, ttl: 60, data: [3] + Array("web".utf8) + [0xC0, 16])
        let webOffset = builder.bytes.count - 6  // where "web" + pointer starts
        builder.record(name: [0xC0, UInt8(webOffset)], type: 1, ttl: 300, data: [10, 0, 0, 7])
        let (data, ttl) = try DNSMessage.parse(builder.message).records(of: .a, for: "app.internal")
        #expect(data == [.a("10.0.0.7")])
        #expect(ttl == 60)
    }

    @Test func readsSRVRecordsAndTheAdditionalSection() throws {
        var builder = Builder(question: "_http._tcp.app.internal", type: 33)
        builder.record(name: Builder.questionPointer, type: 33, ttl: 20, data: [0, 10, 0, 5, 0x1F, 0x90] + Builder.name("a.app.internal"))
        builder.record(name: Builder.name("a.app.internal"), type: 1, ttl: 15, data: [127, 0, 0, 4], additional: true)
        let response = try DNSMessage.parse(builder.message)
        #expect(response.records(of: .srv, for: "_http._tcp.app.internal").data == [.srv(priority: 10, weight: 5, port: 8080, target: "a.app.internal")])
        #expect(response.additional == [DNSMessage.Record(name: "a.app.internal", ttl: 15, data: .a("127.0.0.4"))])
    }

    @Test func flagsTruncationAndResponseCodes() throws {
        #expect(try DNSMessage.parse(Builder(flags: 0x8380).message).truncated)
        #expect(try DNSMessage.parse(Builder(flags: 0x8183).message).responseCode == DNSMessage.ResponseCode.nameError)
        #expect(throws: DNSMessageError.notAResponse) { try DNSMessage.parse(Builder(flags: 0x0100).message) }
    }

    @Test func refusesEveryTruncationOfAGoodMessage() throws {
        var builder = Builder(question: "_http._tcp.app.internal", type: 33)
        builder.record(name: Builder.questionPointer, type: 33, ttl: 20, data: [0, 10, 0, 5, 0x1F, 0x90] + Builder.name("a.app.internal"))
        builder.record(name: Builder.name("a.app.internal"), type: 28, ttl: 15, data: Array(repeating: 1, count: 16), additional: true)
        let message = builder.message
        _ = try DNSMessage.parse(message)
        for length in 0..<message.count {
            #expect(throws: DNSMessageError.self) { try DNSMessage.parse(Array(message[0..<length])) }
        }
    }

    @Test func refusesMalformedNamesAndRecords() {
        // A pointer to itself, and two pointing at each other.
        var loop = Builder()
        loop.record(name: [0xC0, UInt8(loop.bytes.count)], type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSMessageError.badPointer) { try DNSMessage.parse(loop.message) }
        var pair = Builder()
        let first = pair.bytes.count
        pair.bytes += [0xC0, UInt8(first + 2), 0xC0, UInt8(first)]
        pair.answers = 1
        #expect(throws: DNSMessageError.badPointer) { try DNSMessage.parse(pair.message) }
        // A pointer past the end.
        var outside = Builder()
        outside.record(name: [0xC0, 0xFF], type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSMessageError.badPointer) { try DNSMessage.parse(outside.message) }
        // An extended label type.
        var extended = Builder()
        extended.record(name: [0x41, 0], type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSMessageError.badLabel) { try DNSMessage.parse(extended.message) }
        // A name over 255 bytes, through pointers to a long name.
        var long = Builder(question: Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: "."))
        long.record(name: [1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 1, 0x62, 0xC0, 12], type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSMessageError.nameTooLong) { try DNSMessage.parse(long.message) }
        // A records whose data has the wrong length, and an SRV whose name runs past its data.
        var shortA = Builder()
        shortA.record(name: Builder.questionPointer, type: 1, ttl: 1, data: [1, 2, 3])
        #expect(throws: DNSMessageError.badRecordData(type: 1)) { try DNSMessage.parse(shortA.message) }
        var srv = Builder(type: 33)
        srv.record(name: Builder.questionPointer, type: 33, ttl: 1, data: [0, 1, 0, 1, 0, 80] + Builder.name("x.internal"))
        var bytes = srv.message
        bytes[bytes.count - Builder.name("x.internal").count - 7] -= 3  // rdlength 3 too short
        #expect(throws: DNSMessageError.self) { try DNSMessage.parse(bytes) }
    }

    @Test func skipsTypesItDoesNotRead() throws {
        var builder = Builder()
        builder.record(name: Builder.questionPointer, type: 16, ttl: 1, data: [3, 0x61, 0x62, 0x63])  // TXT
        builder.record(name: Builder.questionPointer, type: 1, ttl: 9, data: [127, 0, 0, 9])
        let response = try DNSMessage.parse(builder.message)
        #expect(response.answers.first?.data == .other(type: 16))
        #expect(response.records(of: .a, for: "app.internal").data == [.a("127.0.0.9")])
    }
}
