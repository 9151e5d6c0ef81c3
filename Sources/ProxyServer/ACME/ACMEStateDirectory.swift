import ProxyACME
import Foundation
import ProxyTLS


/// The files of one ACME listener under `state_dir`, and the directory's lock.
///
/// ```
/// state_dir/
///   lock                           flock(2): held by the instance that is ordering
///   account-key.pem                0600, the ACME account key (ECDSA P-256), shared by listeners
///   accounts.json                  {"<directory URL>": "<account URL>"}
///   challenges/<type>.<token|name> the pending challenges' key authorizations (0600), while ordering
///   <first domain>/
///     certificate.pem              leaf + chain, as the CA sent it
///     certificate-key.pem          0600
///     self-signed.pem              0600, key and certificate: served until the first certificate exists
/// ```
///
/// Every file is written atomically: a temporary file in the same directory, `fsync`, `rename`,
/// then `fsync` of the directory. A reader (another instance, the file watcher) sees the old
/// file or the new one, never half of one.
///
/// > Important: Blocking file I/O; call it from a task, never on an event loop.
struct ACMEStateDirectory: Sendable {
    let path: String
    /// The certificate's first domain names its directory.
    let domain: String
    /// The certificate's names.
    let domains: [String]

    var lockPath: String { self.path + "/lock" }
    var accountKeyPath: String { self.path + "/account-key.pem" }
    var accountsPath: String { self.path + "/accounts.json" }
    var certificateDirectory: String { self.path + "/" + self.domain }
    var certificatePath: String { self.certificateDirectory + "/certificate.pem" }
    var privateKeyPath: String { self.certificateDirectory + "/certificate-key.pem" }
    /// Key and certificate in one file (see ``ACMEPlaceholderCertificate``).
    var placeholderCertificatePath: String { self.certificateDirectory + "/self-signed.pem" }
    var placeholderKeyPath: String { self.placeholderCertificatePath }

    init(path: String, domains: [String]) {
        self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        self.domain = domains.first ?? "default"
        self.domains = domains
    }

    func prepare() throws {
        try Self.makeDirectory(self.path, mode: 0o700)
        try Self.makeDirectory(self.certificateDirectory, mode: 0o700)
    }

    /// The certificate in `state_dir`, if there is one that covers `domains` and has not expired.
    func currentCertificate(covering domains: [String], now: Int64) -> ACMECertificateValidity? {
        guard access(self.certificatePath, R_OK) == 0, access(self.privateKeyPath, R_OK) == 0,
            let validity = try? ACMECertificateValidity.read(path: self.certificatePath),
            validity.covers(domains), validity.notAfter > now
        else { return nil }
        return validity
    }

    // MARK: account

    func loadOrCreateAccountKey() throws -> ACMEAccountKey {
        if let bytes = try? Self.read(self.accountKeyPath) {
            return try ACMEAccountKey(pem: bytes)
        }
        let key = try ACMEAccountKey.generate()
        try Self.writeAtomically(try key.pemBytes(), to: self.accountKeyPath, mode: 0o600)
        return key
    }

    func accountURL(directory: String) -> String? {
        guard let bytes = try? Self.read(self.accountsPath),
            let accounts = try? JSONDecoder().decode([String: String].self, from: Data(bytes))
        else { return nil }
        return accounts[directory]
    }

    func saveAccountURL(_ url: String, directory: String) throws {
        var accounts: [String: String] = [:]
        if let bytes = try? Self.read(self.accountsPath),
            let existing = try? JSONDecoder().decode([String: String].self, from: Data(bytes))
        {
            accounts = existing
        }
        accounts[directory] = url
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try Self.writeAtomically(Array(try encoder.encode(accounts)), to: self.accountsPath, mode: 0o600)
    }

    /// Writes a new certificate: the key first, then the chain (a reader that sees the new chain
    /// finds its key already there).
    func saveCertificate(chainPEM: [UInt8], privateKeyPEM: [UInt8]) throws {
        try Self.writeAtomically(privateKeyPEM, to: self.privateKeyPath, mode: 0o600)
        try Self.writeAtomically(chainPEM, to: self.certificatePath, mode: 0o644)
    }

    // MARK: files

    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ACMEStorageError(path: path, reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        return Array(handle.readDataToEndOfFile())
    }

    /// temp file + `fsync` + `rename` + `fsync` of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ACMEStorageError(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        if fchmod(fd, mode) != 0 { failure = String(cString: strerror(errno)) }
        var offset = 0
        while failure == nil && offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
            } else {
                offset += written
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw ACMEStorageError(path: path, reason: failure)
        }
        let directory = (path as NSString).deletingLastPathComponent
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    static func makeDirectory(_ path: String, mode: mode_t) throws {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += component + "/"
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw ACMEStorageError(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }
}

/// A file of `state_dir` that could not be read or written.
struct ACMEStorageError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(self.path): \(self.reason)" }
}

/// An exclusive `flock(2)` on `state_dir/lock`: the instance holding it is the one ordering.
///
/// `flock` locks belong to the open file, so the lock is released when the holder closes it,
/// and also when the process dies: a crashed instance never leaves the directory locked.
/// Two listeners of one process sharing a directory take turns too (each opens the file itself).
final class ACMEDirectoryLock: Sendable {
    let path: String
    private let fd: CInt

    private init(path: String, fd: CInt) {
        self.path = path
        self.fd = fd
    }

    /// Tries once without blocking; `nil` when another holder has it.
    static func tryAcquire(_ path: String) throws -> ACMEDirectoryLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ACMEStorageError(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            if busy { return nil }
            throw ACMEStorageError(path: path, reason: reason)
        }
        return ACMEDirectoryLock(path: path, fd: fd)
    }

    /// Waits for the lock, looking every `interval` (an `await`, not a blocked thread), and
    /// calling `whileWaiting` after every look that found it taken.
    static func acquire(_ path: String, interval: Duration = .milliseconds(200), whileWaiting: () -> Void) async throws -> ACMEDirectoryLock {
        while true {
            if let lock = try Self.tryAcquire(path) { return lock }
            whileWaiting()
            try await Task.sleep(for: interval)
        }
    }

    func release() {
        flock(self.fd, LOCK_UN)
        close(self.fd)
    }
}

extension ACMEStateDirectory {
    /// The certificate an ACME listener serves now: `state_dir`'s when one exists that covers the
    /// domains and has not expired, else the self-signed placeholder. Reads, never writes.
    func servingSource(now: Int64) -> TLSCertificateSource {
        if self.currentCertificate(covering: self.domains, now: now) != nil {
            return TLSCertificateSource(certificatePath: self.certificatePath, privateKeyPath: self.privateKeyPath)
        }
        return TLSCertificateSource(certificatePath: self.placeholderCertificatePath, privateKeyPath: self.placeholderKeyPath)
    }

    /// Makes sure ``servingSource(now:)`` names usable files: when there is no valid certificate,
    /// (re)makes the placeholder unless one that fits is there.
    ///
    /// - Returns: The served certificate's `notAfter`; `nil` when the placeholder is served.
    func prepareServing(now: Int64) throws -> Int64? {
        if let current = self.currentCertificate(covering: self.domains, now: now) {
            return current.notAfter
        }
        try self.prepare()
        if let existing = try? ACMECertificateValidity.read(path: self.placeholderCertificatePath),
            existing.covers(self.domains), existing.notAfter > now + 3600
        {
            return nil
        }
        // Unfit or missing: made anew (if two instances do it at once, both serve the first one).
        unlink(self.placeholderCertificatePath)
        _ = try ACMEPlaceholderCertificate.write(domains: self.domains, path: self.placeholderCertificatePath)
        return nil
    }
}
