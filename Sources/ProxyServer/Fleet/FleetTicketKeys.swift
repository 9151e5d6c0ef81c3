import Foundation
import ProxyTLS

/// A fleet's session-ticket keys, as the instance holding the ticket lease writes them to
/// `/portcullis/NAME/tickets`: newest (the sealing key) first, then the previous keys every
/// instance still accepts. Stored sealed (``sealed(secret:key:)``) with the fleet secret, so
/// etcd alone does not reveal them.
public struct FleetTicketKeys: Codable, Sendable, Equatable {
    /// When the newest key was made (seconds since 1970).
    public var rotatedAt: Double
    /// Each key's 80 bytes (``TLSServerContext/ticketKeyMaterialLength``), newest first.
    public var keys: [[UInt8]]

    public init(rotatedAt: Double, keys: [[UInt8]]) {
        self.rotatedAt = rotatedAt
        self.keys = keys
    }

    enum CodingKeys: String, CodingKey {
        case rotatedAt = "rotated_at"
        case keys
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.rotatedAt = try container.decode(Double.self, forKey: .rotatedAt)
        self.keys = try container.decode([String].self, forKey: .keys).map { text in
            guard let data = Data(base64Encoded: text), data.count == TLSServerContext.ticketKeyMaterialLength else {
                throw DecodingError.dataCorruptedError(forKey: .keys, in: container, debugDescription: "a ticket key is not 80 bytes of base64")
            }
            return Array(data)
        }
        guard !self.keys.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .keys, in: container, debugDescription: "no ticket keys")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.rotatedAt, forKey: .rotatedAt)
        try container.encode(self.keys.map { Data($0).base64EncodedString() }, forKey: .keys)
    }

    /// `newKey` becomes the sealing key; the previous keys beyond `retention` are dropped.
    public func rotated(adding newKey: [UInt8], at now: Double, retention: Int) -> FleetTicketKeys {
        FleetTicketKeys(rotatedAt: now, keys: Array(([newKey] + self.keys).prefix(retention + 1)))
    }

    /// The JSON, sealed with AES-256-GCM under the fleet secret, bound to the etcd key it is
    /// stored at (a value copied to another fleet's key does not open).
    public func sealed(secret: [UInt8], key: String) throws -> [UInt8] {
        try SecretSeal.seal(Array(JSONEncoder().encode(self)), key: secret, associatedData: Array(key.utf8))
    }

    /// Opens a value ``sealed(secret:key:)`` wrote: throws ``ProxyTLS/SecretSeal/Failure`` for another
    /// secret, changed or truncated bytes, or a decoding error for well-sealed nonsense.
    public static func open(_ sealed: [UInt8], secret: [UInt8], key: String) throws -> FleetTicketKeys {
        let json = try SecretSeal.open(sealed, key: secret, associatedData: Array(key.utf8))
        return try JSONDecoder().decode(FleetTicketKeys.self, from: Data(json))
    }
}

/// What the instance holding the ticket lease does with the fleet's keys on each check.
public enum FleetTicketRotation: Sendable, Equatable {
    /// Make a new sealing key now (no keys yet, keys that do not open, or the interval passed).
    case rotate
    /// Nothing yet: the next rotation is due at this time (seconds since 1970).
    case wait(until: Double)

    /// Pure: `current` is the stored keys (`nil` when none, or when they do not open with this
    /// instance's secret: the holder replaces them rather than leave the fleet without keys).
    public static func decide(current: FleetTicketKeys?, now: Double, interval: Duration) -> FleetTicketRotation {
        guard let current else { return .rotate }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let due = current.rotatedAt + seconds
        // A clock set back far (rotated "in the future") must not freeze rotation.
        if now >= due || current.rotatedAt > now + seconds { return .rotate }
        return .wait(until: due)
    }
}

/// The fleet secret (`--fleet-secret FILE`): 32 bytes, raw or as base64 text, the same on every
/// instance; it seals the shared ticket keys. Make one with `openssl rand -base64 32 > FILE`.
public enum FleetSecret {
    public static func load(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FleetError.badSecret("\(path): cannot read the fleet secret")
        }
        return try Self.parse(Array(data), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        if bytes.count == SecretSeal.keyLength { return bytes }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let decoded = Data(base64Encoded: text), decoded.count == SecretSeal.keyLength { return Array(decoded) }
        throw FleetError.badSecret(
            "\(path): a fleet secret must be \(SecretSeal.keyLength) bytes, raw or base64 (got \(bytes.count) bytes); make one with: openssl rand -base64 32 > \(path)"
        )
    }
}
