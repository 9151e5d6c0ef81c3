#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Whole-file reads and writes for PEM files, with errors that name the file.
///
/// Plain POSIX calls, so the error text is the system's own (`No such file or directory`).
/// This does blocking disk I/O: call it while building a context, never on an event loop.
enum PEMFile {
    /// Reads all of `path`.
    static func read(_ path: String) throws(TLSConfigurationError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw .cannotReadFile(path, reason: Self.systemError())
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count {
                if ferror(file) != 0 { throw .cannotReadFile(path, reason: Self.systemError()) }
                return bytes
            }
        }
    }

    /// Replaces `path` with `bytes`, atomically (write a temporary file, then rename).
    ///
    /// - Parameter mode: Permission bits of the new file, such as `0o600` for private keys.
    static func write(_ bytes: [UInt8], to path: String, mode: UInt32) throws(TLSConfigurationError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode))
        guard fd >= 0 else { throw .cannotWriteFile(path, reason: Self.systemError()) }
        var ok = fchmod(fd, mode_t(mode)) == 0  // open's mode is filtered by umask and ignored for old files
        var offset = 0
        while ok && offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc_write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                ok = false
            } else {
                offset += written
            }
        }
        let reason = ok ? "" : Self.systemError()
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let why = ok ? Self.systemError() : reason
            unlink(temporary)
            throw .cannotWriteFile(path, reason: why)
        }
    }

    /// Creates `path` with `bytes` unless it exists (then leaves it alone): written to a temporary
    /// file, then hard-linked to `path`, so the file appears complete or not at all.
    static func create(_ bytes: [UInt8], at path: String, mode: UInt32) throws(TLSConfigurationError) {
        let temporary = path + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Self.write(bytes, to: temporary, mode: mode)
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 || errno == EEXIST else {
            throw .cannotWriteFile(path, reason: Self.systemError())
        }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Creates `path` and any missing parents, like `mkdir -p`.
    static func makeDirectory(_ path: String) throws(TLSConfigurationError) {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += component + "/"
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .cannotWriteFile(path, reason: Self.systemError())
            }
        }
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}

/// `write(2)`, named apart from the many Swift `write` methods.
private func Glibc_write(_ fd: CInt, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
