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
        guard let key = TLSTicketKey(material: bytes) else {
            throw TLSConfigurationError.invalidTicketKey(path, size: bytes.count)
        }
        return key
    }

    init(name: [UInt8], aesKey: [UInt8], hmacKey: [UInt8]) {
        self.name = name
        self.aesKey = aesKey
        self.hmacKey = hmacKey
    }

    /// The 80-byte layout of a key file (`nil` for any other length).
    init?(material bytes: [UInt8]) {
        guard bytes.count == TLSServerContext.ticketKeyMaterialLength else { return nil }
        self.init(name: Array(bytes[0..<16]), aesKey: Array(bytes[48..<80]), hmacKey: Array(bytes[16..<48]))
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
    private struct Keys {
        /// Newest first.
        var keys: [TLSTicketKey]
        /// Installed by a fleet (``install(_:)``): whoever installed them rotates them.
        var installed = false
    }

    private let state: NIOLockedValueBox<Keys>
    let retention: Int

    /// Keys read from files are shared with other instances: they never rotate in process.
    let isShared: Bool

    init(retention: Int) throws(OpenSSLError) {
        self.retention = retention
        self.state = NIOLockedValueBox(Keys(keys: [try TLSTicketKey.random()]))
        self.isShared = false
    }

    /// A ring of keys shared with other instances, newest (the sealing key) first.
    init(shared keys: [TLSTicketKey]) {
        precondition(!keys.isEmpty)
        self.retention = keys.count - 1
        self.state = NIOLockedValueBox(Keys(keys: keys))
        self.isShared = true
    }

    /// Makes a new key the encryption key and drops keys older than the retention allows.
    /// Shared keys are left alone: they change when their files do (and the server reloads),
    /// and so are keys a fleet installed: they change when the fleet's do.
    func rotate() throws(OpenSSLError) {
        guard !self.isShared else { return }
        let fresh = try TLSTicketKey.random()
        self.state.withLockedValue { state in
            guard !state.installed else { return }
            state.keys.insert(fresh, at: 0)
            if state.keys.count > self.retention + 1 { state.keys.removeLast(state.keys.count - self.retention - 1) }
        }
    }

    /// Replaces every key with a fleet's (newest first); in-process rotation stops.
    func install(_ keys: [TLSTicketKey]) {
        precondition(!keys.isEmpty)
        self.state.withLockedValue { $0 = Keys(keys: keys, installed: true) }
    }

    /// The key that seals new tickets.
    var newest: TLSTicketKey {
        self.state.withLockedValue { $0.keys[0] }
    }

    /// Finds the key a ticket names. `isNewest` is `false` when the ticket should be renewed.
    func key(named name: UnsafeRawBufferPointer) -> (key: TLSTicketKey, isNewest: Bool)? {
        self.state.withLockedValue { state in
            guard let index = state.keys.firstIndex(where: { $0.name.elementsEqual(name) }) else { return nil }
            return (state.keys[index], index == 0)
        }
    }

    var count: Int { self.state.withLockedValue { $0.keys.count } }
}
