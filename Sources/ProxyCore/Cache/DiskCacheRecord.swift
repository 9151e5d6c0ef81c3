public import NIOCore
import NIOHTTP1

/// The on-disk form of a stored response (the disk tier of ``ResponseCache``, decision 0029):
/// one file per key, a fixed preamble, a header (key, status, fields, `Vary` values, times,
/// lifetime windows, tags) and the body. Pure: encoding and decoding only; ``DiskCache`` does
/// the I/O.
///
/// Preamble (big-endian): magic `PCDC`, format version (UInt16), header length (UInt32), body
/// length (UInt64), FNV-1a 64 checksum of header and body (UInt64). A file whose magic,
/// version, lengths or checksum do not hold is never served (``Problem``).
public enum DiskCacheRecord {
    public static let magic: UInt32 = 0x5043_4443  // "PCDC"
    public static let version: UInt16 = 1
    /// Magic, version, header length, body length, checksum.
    public static let preambleLength = 4 + 2 + 4 + 8 + 8
    /// A header larger than this is not a header this code wrote.
    public static let maxHeaderLength = 1 << 24

    public enum Problem: Error, Equatable {
        case notARecord
        case otherVersion(UInt16)
        case truncated
        case corrupt
    }

    /// What the startup scan keeps of a file: its key, tags and whole length.
    public struct Summary: Equatable, Sendable {
        public var key: String
        public var tags: [String]
        public var fileLength: Int
    }

    /// The file name of `key`: its FNV-1a 64 hash in hex (the header names the key, so two keys
    /// with one hash never answer for each other: the later replaces the earlier).
    public static func fileName(of key: String) -> String {
        let hash = Self.fnv1a(key.utf8, seed: Self.fnvOffset)
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + ".pcc"
    }

    public static func encode(_ response: StoredResponse) -> ByteBuffer {
        var header = ByteBuffer()
        Self.write(response.key, to: &header)
        header.writeInteger(UInt16(response.status.code))
        header.writeInteger(UInt32(response.fields.count))
        for (name, value) in response.fields {
            Self.write(name, to: &header)
            Self.write(value, to: &header)
        }
        header.writeInteger(UInt32(response.varyNames.count))
        for name in response.varyNames { Self.write(name, to: &header) }
        header.writeInteger(UInt32(response.varyValues.count))
        for value in response.varyValues {
            header.writeInteger(UInt8(value == nil ? 0 : 1))
            Self.write(value ?? "", to: &header)
        }
        for time in [
            response.requestTime, response.responseTime, response.dateValue, response.ageValue, response.freshnessLifetime,
            response.staleWhileRevalidate, response.staleIfError,
        ] {
            header.writeInteger(time)
        }
        header.writeInteger(UInt8(response.noCache ? 1 : 0))
        header.writeInteger(UInt8(response.mustRevalidate ? 1 : 0))
        header.writeInteger(UInt32(response.tags.count))
        for tag in response.tags { Self.write(tag, to: &header) }

        var record = ByteBuffer()
        record.reserveCapacity(Self.preambleLength + header.readableBytes + response.body.readableBytes)
        record.writeInteger(Self.magic)
        record.writeInteger(Self.version)
        record.writeInteger(UInt32(header.readableBytes))
        record.writeInteger(UInt64(response.body.readableBytes))
        record.writeInteger(Self.checksum(header: header, body: response.body))
        record.writeImmutableBuffer(header)
        record.writeImmutableBuffer(response.body)
        return record
    }

    /// The preamble's lengths, once it is known to be this version's: header and body length.
    public static func preamble(_ buffer: ByteBuffer) throws(Problem) -> (header: Int, body: Int, checksum: UInt64) {
        var buffer = buffer
        guard let magic = buffer.readInteger(as: UInt32.self), let version = buffer.readInteger(as: UInt16.self) else { throw .truncated }
        guard magic == Self.magic else { throw .notARecord }
        guard version == Self.version else { throw .otherVersion(version) }
        guard let header = buffer.readInteger(as: UInt32.self), let body = buffer.readInteger(as: UInt64.self),
            let checksum = buffer.readInteger(as: UInt64.self)
        else { throw .truncated }
        guard header <= Self.maxHeaderLength, body <= UInt64(Int.max / 2) else { throw .corrupt }
        return (Int(header), Int(body), checksum)
    }

    /// The key and tags of a file's beginning (preamble and header; the body is not read) and
    /// the length the whole file must have.
    public static func summary(_ buffer: ByteBuffer) throws(Problem) -> Summary {
        let lengths = try Self.preamble(buffer)
        guard var header = buffer.getSlice(at: buffer.readerIndex + Self.preambleLength, length: lengths.header) else { throw .truncated }
        let decoded = try Self.decodeHeader(&header)
        return Summary(key: decoded.key, tags: decoded.tags, fileLength: Self.preambleLength + lengths.header + lengths.body)
    }

    /// A whole file: the stored response, when every length and the checksum hold.
    public static func decode(_ buffer: ByteBuffer) throws(Problem) -> StoredResponse {
        let lengths = try Self.preamble(buffer)
        let start = buffer.readerIndex + Self.preambleLength
        guard buffer.readableBytes >= Self.preambleLength + lengths.header + lengths.body,
            var header = buffer.getSlice(at: start, length: lengths.header),
            let body = buffer.getSlice(at: start + lengths.header, length: lengths.body)
        else { throw .truncated }
        guard buffer.readableBytes == Self.preambleLength + lengths.header + lengths.body else { throw .corrupt }
        guard Self.checksum(header: header, body: body) == lengths.checksum else { throw .corrupt }
        var response = try Self.decodeHeader(&header)
        response.body = body
        return response
    }

    private static func decodeHeader(_ header: inout ByteBuffer) throws(Problem) -> StoredResponse {
        let key = try Self.readString(&header)
        guard let code = header.readInteger(as: UInt16.self), let fieldCount = header.readInteger(as: UInt32.self) else { throw .corrupt }
        var fields = HTTPHeaders()
        for _ in 0..<min(Int(fieldCount), header.readableBytes) {
            fields.add(name: try Self.readString(&header), value: try Self.readString(&header))
        }
        guard let nameCount = header.readInteger(as: UInt32.self) else { throw .corrupt }
        var varyNames: [String] = []
        for _ in 0..<min(Int(nameCount), header.readableBytes) { varyNames.append(try Self.readString(&header)) }
        guard let valueCount = header.readInteger(as: UInt32.self), valueCount == nameCount else { throw .corrupt }
        var varyValues: [String?] = []
        for _ in 0..<min(Int(valueCount), header.readableBytes) {
            guard let present = header.readInteger(as: UInt8.self) else { throw .corrupt }
            let value = try Self.readString(&header)
            varyValues.append(present == 1 ? value : nil)
        }
        var times: [Int64] = []
        for _ in 0..<7 {
            guard let time = header.readInteger(as: Int64.self) else { throw .corrupt }
            times.append(time)
        }
        guard let noCache = header.readInteger(as: UInt8.self), let mustRevalidate = header.readInteger(as: UInt8.self),
            let tagCount = header.readInteger(as: UInt32.self)
        else { throw .corrupt }
        var tags: [String] = []
        for _ in 0..<min(Int(tagCount), header.readableBytes) { tags.append(try Self.readString(&header)) }
        guard header.readableBytes == 0, varyNames.count == Int(nameCount), tags.count == Int(tagCount), fields.count == Int(fieldCount) else {
            throw .corrupt
        }
        return StoredResponse(
            key: key,
            status: HTTPResponseStatus(statusCode: Int(code)),
            fields: fields,
            body: ByteBuffer(),
            varyNames: varyNames,
            varyValues: varyValues,
            requestTime: times[0],
            responseTime: times[1],
            dateValue: times[2],
            ageValue: times[3],
            freshnessLifetime: times[4],
            staleWhileRevalidate: times[5],
            staleIfError: times[6],
            noCache: noCache == 1,
            mustRevalidate: mustRevalidate == 1,
            tags: tags
        )
    }

    private static func write(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(string.utf8.count))
        buffer.writeString(string)
    }

    private static func readString(_ buffer: inout ByteBuffer) throws(Problem) -> String {
        guard let length = buffer.readInteger(as: UInt32.self), let string = buffer.readString(length: Int(length)) else { throw .corrupt }
        return string
    }

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    static func checksum(header: ByteBuffer, body: ByteBuffer) -> UInt64 {
        let hash = header.withUnsafeReadableBytes { Self.fnv1a($0, seed: Self.fnvOffset) }
        return body.withUnsafeReadableBytes { Self.fnv1a($0, seed: hash) }
    }

    private static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes, seed: UInt64) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
