import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The disk tier of a route's ``ResponseCache`` (`cache.disk`, decision 0029): every stored
/// response is also written to `directory` as one file (``DiskCacheRecord``), and a key the
/// memory tier no longer holds is read back from there. Survives restarts: the index of files
/// (``DiskCacheIndex``) is rebuilt from the directory when the store is made.
///
/// Files are written and read on a thread pool, never on an event loop: written to a temporary
/// file, `fsync`ed and renamed over the old one. A file that does not decode (truncated, corrupt,
/// another format version, another key) is removed, never served. Writes and removals of files
/// are ordered under ``fileLock`` (taken by pool threads only); a purge cancels the writes in
/// flight, so a purged response does not come back from a write that finishes after it.
public final class DiskCache: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var bytes = 0
        public var objects = 0
        public var evictions = 0
    }

    private struct State {
        var index: DiskCacheIndex
        /// Per file name, the latest write's number: an older write does not rename over it.
        var writes: [String: UInt64] = [:]
        var nextWrite: UInt64 = 0
        /// Bumped by every purge: a write begun before it is dropped.
        var purges: UInt64 = 0
        var failedReads = 0
    }

    public let directory: String
    public let limit: Int
    private let threadPool: NIOThreadPool
    private let state: NIOLockedValueBox<State>
    private let fileLock = NIOLock()

    /// Makes `directory` when missing and indexes the files in it (removing those that are not
    /// whole records of this version). Blocking: called when the configuration is applied, not
    /// on an event loop.
    public init(directory: String, limit: Int, threadPool: NIOThreadPool = .singleton) throws(DiskCacheError) {
        self.directory = directory
        self.limit = limit
        self.threadPool = threadPool
        try Self.makeDirectory(directory)
        var index = DiskCacheIndex(limit: limit)
        for (name, summary) in Self.scan(directory) {
            for evicted in index.insert(name, DiskCacheIndex.Entry(key: summary.key, tags: summary.tags, bytes: summary.fileLength)) {
                unlink(directory + "/" + evicted)
            }
        }
        self.state = NIOLockedValueBox(State(index: index))
    }

    public var statistics: Statistics {
        self.state.withLockedValue { Statistics(bytes: $0.index.bytes, objects: $0.index.count, evictions: $0.index.evictions) }
    }

    /// Whether a file for `key` is known (it may still turn out not to decode).
    public func contains(_ key: String) -> Bool {
        let name = DiskCacheRecord.fileName(of: key)
        return self.state.withLockedValue { $0.index.entry(name)?.key == key }
    }

    /// Writes `response` in the background (replacing the file of its key).
    public func write(_ response: StoredResponse) {
        let name = DiskCacheRecord.fileName(of: response.key)
        let (number, purges) = self.state.withLockedValue { state in
            state.nextWrite &+= 1
            state.writes[name] = state.nextWrite
            return (state.nextWrite, state.purges)
        }
        self.threadPool.submit { work in
            guard work == .active else { return }
            let record = DiskCacheRecord.encode(response)
            let temporary = "\(self.directory)/.\(name).\(number).tmp"
            guard Self.writeFile(temporary, record) else {
                unlink(temporary)
                self.state.withLockedValue { if $0.writes[name] == number { $0.writes[name] = nil } }
                return
            }
            let evicted: [String]? = self.fileLock.withLock {
                let current = self.state.withLockedValue { $0.writes[name] == number && $0.purges == purges }
                guard current, rename(temporary, "\(self.directory)/\(name)") == 0 else { return nil }
                return self.state.withLockedValue { state in
                    if state.writes[name] == number { state.writes[name] = nil }
                    return state.index.insert(name, DiskCacheIndex.Entry(key: response.key, tags: response.tags, bytes: record.readableBytes))
                }
            }
            guard let evicted else {
                unlink(temporary)
                self.state.withLockedValue { if $0.writes[name] == number { $0.writes[name] = nil } }
                return
            }
            self.removeFiles(evicted)
        }
    }

    /// Reads the response stored for `key` on the thread pool: `nil` when there is none or its
    /// file does not decode (then the file is removed).
    public func read(_ key: String, eventLoop: any EventLoop) -> EventLoopFuture<StoredResponse?> {
        let name = DiskCacheRecord.fileName(of: key)
        return self.threadPool.runIfActive(eventLoop: eventLoop) { () -> StoredResponse? in
            if let contents = Self.readFile("\(self.directory)/\(name)"), let response = try? DiskCacheRecord.decode(contents), response.key == key {
                self.state.withLockedValue { $0.index.touch(name) }
                return response
            }
            self.state.withLockedValue { state in
                state.failedReads += 1
                state.index.remove(name)
            }
            self.fileLock.withLock { _ = unlink("\(self.directory)/\(name)") }
            return nil
        }
    }

    /// Forgets `key` without touching its file (a read that could not be carried out): later
    /// lookups go to the target, and the next startup indexes the file again.
    public func forget(_ key: String) {
        let name = DiskCacheRecord.fileName(of: key)
        self.state.withLockedValue { state in
            if state.index.entry(name)?.key == key { state.index.remove(name) }
        }
    }

    /// Removes `key`'s file (and cancels its write in flight); whether one was known.
    @discardableResult
    public func purge(key: String) -> Bool {
        let name = DiskCacheRecord.fileName(of: key)
        let known = self.state.withLockedValue { state in
            state.writes[name] = nil
            guard state.index.entry(name)?.key == key else { return false }
            return state.index.remove(name)
        }
        if known {
            self.threadPool.submit { _ in self.removeFiles([name]) }
        }
        return known
    }

    /// Removes the files whose entry `matches` selects (and cancels the writes in flight): their keys.
    public func purge(where matches: (DiskCacheIndex.Entry) -> Bool) -> [String] {
        let (names, keys) = self.state.withLockedValue { state in
            state.purges &+= 1
            var keys: [String] = []
            let names = state.index.remove { entry in
                guard matches(entry) else { return false }
                keys.append(entry.key)
                return true
            }
            return (names, keys)
        }
        if !names.isEmpty {
            self.threadPool.submit { _ in self.removeFiles(names) }
        }
        return keys
    }

    private func removeFiles(_ names: [String]) {
        self.fileLock.withLock {
            for name in names {
                // A name written again since it was chosen keeps its new file.
                let rewritten = self.state.withLockedValue { $0.index.entry(name) != nil }
                if !rewritten { unlink("\(self.directory)/\(name)") }
            }
        }
    }

    // MARK: Files (blocking: thread pool or startup only)

    static func makeDirectory(_ path: String) throws(DiskCacheError) {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0, errno != EEXIST {
                throw DiskCacheError(path: partial, message: String(cString: strerror(errno)))
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DiskCacheError(path: path, message: "not a directory")
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw DiskCacheError(path: path, message: "not writable")
        }
    }

    /// The records in `directory`, oldest modification first; every other file of ours
    /// (temporary files, other versions, truncated or unreadable records) is removed.
    static func scan(_ directory: String) -> [(String, DiskCacheRecord.Summary)] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var found: [(name: String, modified: Int, summary: DiskCacheRecord.Summary)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let path = directory + "/" + name
            if name.hasPrefix("."), name.hasSuffix(".tmp") {
                unlink(path)
                continue
            }
            guard name.hasSuffix(".pcc") else { continue }
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                let prefix = Self.readFile(path, upTo: DiskCacheRecord.preambleLength + 64 * 1024),
                let summary = Self.summary(path, prefix: prefix),
                summary.fileLength == Int(info.st_size), DiskCacheRecord.fileName(of: summary.key) == name
            else {
                unlink(path)
                continue
            }
            found.append((name, Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), summary))
        }
        return found.sorted { $0.modified < $1.modified }.map { ($0.name, $0.summary) }
    }

    /// A file's summary from its first bytes (read further when its header is longer).
    private static func summary(_ path: String, prefix: ByteBuffer) -> DiskCacheRecord.Summary? {
        guard let lengths = try? DiskCacheRecord.preamble(prefix) else { return nil }
        let needed = DiskCacheRecord.preambleLength + lengths.header
        guard needed > prefix.readableBytes else { return try? DiskCacheRecord.summary(prefix) }
        return Self.readFile(path, upTo: needed).flatMap { try? DiskCacheRecord.summary($0) }
    }

    static func writeFile(_ path: String, _ contents: ByteBuffer) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let written = contents.withUnsafeReadableBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        return written && fsync(descriptor) == 0
    }

    /// A file's contents (its first `upTo` bytes at most); `nil` when it cannot be read.
    static func readFile(_ path: String, upTo limit: Int = Int.max) -> ByteBuffer? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let length = min(Int(info.st_size), limit)
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        let complete = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes -> Int in
            var offset = 0
            while offset < length {
                let count = Glibc.read(descriptor, bytes.baseAddress! + offset, length - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                offset += count
            }
            return offset
        }
        return complete == length || limit != Int.max ? buffer : nil
    }
}

/// The disk tier's directory cannot be used.
public struct DiskCacheError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "cache.disk.path \(self.path): \(self.message)" }
}
