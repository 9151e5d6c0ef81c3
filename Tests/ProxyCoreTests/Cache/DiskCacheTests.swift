import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import ProxyCore

/// The disk tier (``DiskCache``) on a real directory: written off the event loop, read back,
/// rebuilt by a new instance (a restart), corrupt and foreign files removed, bounded.
struct DiskCacheTests {
    private static func directory() -> String {
        let path = NSTemporaryDirectory() + "portcullis-disk-\(UUID().uuidString)/tier"
        return path
    }

    /// Waits (bounded) until `condition` holds: writes are in the background.
    private static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<200 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("condition not met within 2 s")
    }

    @Test func aWrittenResponseIsReadBackAndSurvivesARestart() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let disk = try DiskCache(directory: path, limit: 1 << 20)
        let response = DiskCacheRecordTests.response()
        disk.write(response)
        try await Self.eventually { disk.statistics.objects == 1 }
        #expect(disk.contains(response.key))
        #expect(try await disk.read(response.key, eventLoop: loop).get()?.body == response.body)
        #expect(try await disk.read("http://example.com/other", eventLoop: loop).get() == nil)

        let restarted = try DiskCache(directory: path, limit: 1 << 20)
        #expect(restarted.statistics == disk.statistics)
        #expect(restarted.contains(response.key))
        let read = try await restarted.read(response.key, eventLoop: loop).get()
        #expect(read?.key == response.key && read?.tags == ["assets", "v1"] && read?.body == response.body)
    }

    @Test func corruptTruncatedForeignAndTemporaryFilesAreRemovedAtStartup() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let disk = try DiskCache(directory: path, limit: 1 << 20)
        for index in 0..<4 {
            disk.write(DiskCacheRecordTests.response("http://example.com/\(index)"))
        }
        try await Self.eventually { disk.statistics.objects == 4 }
        func file(_ index: Int) -> String { path + "/" + DiskCacheRecord.fileName(of: "http://example.com/\(index)") }
        // Truncated; another format version; a record moved under another key's name; a
        // temporary file left by a crash. Record 3 stays whole.
        let whole = try Data(contentsOf: URL(fileURLWithPath: file(0)))
        try whole.prefix(whole.count - 3).write(to: URL(fileURLWithPath: file(0)))
        var otherVersion = try Data(contentsOf: URL(fileURLWithPath: file(1)))
        otherVersion[5] ^= 0x7f
        try otherVersion.write(to: URL(fileURLWithPath: file(1)))
        try FileManager.default.removeItem(atPath: file(2))
        try FileManager.default.copyItem(atPath: file(3), toPath: file(2))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: path + "/.x.1.tmp"))

        let restarted = try DiskCache(directory: path, limit: 1 << 20)
        #expect(restarted.statistics.objects == 1)
        #expect(restarted.contains("http://example.com/3"))
        let left = try FileManager.default.contentsOfDirectory(atPath: path)
        #expect(left == [DiskCacheRecord.fileName(of: "http://example.com/3")])
    }

    @Test func aFileDamagedAfterStartupIsNotServedAndIsRemoved() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let disk = try DiskCache(directory: path, limit: 1 << 20)
        let response = DiskCacheRecordTests.response()
        disk.write(response)
        try await Self.eventually { disk.statistics.objects == 1 }
        let file = path + "/" + DiskCacheRecord.fileName(of: response.key)
        var damaged = try Data(contentsOf: URL(fileURLWithPath: file))
        damaged[damaged.count - 1] ^= 0xff
        try damaged.write(to: URL(fileURLWithPath: file))
        #expect(try await disk.read(response.key, eventLoop: loop).get() == nil)
        #expect(!disk.contains(response.key))
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test func theSizeBoundEvictsTheLeastRecentlyUsedFiles() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let one = DiskCacheRecord.encode(DiskCacheRecordTests.response("http://example.com/0", body: String(repeating: "x", count: 1000))).readableBytes
        let disk = try DiskCache(directory: path, limit: one * 3)
        for index in 0..<3 {
            disk.write(DiskCacheRecordTests.response("http://example.com/\(index)", body: String(repeating: "x", count: 1000)))
            try await Self.eventually { disk.statistics.objects == index + 1 }
        }
        _ = try await disk.read("http://example.com/0", eventLoop: loop).get()  // 1 is now the oldest
        disk.write(DiskCacheRecordTests.response("http://example.com/3", body: String(repeating: "x", count: 1000)))
        try await Self.eventually { disk.statistics.evictions == 1 }
        #expect(!disk.contains("http://example.com/1"))
        #expect(disk.contains("http://example.com/0") && disk.contains("http://example.com/3"))
        #expect(disk.statistics.bytes <= one * 3)
        try await Self.eventually { (try? FileManager.default.contentsOfDirectory(atPath: path).count) == 3 }
        // A restart with a smaller size keeps the most recently written.
        let smaller = try DiskCache(directory: path, limit: one)
        #expect(smaller.statistics.objects == 1)
    }

    @Test func purgesRemoveFilesAndStayRemovedAfterARestart() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let disk = try DiskCache(directory: path, limit: 1 << 20)
        for index in 0..<3 {
            disk.write(DiskCacheRecordTests.response("http://example.com/p/\(index)"))
        }
        try await Self.eventually { disk.statistics.objects == 3 }
        #expect(disk.purge(key: "http://example.com/p/0"))
        #expect(!disk.purge(key: "http://example.com/p/0"))
        #expect(disk.purge(where: { $0.tags.contains("assets") }).sorted() == ["http://example.com/p/1", "http://example.com/p/2"])
        try await Self.eventually { (try? FileManager.default.contentsOfDirectory(atPath: path).count) == 0 }
        #expect(try DiskCache(directory: path, limit: 1 << 20).statistics.objects == 0)
    }

    @Test func aPathThatIsAFileIsRefused() throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: DiskCacheError.self) { try DiskCache(directory: path, limit: 1 << 20) }
    }

    /// The memory tier over the disk tier: a key not in memory is read from disk once (the
    /// concurrent lookups wait for that read), then served from memory.
    @Test func aResponseCacheReadsAKeyFromDiskOnceForConcurrentLookups() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let settings = ResponseCache.Settings(memoryBytes: 1 << 20, maxObjectBytes: 1 << 16, defaultTTL: 0)
        let first = ResponseCache(settings: settings, disk: try DiskCache(directory: path, limit: 1 << 20), purgeAllowed: { _ in true })
        let stored = CacheRules.store(
            key: "http://example.com/d",
            status: .ok,
            responseFields: HTTPHeaders([("Cache-Control", "max-age=600")]),
            body: ByteBuffer(string: "from disk"),
            requestFields: HTTPHeaders(),
            requestTime: 1000,
            responseTime: 1000,
            defaultTTL: 0
        )
        guard case .fill(let id, _, _) = first.lookup("http://example.com/d", requestFields: HTTPHeaders(), requestControl: CacheControl(), refresh: false, fills: true, now: 1000, waiter: { loop.makePromise() }) else {
            Issue.record("an empty cache fills")
            return
        }
        first.finish("http://example.com/d", id: id, storing: stored)
        try await Self.eventually { first.diskStatistics?.objects == 1 }

        let second = ResponseCache(settings: settings, disk: try DiskCache(directory: path, limit: 1 << 20), purgeAllowed: { _ in true })
        func lookup(usesDisk: Bool = true) -> ResponseCache.Lookup {
            second.lookup("http://example.com/d", requestFields: HTTPHeaders(), requestControl: CacheControl(), refresh: false, fills: true, usesDisk: usesDisk, now: 2000) {
                loop.makePromise()
            }
        }
        guard case .disk(let read) = lookup() else {
            Issue.record("a key only on disk is read from disk")
            return
        }
        guard case .wait(let waiter) = lookup() else {
            Issue.record("a concurrent lookup waits for the read")
            return
        }
        try await second.readFromDisk("http://example.com/d", id: read, eventLoop: loop).get()
        #expect(try await waiter.futureResult.get() == .stored)
        guard case .hit(let hit, _, _) = lookup(usesDisk: false) else {
            Issue.record("after the read, memory has it")
            return
        }
        #expect(hit.body == ByteBuffer(string: "from disk"))
        #expect(second.statistics.objects == 1)
        #expect(second.purge(pathPrefix: "/d") == 1)
        #expect(second.diskStatistics?.objects == 0)
    }
}
