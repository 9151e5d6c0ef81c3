import NIOConcurrencyHelpers
public import NIOCore
public import NIOHTTP1

/// A route's HTTP cache (`routes[].cache`, docs/content.md, decision 0029): the stored
/// responses by key and `Vary`, bounded in bytes with least-recently-used eviction, and the
/// fills in progress (``CacheFillTable``), so that concurrent misses for a key send one request.
///
/// Shared by every event loop of the process: one lock, held for a dictionary lookup or an
/// insertion, never for I/O or a callback. What it decides is ``CacheRules``'.
public final class ResponseCache: Sendable {
    /// What a fill's waiters are told (``FillOutcome``).
    public typealias Waiter = EventLoopPromise<FillOutcome>

    /// How a fill ended, as its waiters are told.
    public enum FillOutcome: Sendable, Equatable {
        /// A response was stored (or read from disk): look it up again.
        case stored
        /// Nothing was stored (uncacheable, too large, the client went): forward the request yourself.
        case notStored
        /// The target failed (no connection, or this `500`/`502`/`503`/`504`): a stale response
        /// within `stale-if-error` answers the waiter (``staleOnError(_:requestFields:now:)``),
        /// as it answered the fill's own request; without one, the waiter forwards itself.
        case failed(status: UInt)
    }

    public struct Settings: Sendable, Equatable {
        public var memoryBytes: Int
        public var maxObjectBytes: Int
        /// Milliseconds.
        public var defaultTTL: Int64
        /// At most this many `Vary` variants per key (the least recently stored goes first).
        public var maxVariants: Int

        public init(memoryBytes: Int, maxObjectBytes: Int, defaultTTL: Int64, maxVariants: Int = 16) {
            self.memoryBytes = memoryBytes
            self.maxObjectBytes = maxObjectBytes
            self.defaultTTL = defaultTTL
            self.maxVariants = maxVariants
        }
    }

    /// Counters for the metrics (read at scrape time).
    public struct Statistics: Sendable, Equatable {
        public var bytes = 0
        public var objects = 0
        public var evictions = 0
    }

    public enum Lookup {
        /// A fresh response (or one within `stale-while-revalidate`: then `revalidate` is the fill
        /// the caller starts in the background, `nil` when one is already running).
        case hit(StoredResponse, CacheRules.Freshness, revalidate: CacheFillTable<Waiter>.FillID?)
        /// The caller fetches the key and ends with ``finish(_:id:storing:)``; `stale` is the
        /// stored response to revalidate (or to serve on an error), `varyMiss` that the key had
        /// responses but none for this request's variant.
        case fill(CacheFillTable<Waiter>.FillID, stale: StoredResponse?, varyMiss: Bool)
        /// Not found, and the request does not fetch it for the cache (a `HEAD`): forwarded.
        case miss(stale: StoredResponse?)
        /// Another request is fetching the key: the waiter is told when it is done.
        case wait(Waiter)
        /// Not in memory but on disk: the caller reads it with ``readFromDisk(_:id:eventLoop:)``
        /// (the fill `id` holds the concurrent requests for the key meanwhile) and looks up again.
        case disk(CacheFillTable<Waiter>.FillID)
    }

    private struct Node {
        var variants: [StoredResponse]
        var bytes: Int
        var older: String?
        var newer: String?
    }

    private struct State {
        var nodes: [String: Node] = [:]
        /// Least and most recently used keys.
        var oldest: String?
        var newest: String?
        var fills = CacheFillTable<Waiter>()
        var statistics = Statistics()
    }

    public let settings: Settings
    /// Who may send `PURGE` (the route's `cache.purge.allow`).
    public let purgeAllowed: @Sendable (String) -> Bool
    /// The disk tier (`cache.disk`): every stored response is written to it too.
    public let disk: DiskCache?
    private let state = NIOLockedValueBox(State())

    public init(settings: Settings, disk: DiskCache? = nil, purgeAllowed: @escaping @Sendable (String) -> Bool) {
        self.settings = settings
        self.disk = disk
        self.purgeAllowed = purgeAllowed
    }

    /// Whether a `Host` value may go in a key: `uri-host[:port]` characters only (no `/`, `?`,
    /// `#`, `@`, `\\`, spaces or controls), so that no host and target make another URL's key.
    public static func isKeyableHost(_ host: String) -> Bool {
        // In place when the string lends its bytes (native strings do): the view's iterator
        // cost ~40 instructions a byte.
        if let keyable = host.utf8.withContiguousStorageIfAvailable({ bytes in !bytes.isEmpty && bytes.allSatisfy(Self.isKeyableHostByte) }) {
            return keyable
        }
        return !host.isEmpty && host.utf8.allSatisfy(Self.isKeyableHostByte)
    }

    @inline(__always)
    private static func isKeyableHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"), UInt8(ascii: "!"), UInt8(ascii: "$"),
             UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"),
             UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    /// The key of a request: scheme, host (lower case) and target (normalised path and query).
    public static func key(scheme: String, host: String?, target: String) -> String {
        let host = host ?? ""
        // Copied into one allocation, the host lower-cased in place (interpolation and
        // `lowercased()` cost an allocation and a pass each).
        let count = scheme.utf8.count + 3 + host.utf8.count + target.utf8.count
        return String(unsafeUninitializedCapacity: count) { buffer in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var index = HTTP1Serializer.copyUTF8(of: scheme, to: raw, at: 0)
            index += HTTP1Serializer.copyUTF8(of: "://", to: raw, at: index)
            let hostStart = index
            index += HTTP1Serializer.copyUTF8(of: host, to: raw, at: index)
            for position in hostStart..<index where buffer[position] >= UInt8(ascii: "A") && buffer[position] <= UInt8(ascii: "Z") {
                buffer[position] |= 0x20
            }
            index += HTTP1Serializer.copyUTF8(of: target, to: raw, at: index)
            return index
        }
    }

    /// Looks `key` up for a request with `requestFields`; `refresh`: the request wants a fresh
    /// answer (a stored one is only a fallback on errors); `fills`: a miss fetches the key for
    /// the cache (a `GET`), or waits for the fetch in progress; `usesDisk`: a key not in memory
    /// is looked for on disk (`false` after a disk read, so one request reads at most once).
    public func lookup(
        _ key: String,
        requestFields: HTTPHeaders,
        requestControl: CacheControl,
        refresh: Bool,
        fills: Bool,
        usesDisk: Bool = true,
        now: Int64,
        waiter: () -> Waiter
    ) -> Lookup {
        self.state.withLockedValue { state in
            var stale: StoredResponse?
            let node = state.nodes[key]  // one hash of the key
            let known = node != nil
            if let node, let stored = node.variants.first(where: { $0.matchesVary(requestFields) }) {
                let freshness = CacheRules.freshness(of: stored, now: now, requestControl: requestControl)
                switch freshness {
                case .fresh where !refresh:
                    Self.touch(key, in: &state)
                    return .hit(stored, freshness, revalidate: nil)
                case .staleWhileRevalidate where !refresh:
                    Self.touch(key, in: &state)
                    return .hit(stored, freshness, revalidate: state.fills.beginIfIdle(key))
                default:
                    stale = stored
                }
            }
            guard fills else { return .miss(stale: stale) }
            switch state.fills.begin(key, waiter: waiter) {
            case .fill(let id):
                if !known, usesDisk, let disk = self.disk, disk.contains(key) {
                    return .disk(id)
                }
                return .fill(id, stale: stale, varyMiss: known && stale == nil)
            case .wait(let made):
                return .wait(made)
            }
        }
    }

    /// The fill `id` of `key` ended: `storing` (when the rules allowed it) replaces the variant
    /// it selects; the waiters are told (outside the lock): `.stored`, or `failure` when the
    /// target failed, else `.notStored`.
    public func finish(_ key: String, id: CacheFillTable<Waiter>.FillID, storing response: StoredResponse?, failure: UInt? = nil) {
        // Made ready outside the lock: a copy of the body, the head's lines encoded.
        let kept = response.flatMap { $0.body.readableBytes <= self.settings.maxObjectBytes ? $0.forStorage() : nil }
        let (waiters, stored) = self.state.withLockedValue { state in
            var stored: StoredResponse?
            if let kept {
                stored = self.insert(kept, key: key, into: &state)
            }
            return (state.fills.finish(key, id: id), stored)
        }
        let outcome: FillOutcome = stored != nil ? .stored : failure.map { .failed(status: $0) } ?? .notStored
        for waiter in waiters {
            waiter.succeed(outcome)
        }
        if let stored, let disk = self.disk {
            disk.write(stored)
        }
    }

    /// The stored response of `key` that a request with `requestFields` selects, when it may
    /// still answer on the target's failure (within `stale-if-error`, RFC 5861 §4); `nil` otherwise.
    public func staleOnError(_ key: String, requestFields: HTTPHeaders, now: Int64) -> StoredResponse? {
        self.state.withLockedValue { state in
            guard let stored = state.nodes[key]?.variants.first(where: { $0.matchesVary(requestFields) }),
                CacheRules.servesOnError(stored, now: now)
            else { return nil }
            return stored
        }
    }

    /// Reads `key` from the disk tier on its thread pool and ends the fill `id` (a ``Lookup/disk(_:)``):
    /// what was read goes into memory, and the waiters look up again (one of them fills the key
    /// when it was not read). Always ends the fill, whatever becomes of the request.
    public func readFromDisk(_ key: String, id: CacheFillTable<Waiter>.FillID, eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard let disk = self.disk else {
            self.endDiskRead(key, id: id, read: nil)
            return eventLoop.makeSucceededVoidFuture()
        }
        return disk.read(key, eventLoop: eventLoop).map { Optional($0) }.recover { _ in nil }.map { read in
            self.endDiskRead(key, id: id, read: read ?? nil)
        }
    }

    private func endDiskRead(_ key: String, id: CacheFillTable<Waiter>.FillID, read: StoredResponse?) {
        var unfit = false
        let kept = read.flatMap { $0.body.readableBytes <= self.settings.maxObjectBytes ? $0.forStorage() : nil }
        let waiters = self.state.withLockedValue { state in
            if read != nil {
                if let kept, self.insert(kept, key: key, into: &state) != nil {
                    // In memory: the waiters find it there.
                } else {
                    unfit = true  // `max_object` or `memory` shrank since it was written
                }
            }
            return state.fills.finish(key, id: id)
        }
        if unfit {
            self.disk?.purge(key: key)
        } else if read == nil {
            // Not read (the file was bad and is gone, or the pool is shut down): no lookup goes
            // to the disk for it again, so the waiters cannot come back here.
            self.disk?.forget(key)
        }
        for waiter in waiters {
            waiter.succeed(.stored)  // looked up again: from memory, or filled from the target
        }
    }

    /// Stores `response` (made ready by ``StoredResponse/forStorage()``: its body and head in
    /// buffers of their exact size, so that what ``StoredResponse/size`` counts is what is
    /// held) and evicts down to the memory bound; what was stored, or `nil` when it is larger
    /// than the whole bound (nothing is kept for its key then).
    private func insert(_ response: StoredResponse, key: String, into state: inout State) -> StoredResponse? {
        // Whether it fits is asked of what was sized (`max_object` ≤ `memory`): its bytes, not the
        // power of two NIO rounds its buffer up to; the bound below counts what is held.
        guard response.size - response.body.storageCapacity + response.body.readableBytes <= self.settings.memoryBytes else {
            Self.remove(key, from: &state)  // what it replaces is out of date
            return nil
        }
        var node = state.nodes[key] ?? Node(variants: [], bytes: 0)
        let isNew = state.nodes[key] == nil
        node.variants.removeAll { $0.varyNames == response.varyNames && $0.varyValues == response.varyValues }
        // A response whose `Vary` changed makes the other variants unreachable by the new rule.
        node.variants.removeAll { $0.varyNames != response.varyNames }
        node.variants.insert(response, at: 0)
        if node.variants.count > self.settings.maxVariants { node.variants.removeLast(node.variants.count - self.settings.maxVariants) }
        let bytes = node.variants.reduce(0) { $0 + $1.size }
        state.statistics.bytes += bytes - node.bytes
        state.statistics.objects += isNew ? 1 : 0
        node.bytes = bytes
        if isNew {
            state.nodes[key] = node
            Self.link(key, in: &state)
        } else {
            state.nodes[key]!.variants = node.variants
            state.nodes[key]!.bytes = bytes
            Self.touch(key, in: &state)
        }
        // Never the response just stored (the newest): alone, it may hold up to its buffer's
        // rounding above the bound, as the one object allowed to.
        while state.statistics.bytes > self.settings.memoryBytes, let oldest = state.oldest, oldest != key {
            Self.remove(oldest, from: &state)
            state.statistics.evictions += 1
        }
        return response
    }

    /// Removes every response of `key`; how many keys went (0 or 1).
    @discardableResult
    public func purge(key: String) -> Int {
        let inMemory = self.state.withLockedValue { state in
            guard state.nodes[key] != nil else { return false }
            Self.remove(key, from: &state)
            return true
        }
        let onDisk = self.disk?.purge(key: key) ?? false
        return inMemory || onDisk ? 1 : 0
    }

    /// Removes the keys whose path starts with `prefix` (any scheme and host); how many.
    public func purge(pathPrefix prefix: String) -> Int {
        self.purge({ key, _ in Self.path(of: key).hasPrefix(prefix) }, onDisk: { Self.path(of: $0.key).hasPrefix(prefix) })
    }

    /// Removes the keys any of whose responses carries `tag` (`Cache-Tag`, `Surrogate-Key`).
    public func purge(tag: String) -> Int {
        self.purge({ _, node in node.variants.contains { $0.tags.contains(tag) } }, onDisk: { $0.tags.contains(tag) })
    }

    /// Removes everything.
    public func purgeAll() -> Int {
        self.purge({ _, _ in true }, onDisk: { _ in true })
    }

    /// Removes the keys `matches` selects in memory and `onDisk` on disk: how many keys went.
    private func purge(_ matches: (String, Node) -> Bool, onDisk: (DiskCacheIndex.Entry) -> Bool) -> Int {
        let keys = self.state.withLockedValue { state in
            let keys = state.nodes.filter { matches($0.key, $0.value) }.map(\.key)
            for key in keys { Self.remove(key, from: &state) }
            return keys
        }
        guard let disk = self.disk else { return keys.count }
        return Set(keys).union(disk.purge(where: onDisk)).count
    }

    public var statistics: Statistics { self.state.withLockedValue { $0.statistics } }

    /// The disk tier's counters (`nil`: no disk tier).
    public var diskStatistics: DiskCache.Statistics? { self.disk?.statistics }

    /// The path and query of a key (`scheme://host/path?query`).
    static func path(of key: String) -> Substring {
        // After `scheme://`, the first `/` starts the path.
        guard let colon = key.firstIndex(of: ":") else { return Substring(key) }
        let rest = key[colon...].dropFirst(3)
        return rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
    }

    // MARK: The recency list (keys linked through their nodes)

    private static func link(_ key: String, in state: inout State) {
        state.nodes[key]!.older = state.newest
        state.nodes[key]!.newer = nil
        if let newest = state.newest { state.nodes[newest]!.newer = key }
        state.newest = key
        if state.oldest == nil { state.oldest = key }
    }

    private static func unlink(_ key: String, in state: inout State) {
        let node = state.nodes[key]!
        if let older = node.older { state.nodes[older]!.newer = node.newer } else { state.oldest = node.newer }
        if let newer = node.newer { state.nodes[newer]!.older = node.older } else { state.newest = node.older }
    }

    private static func touch(_ key: String, in state: inout State) {
        guard state.newest != key else { return }
        Self.unlink(key, in: &state)
        Self.link(key, in: &state)
    }

    private static func remove(_ key: String, from state: inout State) {
        guard let node = state.nodes[key] else { return }
        Self.unlink(key, in: &state)
        state.nodes[key] = nil
        state.statistics.bytes -= node.bytes
        state.statistics.objects -= 1
    }
}
