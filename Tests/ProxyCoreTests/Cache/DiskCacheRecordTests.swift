import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The disk tier's file format (``DiskCacheRecord``) and its in-memory index (``DiskCacheIndex``).
struct DiskCacheRecordTests {
    static func response(_ key: String = "http://example.com/a?b=1", body: String = "the body") -> StoredResponse {
        StoredResponse(
            key: key,
            status: .ok,
            fields: HTTPHeaders([("Content-Type", "text/plain"), ("ETag", "\"v1\""), ("Cache-Control", "max-age=60"), ("X-Empty", "")]),
            body: ByteBuffer(string: body),
            varyNames: ["accept-encoding", "accept-language"],
            varyValues: ["gzip", nil],
            requestTime: 1_700_000_000_000,
            responseTime: 1_700_000_000_012,
            dateValue: 1_700_000_000_000,
            ageValue: 3,
            freshnessLifetime: 60_000,
            staleWhileRevalidate: 5_000,
            staleIfError: 7_000,
            noCache: false,
            mustRevalidate: true,
            tags: ["assets", "v1"]
        )
    }

    @Test func aRecordRoundTrips() throws {
        let original = Self.response()
        let decoded = try DiskCacheRecord.decode(DiskCacheRecord.encode(original))
        #expect(decoded.key == original.key)
        #expect(decoded.status == .ok)
        #expect(decoded.fields == original.fields)
        #expect(decoded.body == original.body)
        #expect(decoded.varyNames == original.varyNames)
        #expect(decoded.varyValues == original.varyValues)
        #expect(decoded.requestTime == original.requestTime)
        #expect(decoded.responseTime == original.responseTime)
        #expect(decoded.dateValue == original.dateValue)
        #expect(decoded.ageValue == 3)
        #expect(decoded.freshnessLifetime == 60_000)
        #expect(decoded.staleWhileRevalidate == 5_000)
        #expect(decoded.staleIfError == 7_000)
        #expect(decoded.noCache == false)
        #expect(decoded.mustRevalidate == true)
        #expect(decoded.tags == ["assets", "v1"])
        let summary = try DiskCacheRecord.summary(DiskCacheRecord.encode(original))
        #expect(summary == DiskCacheRecord.Summary(key: original.key, tags: ["assets", "v1"], fileLength: DiskCacheRecord.encode(original).readableBytes))
    }

    @Test func anEmptyBodyAndNoFieldsRoundTrip() throws {
        var original = Self.response(body: "")
        original.fields = HTTPHeaders()
        original.varyNames = []
        original.varyValues = []
        original.tags = []
        let decoded = try DiskCacheRecord.decode(DiskCacheRecord.encode(original))
        #expect(decoded.body.readableBytes == 0)
        #expect(decoded.fields.count == 0)
    }

    @Test func everyTruncationIsRefused() {
        let record = DiskCacheRecord.encode(Self.response())
        for length in 0..<record.readableBytes {
            #expect(throws: DiskCacheRecord.Problem.self) { try DiskCacheRecord.decode(record.getSlice(at: 0, length: length)!) }
        }
    }

    @Test func everyFlippedByteIsRefused() {
        let record = DiskCacheRecord.encode(Self.response())
        for offset in 0..<record.readableBytes {
            var damaged = record
            damaged.setInteger(record.getInteger(at: offset, as: UInt8.self)! ^ 0x01, at: offset)
            #expect(throws: DiskCacheRecord.Problem.self) { try DiskCacheRecord.decode(damaged) }
        }
    }

    @Test func trailingBytesAreRefused() {
        var record = DiskCacheRecord.encode(Self.response())
        record.writeString("x")
        #expect(throws: DiskCacheRecord.Problem.corrupt) { try DiskCacheRecord.decode(record) }
    }

    @Test func anotherVersionOrFormatIsRefused() {
        var record = DiskCacheRecord.encode(Self.response())
        record.setInteger(DiskCacheRecord.version + 1, at: 4)
        #expect(throws: DiskCacheRecord.Problem.otherVersion(DiskCacheRecord.version + 1)) { try DiskCacheRecord.decode(record) }
        #expect(throws: DiskCacheRecord.Problem.otherVersion(DiskCacheRecord.version + 1)) { try DiskCacheRecord.summary(record) }
        #expect(throws: DiskCacheRecord.Problem.notARecord) { try DiskCacheRecord.decode(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")) }
    }

    @Test func fileNamesAreStableHexOfTheKey() {
        let name = DiskCacheRecord.fileName(of: "http://example.com/")
        #expect(name == DiskCacheRecord.fileName(of: "http://example.com/"))
        #expect(name != DiskCacheRecord.fileName(of: "http://example.com/x"))
        #expect(name.count == 20 && name.hasSuffix(".pcc"))
        let hex = name.dropLast(4).allSatisfy { $0.isHexDigit }
        #expect(hex)
        // FNV-1a 64 of the empty string is its offset basis: the name does not depend on the run.
        #expect(DiskCacheRecord.fileName(of: "") == "cbf29ce484222325.pcc")
    }

    @Test func theIndexEvictsTheLeastRecentlyUsedToItsLimit() {
        var index = DiskCacheIndex(limit: 300)
        var evicted: [String] = []
        for name in ["a", "b", "c"] {
            evicted += index.insert(name, .init(key: "k" + name, tags: [], bytes: 100))
        }
        #expect(evicted.isEmpty)
        index.touch("a")
        #expect(index.namesByRecency == ["b", "c", "a"])
        evicted = index.insert("d", .init(key: "kd", tags: [], bytes: 150))
        #expect(evicted == ["b", "c"])
        #expect(index.namesByRecency == ["a", "d"])
        #expect(index.bytes == 250)
        #expect(index.evictions == 2)
        // Replacing a name counts its new size only.
        evicted = index.insert("a", .init(key: "ka", tags: [], bytes: 50))
        #expect(evicted.isEmpty)
        #expect(index.bytes == 200)
        #expect(index.namesByRecency == ["d", "a"])
        // Larger than the whole limit: not kept, and what was there is untouched.
        evicted = index.insert("e", .init(key: "ke", tags: [], bytes: 301))
        #expect(evicted == ["e"])
        #expect(index.count == 2)
        let removed = index.remove(where: { $0.key == "kd" })
        #expect(removed == ["d"])
        #expect(index.bytes == 50)
        let first = index.remove("a")
        let second = index.remove("a")
        #expect(first && !second)
        #expect(index.bytes == 0 && index.count == 0 && index.namesByRecency.isEmpty)
    }
}
