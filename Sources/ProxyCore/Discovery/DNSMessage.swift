import NIOCore

/// The DNS wire format (RFC 1035 §4, RFC 3596 for AAAA, RFC 2782 for SRV), as far as target
/// discovery needs it: one query out, and the A, AAAA, CNAME and SRV records of an answer back,
/// with their TTLs (decision 0032).
///
/// Pure: bytes in, values out. A malformed message (truncated anywhere, a label or name too
/// long, a compression pointer that loops or points outside the message, a record whose data
/// disagrees with its type) throws ``DNSMessageError``; nothing reads past the end.
public enum DNSMessage {
    /// Record types the discovery asks for or follows.
    public enum RecordType: UInt16, Sendable {
        case a = 1
        case cname = 5
        case aaaa = 28
        case srv = 33
    }

    /// Response codes the discovery tells apart (RFC 1035 §4.1.1).
    public enum ResponseCode {
        public static let noError = 0
        public static let serverFailure = 2
        public static let nameError = 3
        public static let refused = 5
    }

    /// The data of one resource record.
    public enum RecordData: Sendable, Hashable {
        /// An IPv4 address, dotted.
        case a(String)
        /// An IPv6 address, in its shortest text form.
        case aaaa(String)
        case cname(String)
        case srv(priority: Int, weight: Int, port: Int, target: String)
        /// A type the discovery does not read (its data skipped).
        case other(type: UInt16)
    }

    /// One resource record of the answer or additional section.
    public struct Record: Sendable, Hashable {
        /// Lowercased, without the trailing dot.
        public var name: String
        public var ttl: UInt32
        public var data: RecordData

        public init(name: String, ttl: UInt32, data: RecordData) {
            self.name = name
            self.ttl = ttl
            self.data = data
        }
    }

    /// A parsed response.
    public struct Response: Sendable, Hashable {
        public var id: UInt16
        /// TC: the answer did not fit a UDP datagram; ask again over TCP.
        public var truncated: Bool
        public var responseCode: Int
        public var answers: [Record]
        public var additional: [Record]
        /// The question section as the server echoed it: each name (lower case) and type.
        public var questions: [Question] = []
    }

    /// One entry of a response's question section.
    public struct Question: Sendable, Hashable {
        public var name: String
        public var type: UInt16
    }

    /// Longest name on the wire (RFC 1035 §3.1), the length bytes included.
    static let maximumNameLength = 255
    /// Compression pointers followed in one name before it is declared a loop.
    static let maximumPointers = 32

    /// The query for `name` and `type`: recursion desired, one question, class IN.
    ///
    /// - Throws: ``DNSMessageError/invalidName(_:)`` for an empty label, a label over 63 bytes
    ///   or a name over 255.
    public static func query(id: UInt16, name: String, type: RecordType) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(18 + name.utf8.count)
        Self.append16(id, to: &bytes)
        Self.append16(0x0100, to: &bytes)  // RD
        Self.append16(1, to: &bytes)  // QDCOUNT
        Self.append16(0, to: &bytes)
        Self.append16(0, to: &bytes)
        Self.append16(0, to: &bytes)
        try Self.appendName(name, to: &bytes)
        Self.append16(type.rawValue, to: &bytes)
        Self.append16(1, to: &bytes)  // IN
        return bytes
    }

    /// Parses a response. The question section is kept (``Response/questions``: the resolver
    /// checks it is the question it asked, RFC 5452 §9.1); answer and additional records are
    /// read (authority records are skipped).
    public static func parse(_ bytes: [UInt8]) throws -> Response {
        var reader = Reader(bytes: bytes)
        let id = try reader.read16()
        let flags = try reader.read16()
        guard flags & 0x8000 != 0 else { throw DNSMessageError.notAResponse }
        let questions = Int(try reader.read16())
        let answerCount = Int(try reader.read16())
        let authorityCount = Int(try reader.read16())
        let additionalCount = Int(try reader.read16())
        var asked: [Question] = []
        for _ in 0..<questions {
            let name = try reader.readName()
            let type = try reader.read16()
            try reader.skip(2)
            asked.append(Question(name: name, type: type))
        }
        var answers: [Record] = []
        for _ in 0..<answerCount {
            answers.append(try reader.readRecord())
        }
        for _ in 0..<authorityCount {
            _ = try reader.readRecord()
        }
        var additional: [Record] = []
        for _ in 0..<additionalCount {
            additional.append(try reader.readRecord())
        }
        return Response(
            id: id,
            truncated: flags & 0x0200 != 0,
            responseCode: Int(flags & 0x000F),
            answers: answers,
            additional: additional,
            questions: asked
        )
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    private static func appendName(_ name: String, to bytes: inout [UInt8]) throws {
        var text = Substring(name)
        if text.hasSuffix(".") { text = text.dropLast() }
        guard !text.isEmpty else { throw DNSMessageError.invalidName(name) }
        var length = 1
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            let utf8 = Array(label.utf8)
            guard (1...63).contains(utf8.count) else { throw DNSMessageError.invalidName(name) }
            length += utf8.count + 1
            guard length <= Self.maximumNameLength else { throw DNSMessageError.invalidName(name) }
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        bytes.append(0)
    }

    /// A bounds-checked cursor over a message.
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func read8() throws -> UInt8 {
            guard self.position < self.bytes.count else { throw DNSMessageError.truncated }
            defer { self.position += 1 }
            return self.bytes[self.position]
        }

        mutating func read16() throws -> UInt16 {
            UInt16(try self.read8()) << 8 | UInt16(try self.read8())
        }

        mutating func read32() throws -> UInt32 {
            UInt32(try self.read16()) << 16 | UInt32(try self.read16())
        }

        mutating func skip(_ count: Int) throws {
            guard count <= self.bytes.count - self.position else { throw DNSMessageError.truncated }
            self.position += count
        }

        /// Reads a name at the cursor, following compression pointers (RFC 1035 §4.1.4); the
        /// cursor ends after the name's bytes at this place (after the first pointer).
        mutating func readName() throws -> String {
            var labels: [String] = []
            var cursor = self.position
            var resumeAt: Int?
            var pointers = 0
            var length = 1
            while true {
                guard cursor < self.bytes.count else { throw DNSMessageError.truncated }
                let byte = self.bytes[cursor]
                switch byte & 0xC0 {
                case 0x00:
                    if byte == 0 {
                        self.position = resumeAt ?? cursor + 1
                        return labels.joined(separator: ".")
                    }
                    let count = Int(byte)
                    guard count <= self.bytes.count - cursor - 1 else { throw DNSMessageError.truncated }
                    length += count + 1
                    guard length <= DNSMessage.maximumNameLength else { throw DNSMessageError.nameTooLong }
                    let label = self.bytes[(cursor + 1)...(cursor + count)]
                    labels.append(String(decoding: label, as: UTF8.self).lowercased())
                    cursor += count + 1
                case 0xC0:
                    guard cursor + 1 < self.bytes.count else { throw DNSMessageError.truncated }
                    let target = Int(byte & 0x3F) << 8 | Int(self.bytes[cursor + 1])
                    pointers += 1
                    guard pointers <= DNSMessage.maximumPointers, target < self.bytes.count else {
                        throw DNSMessageError.badPointer
                    }
                    if resumeAt == nil { resumeAt = cursor + 2 }
                    cursor = target
                default:
                    // 0x40 and 0x80: extended label types (RFC 6891), not used in answers.
                    throw DNSMessageError.badLabel
                }
            }
        }

        mutating func readRecord() throws -> Record {
            let name = try self.readName()
            let type = try self.read16()
            let recordClass = try self.read16()
            let ttl = try self.read32()
            let length = Int(try self.read16())
            guard length <= self.bytes.count - self.position else { throw DNSMessageError.truncated }
            let end = self.position + length
            let data: RecordData
            switch (RecordType(rawValue: type), recordClass) {
            case (.a, 1):
                guard length == 4 else { throw DNSMessageError.badRecordData(type: type) }
                data = .a(try Self.address(self.bytes[self.position..<end], type: type))
                self.position = end
            case (.aaaa, 1):
                guard length == 16 else { throw DNSMessageError.badRecordData(type: type) }
                data = .aaaa(try Self.address(self.bytes[self.position..<end], type: type))
                self.position = end
            case (.cname, 1):
                data = .cname(try self.readName())
            case (.srv, 1):
                guard length >= 7 else { throw DNSMessageError.badRecordData(type: type) }
                let priority = Int(try self.read16())
                let weight = Int(try self.read16())
                let port = Int(try self.read16())
                data = .srv(priority: priority, weight: weight, port: port, target: try self.readName())
            default:
                data = .other(type: type)
                self.position = end
            }
            // A name inside the data must end exactly where the record's length says.
            guard self.position == end else { throw DNSMessageError.badRecordData(type: type) }
            return Record(name: name, ttl: ttl & 0x7FFF_FFFF, data: data)
        }

        private static func address(_ bytes: ArraySlice<UInt8>, type: UInt16) throws -> String {
            var buffer = ByteBuffer()
            buffer.writeBytes(bytes)
            guard let text = try? SocketAddress(packedIPAddress: buffer, port: 0).ipAddress else {
                throw DNSMessageError.badRecordData(type: type)
            }
            return text
        }
    }
}

extension DNSMessage.Response {
    /// Whether this answers `name` and `type` and nothing else: one question, the same (names
    /// compared without case and a final dot). An answer to another question is not taken,
    /// whatever its id (RFC 5452 §9.1).
    public func answers(_ name: String, type: DNSMessage.RecordType) -> Bool {
        var asked = Substring(name.lowercased())
        if asked.hasSuffix(".") { asked = asked.dropLast() }
        guard self.questions.count == 1, let question = self.questions.first else { return false }
        var echoed = Substring(question.name.lowercased())
        if echoed.hasSuffix(".") { echoed = echoed.dropLast() }
        return echoed == asked && question.type == type.rawValue
    }

    /// The records of `type` for `name`, following CNAMEs within the answer section (at most 8),
    /// and the smallest TTL along the way (`nil` when nothing was found).
    public func records(of type: DNSMessage.RecordType, for name: String) -> (data: [DNSMessage.RecordData], ttl: UInt32?) {
        var current = name.lowercased()
        var ttl: UInt32?
        for _ in 0..<8 {
            let owned = self.answers.filter { $0.name == current }
            let matching = owned.filter { record in
                switch (record.data, type) {
                case (.a, .a), (.aaaa, .aaaa), (.srv, .srv), (.cname, .cname): true
                default: false
                }
            }
            if !matching.isEmpty {
                let least = matching.map(\.ttl).min() ?? 0
                return (matching.map(\.data), min(ttl ?? least, least))
            }
            guard let alias = owned.first(where: { if case .cname = $0.data { true } else { false } }),
                case .cname(let next) = alias.data
            else {
                return ([], ttl)
            }
            ttl = min(ttl ?? alias.ttl, alias.ttl)
            current = next
        }
        return ([], ttl)
    }
}

/// Why a DNS message could not be encoded or parsed.
public enum DNSMessageError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case truncated
    case nameTooLong
    case badPointer
    case badLabel
    case notAResponse
    case badRecordData(type: UInt16)

    public var description: String {
        switch self {
        case .invalidName(let name): "\"\(name)\" is not a name that can be queried"
        case .truncated: "malformed DNS message: it ends inside a field"
        case .nameTooLong: "malformed DNS message: a name longer than 255 bytes"
        case .badPointer: "malformed DNS message: a compression pointer loops or points outside the message"
        case .badLabel: "malformed DNS message: an unknown label type"
        case .notAResponse: "malformed DNS message: not a response"
        case .badRecordData(let type): "malformed DNS message: the data of a type \(type) record does not match its type"
        }
    }
}
