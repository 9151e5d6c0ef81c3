internal import CSSL
import NIOConcurrencyHelpers

/// One session-ticket key: a public 16-byte name plus secret AES-256 and HMAC-SHA256 keys.
struct TLSTicketKey: Sendable {
    static let nameLength = 16

    let name: [UInt8]
    let aesKey: [UInt8]
    let hmacKey: [UInt8]

    /// Reads an 80-byte key file: 16 bytes of name, 32 of HMAC secret, 32 of AES key (the layout
    /// of nginx's `ssl_session_ticket_key`, so one file can serve both during a migration).
    static func load(_ path: String) throws(TLSConfigurationError) -> TLSTicketKey {
        let bytes = try PEMFile.read(path)
        guard bytes.count == 80 else {
            throw TLSConfigurationError.invalidTicketKey(path, size: bytes.count)
        }
        return TLSTicketKey(name: Array(bytes[0..<16]), aesKey: Array(bytes[48..<80]), hmacKey: Array(bytes[16..<48]))
    }

    static func random() throws(OpenSSLError) -> TLSTicketKey {
        TLSTicketKey(
            name: try randomBytes(Self.nameLength),
            aesKey: try randomBytes(32),
            hmacKey: try randomBytes(32)
        )
    }
}

/// Fills a new array with `count` bytes from OpenSSL's CSPRNG.
func randomBytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    try requireSuccess("generating random bytes") {
        bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, CInt(count)) }
    }
    return bytes
}

/// The session-ticket keys of one listener: the newest encrypts, all decrypt.
///
/// Holds the newest key plus up to `retention` previous keys. Tickets sealed with a previous
/// key still resume, and the client gets a fresh ticket under the newest key. ``rotate()``
/// pushes a new key and forgets the oldest one beyond `retention`, so a ticket survives
/// between `retention` and `retention + 1` rotations.
///
/// > Important: OpenSSL calls the ticket callback on whichever event loop runs the handshake,
/// > so every access goes through a lock.
final class TLSTicketKeyRing: Sendable {
    /// Newest first.
    private let keys: NIOLockedValueBox<[TLSTicketKey]>
    let retention: Int

    /// Keys read from files are shared with other instances: they never rotate in process.
    let isShared: Bool

    init(retention: Int) throws(OpenSSLError) {
        self.retention = retention
        self.keys = NIOLockedValueBox([try TLSTicketKey.random()])
        self.isShared = false
    }

    /// A ring of keys shared with other instances, newest (the sealing key) first.
    init(shared keys: [TLSTicketKey]) {
        precondition(!keys.isEmpty)
        self.retention = keys.count - 1
        self.keys = NIOLockedValueBox(keys)
        self.isShared = true
    }

    /// Makes a new key the encryption key and drops keys older than the retention allows.
    /// Shared keys are left alone: they change when their files do (and the server reloads).
    func rotate() throws(OpenSSLError) {
        guard !self.isShared else { return }
        let fresh = try TLSTicketKey.random()
        self.keys.withLockedValue { keys in
            keys.insert(fresh, at: 0)
            if keys.count > self.retention + 1 { keys.removeLast(keys.count - self.retention - 1) }
        }
    }

    /// The key that seals new tickets.
    var newest: TLSTicketKey {
        self.keys.withLockedValue { $0[0] }
    }

    /// Finds the key a ticket names. `isNewest` is `false` when the ticket should be renewed.
    func key(named name: UnsafeRawBufferPointer) -> (key: TLSTicketKey, isNewest: Bool)? {
        self.keys.withLockedValue { keys in
            guard let index = keys.firstIndex(where: { $0.name.elementsEqual(name) }) else { return nil }
            return (keys[index], index == 0)
        }
    }

    var count: Int { self.keys.withLockedValue { $0.count } }
}
