import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Field lines as received: read back into fields exactly as the parser makes them, and copied
/// less the lines not kept.
struct RawFieldLinesTests {
    static let lines = "A:  x  \r\nB:\t y\t\r\nC:\r\nD: \r\nE: a  b\r\nf-G:\u{80}\u{FF}\r\n"

    private func parsed(_ lines: String) throws -> HTTP1Head {
        var parser = HTTP1Parser(isRequest: false, maxHeadBytes: 4096, maxFields: 64, keepsRawFields: true)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\(lines)\r\n")
        guard case .head? = try parser.next(&buffer) else { throw HTTP1ParseError.malformed("no head") }
        return parser.takeHead()
    }

    @Test func fieldsReadFromLinesAreThoseTheParserMakes() throws {
        let head = try self.parsed(Self.lines)
        let fields = RawFieldLines.headers(of: try #require(head.rawFields))
        #expect(fields.map { [$0.name, $0.value] } == [["A", "x"], ["B", "y"], ["C", ""], ["D", ""], ["E", "a  b"], ["f-G", "\u{80}\u{FF}"]])
        #expect(fields.map { [$0.name, $0.value] } == head.fields.map { [$0.0, $0.1] })
        #expect(RawFieldLines.headers(of: try #require(try self.parsed("").rawFields)).isEmpty)
    }

    @Test func copiesKeptLinesAsTheyAre() throws {
        let block = try #require(try self.parsed(Self.lines).rawFields)
        var seen: [String] = []
        var out = ByteBuffer()
        RawFieldLines.copy(block, into: &out) { index, line in
            seen.append("\(index) \(String(decoding: RawFieldLines.name(of: line), as: UTF8.self))")
            return index != 1 && index != 2 && index != 5
        }
        #expect(seen == ["0 A", "1 B", "2 C", "3 D", "4 E", "5 f-G"])
        #expect(String(buffer: out) == "A:  x  \r\nD: \r\nE: a  b\r\n")
    }
}
